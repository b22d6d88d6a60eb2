"""The membership adapter for ``multi``, against the fake."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from contactgroups.errors import InvalidRequestError, NotFoundError, ValidationError
from contactgroups.membership import MembershipAdapter
from contactgroups.messageflow import Client, MessageFlowMembership
from contactgroups.testing.messageflow import MessageFlowFake


def test_protocol_and_defaults(client: Client) -> None:
    adapter = client.membership
    assert isinstance(adapter, MembershipAdapter)
    assert adapter is client.membership  # built once
    assert adapter.provider == "messageflow"
    assert (adapter.max_add_per_call, adapter.max_remove_per_call) == (1000, 1000)
    assert adapter.default_concurrency == 4


async def test_chunk_sizes_are_configurable(fake: MessageFlowFake) -> None:
    async with fake.client(max_add_per_call=10, max_remove_per_call=1) as client:
        assert (client.membership.max_add_per_call, client.membership.max_remove_per_call) == (
            10,
            1,
        )
        gid = fake.seed_group()
        ids = fake.seed_contacts(11)
        with pytest.raises(InvalidRequestError, match="at most 10"):
            await client.membership.add(gid, ids)
        with pytest.raises(InvalidRequestError, match="at most 1"):
            await client.membership.remove(gid, ids[:2])
    assert not fake.requests_to("POST") and not fake.requests_to("DELETE")


@pytest.mark.parametrize(
    "kwargs",
    [{"max_add_per_call": 0}, {"max_remove_per_call": 1001}, {"concurrency": 0}],
)
def test_bounds(client: Client, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        MessageFlowMembership(client.groups, **kwargs)


async def test_client_keywords_size_the_adapter(fake: MessageFlowFake) -> None:
    async with fake.client(
        max_add_per_call=5, max_remove_per_call=6, membership_concurrency=7
    ) as client:
        for adapter in (client.membership, client.with_options(timeout=5).membership):
            assert (
                adapter.max_add_per_call,
                adapter.max_remove_per_call,
                adapter.default_concurrency,
            ) == (5, 6, 7)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"max_add_per_call": 1001}, "max_add_per_call must be an integer from 1 to 1000"),
        ({"max_remove_per_call": 1001}, "max_remove_per_call must be an integer from 1 to 1000"),
        ({"membership_concurrency": 0}, "concurrency must be a positive integer"),
    ],
)
def test_client_refuses_membership_options_out_of_range(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidRequestError, match=named):
        Client(authorization="a", application_key="b", **kwargs)


async def test_add_and_remove_report_every_id(fake: MessageFlowFake, client: Client) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(1000)
    result = await client.membership.add(gid, ids)
    assert result.done == tuple(ids)
    assert not result.already and not result.failed
    assert fake.member_ids(gid) == set(ids)
    result = await client.membership.remove(gid, ids[:500])
    assert result.done == tuple(ids[:500])
    assert fake.member_ids(gid) == set(ids[500:])


async def test_207_items_are_failed_per_id(fake: MessageFlowFake, client: Client) -> None:
    gid = fake.seed_group()
    good = fake.seed_contacts(3)
    result = await client.membership.add(gid, [good[0], "424242", good[1], "0777", good[2]])
    assert result.done == tuple(good)
    assert set(result.failed) == {"424242", "0777"}
    for bad, echoed in (("424242", "424242"), ("0777", "777")):
        error = result.failed[bad]
        assert isinstance(error, ValidationError)
        assert error.code == "E-3-003"
        assert error.status == 207
        assert error.request_id is not None
        assert error.errors[0]["meta"] == {"parameter": "id", "value": int(echoed)}
    assert fake.member_ids(gid) == set(good)


async def test_207_fails_the_named_id_of_a_chunk_already_in_the_vendors_form(
    fake: MessageFlowFake, client: Client
) -> None:
    # ids as multi sends them (digits, no leading zero, once each): sent as they are
    gid = fake.seed_group()
    good = fake.seed_contacts(2)
    result = await client.membership.add(gid, [good[0], "424242", good[1]])
    assert result.done == tuple(good)
    assert set(result.failed) == {"424242"}
    assert isinstance(result.failed["424242"], ValidationError)
    assert result.failed["424242"].status == 207
    assert fake.member_ids(gid) == set(good)


async def test_a_repeated_id_is_sent_once_and_done_for_each_time_passed(
    fake: MessageFlowFake, client: Client
) -> None:
    gid = fake.seed_group()
    a, b = fake.seed_contacts(2)
    result = await client.membership.add(gid, [a, b, a])
    assert (result.done, result.failed) == ((a, a, b), {})
    assert fake.member_ids(gid) == {a, b}


async def test_all_ids_unknown(fake: MessageFlowFake, client: Client) -> None:
    gid = fake.seed_group()
    result = await client.membership.remove(gid, ["1", "2"])
    assert result.done == () and set(result.failed) == {"1", "2"}


async def test_existing_member_and_non_member_are_done(
    fake: MessageFlowFake, client: Client
) -> None:
    # The vendor answers both with a silent no-op, so nothing can be reported as `already`:
    # the ids land in `done`, never in `failed`.
    gid = fake.seed_group()
    a, b = fake.seed_contacts(2)
    fake.seed_members(gid, [a])
    added = await client.membership.add(gid, [a])
    removed = await client.membership.remove(gid, [b])
    assert (added.done, added.failed) == ((a,), {})
    assert (removed.done, removed.failed) == ((b,), {})
    assert fake.member_ids(gid) == {a}


async def test_non_numeric_ids_fail_without_sinking_the_call(
    fake: MessageFlowFake, client: Client
) -> None:
    gid = fake.seed_group()
    [a] = fake.seed_contacts(1)
    result = await client.membership.add(gid, ["abc", a, "+48500"])
    assert result.done == (a,)
    assert set(result.failed) == {"abc", "+48500"}
    assert all(isinstance(e, InvalidRequestError) for e in result.failed.values())
    only_bad = await client.membership.add(gid, ["x"])
    assert set(only_bad.failed) == {"x"}
    assert len(fake.requests_to("POST")) == 1


async def test_a_whole_call_failure_raises(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.membership.add("999", ["1"])


async def test_members_walks_every_page(fake: MessageFlowFake, client: Client) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(2100)
    fake.seed_members(gid, ids)
    seen = [i async for i in client.membership.members(gid)]
    assert sorted(seen) == sorted(ids)
    assert len(fake.requests_to("GET", f"/group/{gid}/contact")) == 3
    assert [i async for i in client.membership.members(fake.seed_group())] == []


async def test_errors_that_name_no_id_leave_unlisted_ids_failed() -> None:
    body = {
        "meta": {"uniqId": "abc"},
        "data": ["1"],
        "errors": [{"title": "Oops", "message": "something", "code": "E-9-999"}],
    }
    with aioresponses() as m:
        m.post("https://api.messageflow.com/v2.1/group/5/contact", status=207, payload=body)
        async with Client(authorization="auth-1", application_key="app-1", retry=None) as client:
            result = await client.membership.add("5", ["1", "2"])
    assert result.done == ("1",)
    assert set(result.failed) == {"2"}
    assert "outcome unknown" in str(result.failed["2"])
    assert result.failed["2"].request_id == "abc"  # type: ignore[attr-defined]


async def test_members_rejects_a_listed_contact_without_an_id() -> None:
    from contactgroups.errors import MalformedResponseError

    with aioresponses() as m:
        # members() reads the count first: the listing gives no total to prove itself by
        m.get(
            "https://api.messageflow.com/v2.1/group/5/count",
            payload={"meta": {}, "data": [{"count": 2}]},
        )
        m.get(
            "https://api.messageflow.com/v2.1/group/5/contact?offset=0&limit=1000",
            payload={"meta": {}, "data": [{"id": "1"}, {"email": "a@example.com"}]},
        )
        async with Client(authorization="auth-1", application_key="app-1", retry=None) as client:
            with pytest.raises(MalformedResponseError):
                [i async for i in client.membership.members("5")]
