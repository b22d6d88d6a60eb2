"""The ``multi`` adapter against the fake: one phone per call, 409/404 as already, contacts
created on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from messente_helpers import FAST_RETRY

from contactgroups import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    messente,
)
from contactgroups.membership import BatchResult, HasMembership, MembershipAdapter
from contactgroups.testing import Faults
from contactgroups.testing.messente import MessenteFake


def posts(fake: MessenteFake, path: str) -> int:
    return len(fake.requests_to("POST", path))


def test_protocol_and_limits() -> None:
    client = messente.Client(username="u", password="p")
    adapter = client.membership
    assert isinstance(client, HasMembership)
    assert isinstance(adapter, MembershipAdapter)
    assert client.membership is adapter  # built once
    assert adapter.provider == "messente"
    assert adapter.max_add_per_call == 1
    assert adapter.max_remove_per_call == 1
    assert adapter.default_concurrency == 16
    assert adapter.create_missing_contacts is True


def test_adapter_options() -> None:
    client = messente.Client(
        username="u", password="p", create_missing_contacts=False, membership_concurrency=3
    )
    assert client.membership.create_missing_contacts is False
    assert client.membership.default_concurrency == 3
    own = messente.MessenteMembership(
        client.groups, client.contacts, create_missing_contacts=False, concurrency=2
    )
    assert (own.create_missing_contacts, own.default_concurrency) == (False, 2)
    for bad in (0, -1, True, 2.5):
        with pytest.raises(InvalidRequestError, match="concurrency"):
            messente.MessenteMembership(client.groups, client.contacts, concurrency=bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError, match="concurrency"):
            messente.Client(username="u", password="p", membership_concurrency=bad)  # type: ignore[arg-type]


def test_one_phone_per_call_is_the_only_limit() -> None:
    client = messente.Client(username="u", password="p", max_add_per_call=1, max_remove_per_call=1)
    assert (client.membership.max_add_per_call, client.membership.max_remove_per_call) == (1, 1)
    for keyword in ("max_add_per_call", "max_remove_per_call"):
        for bad in (0, 2, 50):
            with pytest.raises(
                InvalidRequestError, match=f"{keyword} must be an integer from 1 to 1"
            ):
                messente.Client(username="u", password="p", **{keyword: bad})
            with pytest.raises(InvalidRequestError, match=keyword):
                messente.MessenteMembership(client.groups, client.contacts, **{keyword: bad})


def test_the_adapter_is_built_on_the_resources_of_each_view() -> None:
    client = messente.Client(username="u", password="p", membership_concurrency=4)
    view = client.with_options(timeout=5)
    assert view.membership is not client.membership
    assert view.membership.default_concurrency == 4
    assert messente.MessenteMembership.DEFAULT_CONCURRENCY == messente.DEFAULT_CONCURRENCY == 16


@pytest.mark.parametrize("ids", [[], ["+37251000000", "+37251000001"], "+37251000000"])
async def test_one_phone_per_call(fake: MessenteFake, ids: Sequence[str]) -> None:
    gid = fake.seed_group()
    async with fake.client() as c:
        with pytest.raises(InvalidRequestError):
            await c.membership.add(gid, ids)
        with pytest.raises(InvalidRequestError):
            await c.membership.remove(gid, ids)
    assert not fake.requests


async def test_add_then_already(fake: MessenteFake) -> None:
    gid = fake.seed_group()
    (phone,) = fake.seed_contacts(1)
    async with fake.client() as c:
        assert await c.membership.add(gid, [phone]) == BatchResult(done=(phone,))
        assert await c.membership.add(gid, [phone]) == BatchResult(already=(phone,))
    assert fake.member_ids(gid) == {phone}
    assert posts(fake, "/phonebook/contacts") == 0  # the contact existed: never created


async def test_add_creates_a_missing_contact_and_retries_once(fake: MessenteFake) -> None:
    gid = fake.seed_group()
    phone = "+37256000001"
    async with fake.client() as c:
        result = await c.membership.add(gid, [phone])
    assert result == BatchResult(done=(phone,))
    assert fake.member_ids(gid) == {phone}
    assert phone in fake.contacts
    sent = [(r.method, r.path) for r in fake.requests]
    add = ("POST", f"/v1/phonebook/groups/{gid}/contacts/{phone}")
    assert sent == [add, ("POST", "/v1/phonebook/contacts"), add]
    assert fake.requests[1].body == b'{"phoneNumber":"+37256000001"}'
    for bodiless in (fake.requests[0], fake.requests[2]):  # as the vendor's own client sends it
        assert bodiless.body == b""
        assert "Content-Type" not in bodiless.headers
        assert bodiless.headers["Authorization"].startswith("Basic ")


async def test_creation_conflict_is_fine(fake: MessenteFake) -> None:
    """Another worker created the contact between our 404 and our create: 409, then add."""
    gid = fake.seed_group()
    phone = "+37256000002"
    async with fake.client() as c:
        original = c.groups.add_contact
        calls = 0

        async def racing_add(group_id: str, p: str) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                try:
                    await original(group_id, p)  # 404: no such contact yet
                finally:
                    fake.seed_contact(p)
            else:
                await original(group_id, p)

        c.groups.add_contact = racing_add  # type: ignore[method-assign]
        result = await c.membership.add(gid, [phone])
    assert result == BatchResult(done=(phone,))
    assert calls == 2
    assert fake.member_ids(gid) == {phone}
    (create,) = fake.requests_to("POST", "/phonebook/contacts")
    assert create.path == "/v1/phonebook/contacts"  # answered 409, which the adapter accepts


async def test_no_creation_when_turned_off(fake: MessenteFake) -> None:
    gid = fake.seed_group()
    phone = "+37256000003"
    async with fake.client(create_missing_contacts=False) as c:
        result = await c.membership.add(gid, [phone])
    assert result.done == () and result.already == ()
    assert isinstance(result.failed[phone], NotFoundError)
    assert phone not in fake.contacts
    assert posts(fake, "/phonebook/contacts") == 0


async def test_missing_group_is_failed_after_one_retry(fake: MessenteFake) -> None:
    gid = "0c7e6a52-3f1d-4b8e-9a41-6d2f5c8b1e07"
    (phone,) = fake.seed_contacts(1)
    async with fake.client() as c:
        result = await c.membership.add(gid, [phone])
    assert set(result.failed) == {phone}
    assert isinstance(result.failed[phone], NotFoundError)
    assert posts(fake, f"/phonebook/groups/{gid}") == 2  # the add, and one retry


async def test_invalid_phone_is_failed_without_a_request(fake: MessenteFake) -> None:
    gid = fake.seed_group()
    async with fake.client() as c:
        added = await c.membership.add(gid, ["37251000000"])
        removed = await c.membership.remove(gid, ["+0"])
    assert isinstance(added.failed["37251000000"], InvalidRequestError)
    assert isinstance(removed.failed["+0"], InvalidRequestError)
    assert not fake.requests


async def test_remove_done_and_not_member_already(fake: MessenteFake) -> None:
    gid = fake.seed_group()
    member, outsider = fake.seed_contacts(2)
    fake.seed_members(gid, [member])
    async with fake.client() as c:
        assert await c.membership.remove(gid, [member]) == BatchResult(done=(member,))
        assert await c.membership.remove(gid, [member]) == BatchResult(already=(member,))
        assert await c.membership.remove(gid, [outsider]) == BatchResult(already=(outsider,))
        no_contact = "+37256000009"
        assert await c.membership.remove(gid, [no_contact]) == BatchResult(already=(no_contact,))
    assert fake.member_ids(gid) == set()
    assert {member, outsider} <= set(fake.contacts)  # only the membership went


async def test_whole_call_errors_raise(fake: MessenteFake) -> None:
    gid = fake.seed_group()
    (phone,) = fake.seed_contacts(1)
    async with fake.client(password="wrong") as c:
        with pytest.raises(AuthenticationError):
            await c.membership.add(gid, [phone])
        with pytest.raises(AuthenticationError):
            await c.membership.remove(gid, [phone])
    fake.faults = Faults(server_error=1.0, server_error_status=500)
    async with fake.client(retry=FAST_RETRY) as c:
        with pytest.raises(ServerError):
            await c.membership.add(gid, [phone])


async def test_members(fake: MessenteFake) -> None:
    gid, other = fake.seed_group(), fake.seed_group()
    phones = fake.seed_contacts(25)
    fake.seed_members(gid, phones[:20])
    fake.seed_members(other, phones[15:])
    async with fake.client() as c:
        members = [p async for p in c.membership.members(gid)]
    assert members == phones[:20]
    (listing,) = fake.requests_to("GET", "/phonebook/contacts")
    assert listing.query == f"groupIds={gid}"


async def test_concurrent_adds_under_faults_all_land() -> None:
    faults = Faults(server_error=0.2, rate_limit=0.1, retry_after=0.0, seed=7)
    async with MessenteFake(faults=faults) as fake:
        gid = fake.seed_group()
        existing = fake.seed_contacts(30)
        new = [f"+37257{i:06d}" for i in range(30)]
        patient = RetryPolicy(max_attempts=15, backoff_base=0.001, backoff_max=0.005)
        async with fake.client(retry=patient) as c:
            adapter = c.membership
            limit = asyncio.Semaphore(adapter.default_concurrency)

            async def one(phone: str) -> BatchResult:
                async with limit:
                    return await adapter.add(gid, [phone])

            results = await asyncio.gather(*(one(p) for p in existing + new))
        assert all(r.done for r in results), [r for r in results if not r.done]
        assert fake.member_ids(gid) == set(existing + new)
        assert any(r.fault for r in fake.requests)


async def test_ensure_exists_creates_once_and_accepts_the_conflict(fake: MessenteFake) -> None:
    (existing,) = fake.seed_contacts(1)
    new = "+37256000010"
    async with fake.client() as c:
        await c.contacts.ensure_exists(new)
        await c.contacts.ensure_exists(new)  # 409 now: fine
        await c.contacts.ensure_exists(existing)
        with pytest.raises(InvalidRequestError):
            await c.contacts.ensure_exists("37256000010")
    assert new in fake.contacts
    creates = fake.requests_to("POST", "/phonebook/contacts")
    assert [r.body for r in creates] == [
        b'{"phoneNumber":"+37256000010"}',
        b'{"phoneNumber":"+37256000010"}',
        b'{"phoneNumber":"' + existing.encode() + b'"}',
    ]
