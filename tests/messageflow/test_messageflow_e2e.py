"""End to end against the fake: the whole life of a group, and long-running counts."""

from __future__ import annotations

import time

import pytest

from contactgroups.errors import TimeoutError
from contactgroups.messageflow import Client, GroupInput, GroupUpdate
from contactgroups.testing.messageflow import MessageFlowFake


async def test_group_lifecycle(fake: MessageFlowFake, client: Client) -> None:
    contacts = fake.seed_contacts(2600)
    first, extra = contacts[:2500], contacts[2500:]

    created = await client.groups.create(
        GroupInput(name="VIP customers", description="Spring campaign", external_id="vip-2025")
    )
    assert created.ok and created.status == 200
    [group] = created.data
    assert (group.name, group.external_id) == ("VIP customers", "vip-2025")
    assert group.created_at is not None
    gid = group.id
    assert gid.isdigit()

    # 2,500 contacts in 3 calls of at most 1000
    for start in range(0, 2500, 1000):
        result = await client.groups.add_contacts(gid, first[start : start + 1000])
        assert result.ok
        assert result.request_id is not None
    assert len(fake.requests_to("POST", f"/group/{gid}/contact")) == 3
    assert fake.member_ids(gid) == set(first)

    # listed across 3 pages
    pages = [page async for page in client.groups.list_contacts(gid, page_size=1000).pages()]
    assert [len(p.items) for p in pages] == [1000, 1000, 500]
    assert [p.next_offset for p in pages] == [1000, 2000, None]
    assert {c.id for p in pages for c in p.items} == set(first)
    assert len({p.request_id for p in pages}) == 3

    # a mix of valid and unknown ids: a per-item 207 result, not an exception
    mixed = await client.groups.add_contacts(gid, [*extra[:2], 1, "2", first[0]])
    assert mixed.status == 207 and not mixed.ok
    assert {e.value for e in mixed.errors} == {"1", "2"}
    assert {e.parameter for e in mixed.errors} == {"id"}
    assert {e.code for e in mixed.errors} == {"E-3-003"}
    assert set(mixed.data) == {*extra[:2], first[0]}
    assert fake.member_ids(gid) == {*first, *extra[:2]}

    # the count answers 202 once, then 200
    fake.set_dynamic(gid)
    assert await client.groups.count_contacts(gid) == 2502
    counts = fake.requests_to("GET", f"/group/{gid}/count")
    assert len(counts) == 2

    removed = await client.groups.remove_contacts(gid, first[:1000])
    assert removed.ok
    assert fake.member_ids(gid) == {*first[1000:], *extra[:2]}

    renamed = await client.groups.update(GroupUpdate(id=gid, name="VIP 2025"))
    assert renamed.ok  # the vendor's 200 lists nothing (meta only), as the seed page shows
    assert [g.name async for g in client.groups.list()] == ["VIP 2025"]

    deleted = await client.groups.delete(gid)
    assert deleted.ok
    assert (await client.groups.list()).items == ()
    assert [c async for c in client.groups.list_contacts(gid)] == []
    # contacts outlive the group
    found = await client.contacts.find(email=fake.contact(first[0])["email"])
    assert found is not None and found.id == first[0]


async def test_contacts_turn_customer_keys_into_ids(fake: MessageFlowFake, client: Client) -> None:
    ids = fake.seed_contacts(3)
    wire = fake.contact(ids[1])
    by_key = await client.contacts.find(external_id=wire["externalId"])
    by_phone = await client.contacts.find(phone_number=wire["phoneNumber"])
    assert by_key is not None and by_phone is not None
    assert by_key.id == by_phone.id == ids[1]
    assert by_key.email == wire["email"]
    assert await client.contacts.find(external_id="nobody") is None
    assert [c.id async for c in client.contacts.list(page_size=2)] == ids


async def test_count_repeats_202_until_done() -> None:
    async with MessageFlowFake(count_pending=3, retry_after=0.02) as fake:
        gid = fake.seed_group(dynamic=True)
        fake.seed_members(gid, fake.seed_contacts(7))
        async with fake.client() as client:
            assert await client.groups.count_contacts(gid) == 7
        assert len(fake.requests_to("GET", f"/group/{gid}/count")) == 4


async def test_count_whose_expires_has_passed_times_out() -> None:
    async with MessageFlowFake(count_pending=1, retry_after=0.05, expires_in=-5) as fake:
        gid = fake.seed_group(dynamic=True)
        async with fake.client() as client:
            with pytest.raises(TimeoutError, match="Expires"):
                await client.groups.count_contacts(gid)
        assert len(fake.requests_to("GET", f"/group/{gid}/count")) == 1


async def test_count_that_never_completes_times_out_within_the_call_timeout() -> None:
    async with MessageFlowFake(count_pending=None, retry_after=0.05) as fake:
        gid = fake.seed_group(dynamic=True)
        async with fake.client() as client:
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await client.groups.count_contacts(gid, timeout=1.5)
            elapsed = time.monotonic() - started
        polls = len(fake.requests_to("GET", f"/group/{gid}/count"))
    assert elapsed < 1.5
    assert polls >= 2  # it did ask again (at most once a second) before giving up


async def test_client_timeout_bounds_the_wait_too() -> None:
    async with MessageFlowFake(count_pending=None, retry_after=0.1) as fake:
        gid = fake.seed_group(dynamic=True)
        async with fake.client(timeout=0.25) as client:
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await client.groups.count_contacts(gid)
    assert time.monotonic() - started < 0.25
