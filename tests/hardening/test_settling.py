"""Settling unclear ids: ``check_members`` answers every id truly, within its cost rule (at most
k + 2 requests, or the group read at the vendor's largest page if fewer), counted at the fake;
and it (like ``members()``) raises rather than guess when a vendor caps or repeats pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest
from aiohttp import web

from contactgroups import errors
from contactgroups.messagebird import MessageBirdMembership
from contactgroups.testing import FakeServer
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake

GROUP_SIZE = 15_000
MB_PAGE = 250  # the MessageBird fake's largest page (the vendor documents none)


@attrs.define
class Setup:
    fake: Any
    adapter: Any
    group: str
    members: list[str]  # in the group
    others: list[str]  # existing contacts, not in the group
    missing: str  # no such contact
    largest_page: int


def _split(fake: Any, extra: int = 600) -> tuple[list[str], list[str]]:
    contacts = fake.seed_contacts(GROUP_SIZE + extra)
    return contacts[:GROUP_SIZE], contacts[GROUP_SIZE:]


async def _messagebird(fake: MessageBirdFake, client: Any) -> Setup:
    group = fake.seed_group()
    members, others = _split(fake)
    fake.seed_members(group, members)
    adapter = MessageBirdMembership(
        client.groups, contacts=client.contacts, members_page_size=MB_PAGE
    )
    return Setup(fake, adapter, group, members, others, "f" * 32, MB_PAGE)


async def _messente(fake: MessenteFake, client: Any) -> Setup:
    group = fake.seed_group()
    members, others = _split(fake)
    fake.seed_members(group, members)
    return Setup(fake, client.membership, group, members, others, "+3725999999999", 10**9)


async def _messageflow(fake: MessageFlowFake, client: Any) -> Setup:
    group = fake.seed_group()
    members, others = _split(fake)
    fake.seed_members(group, members)
    return Setup(fake, client.membership, group, members, others, "999999999", 1000)


async def _messengeo(fake: MessengeoFake, client: Any) -> Setup:
    group = fake.seed_group()
    members, others = _split(fake)
    fake.seed_members(group, members)
    return Setup(fake, client.membership, group, members, others, "999999999", 1000)


VENDORS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "messagebird": (MessageBirdFake, _messagebird),
    "messente": (MessenteFake, _messente),
    "messageflow": (MessageFlowFake, _messageflow),
    "messengeo": (MessengeoFake, _messengeo),
}


@pytest.fixture
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    make_fake, prepare = VENDORS[request.param]
    async with make_fake() as fake, fake.client(retry=None, timeout=20) as client:
        yield await prepare(fake, client)


def api_requests(fake: FakeServer) -> int:
    """Requests to the vendor's API (Messengeo's token calls are not membership reads)."""
    return sum(1 for r in fake.requests if not r.path.endswith("/token"))


def unclear(s: Setup, k: int) -> tuple[list[str], dict[str, bool]]:
    """k ids: members and non-members in turn, the last one a contact that does not exist."""
    ids: list[str] = []
    for n in range(k - 1):
        ids.append(s.members[n * 7] if n % 2 == 0 else s.others[n])
    ids.append(s.missing)
    truth = {i: i in set(s.members) for i in ids}
    return ids, truth


@pytest.mark.parametrize("setup", list(VENDORS), indirect=True)
@pytest.mark.parametrize("k", [1, 2, 5])
async def test_few_unclear_ids_cost_at_most_k_plus_two(setup: Setup, k: int) -> None:
    ids, truth = unclear(setup, k)
    setup.fake.requests.clear()
    assert dict(await setup.adapter.check_members(setup.group, ids)) == truth
    assert api_requests(setup.fake) <= k + 2


@pytest.mark.parametrize("setup", list(VENDORS), indirect=True)
async def test_many_unclear_ids_cost_no_more_than_the_group_read(setup: Setup) -> None:
    ids, truth = unclear(setup, 500)
    setup.fake.requests.clear()
    assert dict(await setup.adapter.check_members(setup.group, ids)) == truth
    pages = -(-GROUP_SIZE // min(setup.largest_page, GROUP_SIZE))
    assert api_requests(setup.fake) <= min(500, pages) + 2


@pytest.mark.parametrize("setup", list(VENDORS), indirect=True)
async def test_no_ids_cost_nothing(setup: Setup) -> None:
    setup.fake.requests.clear()
    assert dict(await setup.adapter.check_members(setup.group, [])) == {}
    assert api_requests(setup.fake) == 0


# -- hostile vendors: a page cap below the size asked, a repeated page, an early end ---------


@attrs.define
class Small:
    fake: Any
    client: Any
    adapter: Any
    group: str
    members: list[str]
    others: list[str]


SMALL = 60


async def _small_setup(fake: Any, client: Any, vendor: str) -> Small:
    group = fake.seed_group()
    contacts = fake.seed_contacts(SMALL + 250)
    members, others = contacts[:SMALL], contacts[SMALL:]
    fake.seed_members(group, members)
    adapter = client.membership
    if vendor == "messagebird":
        adapter = MessageBirdMembership(
            client.groups, contacts=client.contacts, members_page_size=20
        )
    return Small(fake, client, adapter, group, members, others)


CAPPED = {
    "messagebird": {"page_cap": 7},
    "messageflow": {"page_cap": 7},
    "messengeo": {"max_limit": 7},
}


@pytest.mark.parametrize("vendor", list(CAPPED))
async def test_an_honest_page_cap_is_read_through_never_cut_short(vendor: str) -> None:
    make_fake, _ = VENDORS[vendor]
    async with make_fake(**CAPPED[vendor]) as fake, fake.client(retry=None, timeout=20) as client:
        s = await _small_setup(fake, client, vendor)
        assert {m async for m in s.adapter.members(s.group)} == set(s.members)
        ids = s.members[:30] + s.others[:30]
        assert dict(await s.adapter.check_members(s.group, ids)) == {i: i in s.members for i in ids}


async def test_messente_a_truncated_group_listing_raises() -> None:
    async with MessenteFake(list_cap=SMALL - 1) as fake, fake.client(retry=None) as client:
        s = await _small_setup(fake, client, "messente")
        with pytest.raises(errors.MalformedResponseError, match="short read"):
            [m async for m in s.adapter.members(s.group)]
        with pytest.raises(errors.ContactGroupsError):
            await s.adapter.check_members(s.group, s.members[:5])


def _is_member_listing(request: web.Request) -> bool:
    """A GET of a group's member listing (not a look-up of contacts by id) at any vendor."""
    path, query = request.path, request.query
    if request.method != "GET" or "id" in query:
        return False
    if path.startswith("/rest/"):
        return path == "/rest/contacts" and "listId" in query
    return path.endswith(("/contacts", "/contact")) and ("/groups/" in path or "/group/" in path)


def _with_offset(request: web.Request, offset: str) -> web.Request:
    query = request.rel_url.query.copy()
    query["offset"] = offset
    return request.clone(rel_url=request.rel_url.with_query(query))


@web.middleware
async def repeat_first_page(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every member page answers the first page again."""
    if _is_member_listing(request):
        request = _with_offset(request, "0")
    return await handler(request)


@web.middleware
async def end_early(request: web.Request, handler: Any) -> web.StreamResponse:
    """A member listing (or a contact's groups) ends after its first page: an empty page."""
    later = request.query.get("offset", "0") != "0"
    groups_of = request.method == "GET" and request.path.endswith("/groups")
    if later and (_is_member_listing(request) or groups_of):
        request = _with_offset(request, "99999999")
    return await handler(request)


@pytest.mark.parametrize("vendor", list(CAPPED))
@pytest.mark.parametrize("trap", [repeat_first_page, end_early])
async def test_a_repeated_or_early_ended_listing_raises_never_guesses(
    vendor: str, trap: Any
) -> None:
    make_fake, _ = VENDORS[vendor]
    fake = make_fake(**CAPPED[vendor])
    fake.app.middlewares.append(trap)
    async with fake, fake.client(retry=None, timeout=20) as client:
        s = await _small_setup(fake, client, vendor)
        with pytest.raises(errors.ContactGroupsError):
            [m async for m in s.adapter.members(s.group)]
        many = s.members + s.others
        with pytest.raises(errors.ContactGroupsError):
            await s.adapter.check_members(s.group, many)


async def test_messagebird_a_contacts_groups_listing_that_ends_early_raises() -> None:
    fake = MessageBirdFake(page_cap=1)
    fake.app.middlewares.append(end_early)
    async with fake, fake.client(retry=None) as client:
        s = await _small_setup(fake, client, "messagebird")
        other_groups = [fake.seed_group(f"g{n}") for n in range(3)]
        contact = s.others[0]
        for g in other_groups:
            fake.seed_members(g, [contact])
        with pytest.raises(errors.MalformedResponseError, match="short read"):
            await s.adapter.check_members(s.group, [contact])


async def test_messageflow_a_search_that_ignores_the_id_filter_raises() -> None:
    @web.middleware
    async def no_filter(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/v2.1/contact":
            query = request.rel_url.query.copy()
            query.pop("id", None)
            request = request.clone(rel_url=request.rel_url.with_query(query))
        return await handler(request)

    fake = MessageFlowFake()
    fake.app.middlewares.append(no_filter)
    async with fake, fake.client(retry=None) as client:
        s = await _small_setup(fake, client, "messageflow")
        with pytest.raises(errors.MalformedResponseError, match="id filter"):
            await s.adapter.check_members(s.group, [s.members[-1]])
