"""The adapter ``multi`` uses, against the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contactgroups._http import RetryPolicy
from contactgroups.errors import NotFoundError, ServerError, ValidationError
from contactgroups.membership import MembershipAdapter
from contactgroups.messagebird import MessageBirdMembership
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake


@pytest.fixture
async def fake() -> AsyncIterator[MessageBirdFake]:
    async with MessageBirdFake() as f:
        yield f


async def test_adapter_shape_and_limits(fake: MessageBirdFake) -> None:
    async with fake.client() as mb:
        adapter = mb.membership
        assert adapter is mb.membership  # constructed once
        assert isinstance(adapter, MembershipAdapter)
        assert adapter.provider == "messagebird"
        assert adapter.max_add_per_call == 50
        assert adapter.max_remove_per_call == 1
        assert adapter.default_concurrency == 16
    async with fake.client(max_add_per_call=20) as mb:
        assert mb.membership.max_add_per_call == 20


async def test_add_50_in_one_call_all_done(fake: MessageBirdFake) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(50)
    async with fake.client() as mb:
        result = await mb.membership.add(gid, ids)
    assert result.done == tuple(ids)
    assert result.already == ()
    assert result.failed == {}
    assert len(fake.requests_to("PUT", f"/groups/{gid}/contacts")) == 1
    assert fake.member_ids(gid) == set(ids)


async def test_adding_members_again_is_done_since_the_vendor_skips_them(
    fake: MessageBirdFake,
) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(3)
    async with fake.client() as mb:
        await mb.membership.add(gid, ids)
        again = await mb.membership.add(gid, ids)
    assert again.done == tuple(ids)
    assert fake.member_ids(gid) == set(ids)


async def test_unknown_ids_fail_alone_and_good_ids_land(fake: MessageBirdFake) -> None:
    gid = fake.seed_group()
    good = fake.seed_contacts(4)
    ids = [good[0], "ghost1", good[1], good[2], "ghost2", good[3]]
    async with fake.client() as mb:
        result = await mb.membership.add(gid, ids)
    assert result.done == tuple(good)
    assert set(result.failed) == {"ghost1", "ghost2"}
    for error in result.failed.values():
        assert isinstance(error, ValidationError)
        assert error.code == 10
    assert sorted([*result.done, *result.failed]) == sorted(ids)
    assert fake.member_ids(gid) == set(good)
    # one batch call, then one call per id
    assert len(fake.requests_to("PUT", f"/groups/{gid}/contacts")) == 1 + len(ids)


async def test_single_unknown_id_fails_without_a_second_call(fake: MessageBirdFake) -> None:
    gid = fake.seed_group()
    async with fake.client() as mb:
        result = await mb.membership.add(gid, ["ghost"])
    assert set(result.failed) == {"ghost"}
    assert result.done == ()
    assert len(fake.requests_to("PUT", f"/groups/{gid}/contacts")) == 1


async def test_add_to_a_missing_group_raises(fake: MessageBirdFake) -> None:
    ids = fake.seed_contacts(2)
    async with fake.client() as mb:
        with pytest.raises(NotFoundError) as info:
            await mb.membership.add("nope", ids)
    assert info.value.code == 20


async def test_remove_member_done_non_member_already(fake: MessageBirdFake) -> None:
    gid = fake.seed_group()
    a, b = fake.seed_contacts(2)
    async with fake.client() as mb:
        await mb.membership.add(gid, [a])
        removed = await mb.membership.remove(gid, [a])
        not_member = await mb.membership.remove(gid, [b])
    assert removed.done == (a,)
    assert not_member.already == (b,)
    assert not_member.done == ()
    assert fake.member_ids(gid) == set()


async def test_remove_server_error_raises() -> None:
    faults = Faults(server_error=1.0, server_error_status=500, only_paths=("/groups/",))
    async with MessageBirdFake(faults=faults) as fake:
        gid = fake.seed_group()
        (a,) = fake.seed_contacts(1)
        async with fake.client(retry=None) as mb:
            with pytest.raises(ServerError):
                await mb.membership.remove(gid, [a])


async def test_members_walks_every_page(fake: MessageBirdFake) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(45)
    async with fake.client() as mb:
        await mb.membership.add(gid, ids)
        members = [m async for m in mb.membership.members(gid)]
        wide = MessageBirdMembership(mb.groups, members_page_size=100)
        assert [m async for m in wide.members(gid)] == ids
    assert members == ids
    lists = fake.requests_to("GET", f"/groups/{gid}/contacts")
    assert [r.query for r in lists[:3]] == [
        "offset=0&limit=20",
        "offset=20&limit=20",
        "offset=40&limit=20",
    ]


async def test_adds_land_exactly_once_through_faults() -> None:
    faults = Faults(server_error=0.3, rate_limit=0.2, seed=7, only_paths=("/groups/",))
    async with MessageBirdFake(faults=faults) as fake:
        gid = fake.seed_group()
        ids = fake.seed_contacts(200)
        retry = RetryPolicy(max_attempts=12, backoff_base=0.001, backoff_max=0.002)
        async with fake.client(retry=retry) as mb:
            for start in range(0, 200, 50):
                result = await mb.membership.add(gid, ids[start : start + 50])
                assert len(result.done) == 50
        assert fake.member_ids(gid) == set(ids)
