"""The ``multi`` adapter: chunk sizes, every id accounted for, members by contact id."""

from __future__ import annotations

import pytest
from messengeo_support import FAST_RETRY

from contactgroups import InvalidRequestError, NotFoundError, ValidationError
from contactgroups.membership import HasMembership, MembershipAdapter
from contactgroups.messengeo import MessengeoMembership
from contactgroups.testing.messengeo import MessengeoFake


async def test_protocol_and_defaults(fake: MessengeoFake) -> None:
    async with fake.client() as client:
        assert isinstance(client, HasMembership)
        adapter = client.membership
        assert adapter is client.membership  # built once
        assert isinstance(adapter, MembershipAdapter)
        assert adapter.provider == "messengeo"
        assert adapter.max_add_per_call == adapter.max_remove_per_call == 500
        assert adapter.default_concurrency == 4


async def test_chunk_size_configurable(fake: MessengeoFake) -> None:
    async with fake.client(
        max_add_per_call=7, max_remove_per_call=8, membership_concurrency=2
    ) as client:
        assert client.membership.max_add_per_call == 7
        assert client.membership.max_remove_per_call == 8
        assert client.membership.default_concurrency == 2
        view = client.with_options(timeout=5).membership  # rebuilt from the same settings
        assert (view.max_add_per_call, view.max_remove_per_call, view.default_concurrency) == (
            7,
            8,
            2,
        )
        custom = MessengeoMembership(
            client.lists,
            client.contacts,
            max_add_per_call=1,
            max_remove_per_call=1000,
            concurrency=9,
        )
        assert (custom.max_add_per_call, custom.max_remove_per_call) == (1, 1000)
        assert custom.default_concurrency == 9
        for bad in (
            {"max_add_per_call": 0},
            {"max_remove_per_call": 1001},
            {"concurrency": 0},
        ):
            with pytest.raises(InvalidRequestError):
                MessengeoMembership(client.lists, client.contacts, **bad)  # type: ignore[arg-type]


async def test_deprecated_membership_chunk_size_sets_both(fake: MessengeoFake) -> None:
    with pytest.warns(DeprecationWarning, match="membership_chunk_size"):
        client = fake.client(membership_chunk_size=7)
    async with client:
        assert client.membership.max_add_per_call == client.membership.max_remove_per_call == 7
    with (
        pytest.warns(DeprecationWarning, match="membership_chunk_size"),
        pytest.raises(TypeError, match="not both"),
    ):
        fake.client(membership_chunk_size=7, max_add_per_call=7)


def test_deprecated_constant_names() -> None:
    from contactgroups.messengeo import DEFAULT_IDS_PER_CALL, MAX_IDS_IN_BODY, membership

    with pytest.warns(DeprecationWarning, match="MAX_IDS_IN_BODY"):
        assert membership.MAX_CHUNK_SIZE == MAX_IDS_IN_BODY == 1000  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match="DEFAULT_IDS_PER_CALL"):
        assert membership.DEFAULT_CHUNK_SIZE == DEFAULT_IDS_PER_CALL == 500  # type: ignore[attr-defined]


async def test_add_reports_every_id_done_even_if_already(fake: MessengeoFake) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(10)
    async with fake.client() as client:
        first = await client.membership.add(list_id, ids[:4])
        assert first.done == tuple(ids[:4]) and not first.already and not first.failed
        # 4 already members + 6 new: the count (6) is short, the read-back finds all 10 in
        second = await client.membership.add(list_id, ids)
        assert second.done == tuple(ids) and not second.already and not second.failed
    assert fake.member_ids(list_id) == set(ids)


async def test_remove_reports_every_id_done(fake: MessengeoFake) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(5)
    fake.lists[list_id].members.update(dict.fromkeys(ids[:3]))
    async with fake.client() as client:
        result = await client.membership.remove(list_id, ids)
    assert result.done == tuple(ids) and not result.already and not result.failed
    assert fake.member_ids(list_id) == set()


async def test_unknown_contacts_and_lists_are_failed_not_done(fake: MessengeoFake) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(3)
    async with fake.client() as client:
        mixed = await client.membership.add(list_id, [*ids, "424242"])
        typo = await client.membership.add("999999", ids)
    assert mixed.done == tuple(ids)
    assert isinstance(mixed.failed["424242"], NotFoundError)
    assert typo.done == ()
    assert set(typo.failed) == set(ids)  # the vendor counts 0 for an unknown list: not a success
    assert "999999" in str(typo.failed[ids[0]])


async def test_a_full_count_needs_no_read_back(fake: MessengeoFake) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(4)
    async with fake.client() as client:
        await client.membership.add(list_id, ids)
    assert [r.path for r in fake.requests if r.path.endswith("/contacts")] == []


async def test_over_the_chunk_raises_before_sending(fake: MessengeoFake) -> None:
    list_id = fake.seed_group()
    async with fake.client(max_add_per_call=3, max_remove_per_call=3) as client:
        with pytest.raises(InvalidRequestError, match="at most 3"):
            await client.membership.add(list_id, ["1", "2", "3", "4"])
        with pytest.raises(InvalidRequestError, match="at most 3"):
            await client.membership.remove(list_id, ["1", "2", "3", "4"])
    assert fake.requests == []


async def test_failed_call_raises(fake: MessengeoFake) -> None:
    fake.max_ids_per_call = 2
    list_id = fake.seed_group()
    ids = fake.seed_contacts(3)
    async with fake.client(retry=FAST_RETRY) as client:
        with pytest.raises(ValidationError):
            await client.membership.add(list_id, ids)
    assert fake.member_ids(list_id) == set()


async def test_members_walks_every_page(fake: MessengeoFake) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(2345)
    fake.lists[list_id].members.update(dict.fromkeys(ids))
    fake.seed_contacts(10)  # not members
    async with fake.client() as client:
        members = [cid async for cid in client.membership.members(list_id)]
    assert members == ids  # in membership order, no repeats
    pages = fake.requests_to("GET", "/contacts")
    assert len(pages) == 3
    assert all("properties=id" in r.query and "listId=" in r.query for r in pages)


async def test_members_of_unknown_list_is_empty(fake: MessengeoFake) -> None:
    async with fake.client() as client:
        assert [cid async for cid in client.membership.members("4242")] == []
