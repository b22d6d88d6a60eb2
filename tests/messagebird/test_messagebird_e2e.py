"""End to end against the fake on 127.0.0.1: a group's whole life through the public client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from contactgroups.errors import InvalidRequestError, NotFoundError
from contactgroups.messagebird import MAX_IDS_PER_ADD
from contactgroups.testing.messagebird import MessageBirdFake


@pytest.fixture
async def fake() -> AsyncIterator[MessageBirdFake]:
    async with MessageBirdFake() as f:
        yield f


async def test_group_lifecycle_with_120_contacts(fake: MessageBirdFake) -> None:
    async with fake.client() as mb:
        group = await mb.groups.create("Newsletter NL")
        assert group.contacts is not None
        assert group.contacts.total_count == 0

        contacts = [
            await mb.contacts.create(f"+3161{i:07d}", first_name=f"P{i}") for i in range(120)
        ]
        ids = [c.id for c in contacts]
        assert len(set(ids)) == 120

        for start in range(0, len(ids), MAX_IDS_PER_ADD):
            await mb.groups.add_contacts(group.id, ids[start : start + MAX_IDS_PER_ADD])
        adds = fake.requests_to("PUT", f"/groups/{group.id}/contacts")
        assert [len(r.body.split(b"&")) for r in adds] == [50, 50, 20]

        pages = [p async for p in mb.groups.list_contacts(group.id, page_size=50).pages()]
        assert [len(p.items) for p in pages] == [50, 50, 20]
        assert [p.total for p in pages] == [120, 120, 120]
        assert [c.id for p in pages for c in p.items] == ids
        assert pages[0].items[7].msisdn == 31610000007

        fetched = await mb.groups.get(group.id)
        assert fetched.contacts is not None
        assert fetched.contacts.total_count == 120

        removed = ids[::10]
        for contact_id in removed:
            await mb.groups.remove_contact(group.id, contact_id)
        remaining = [c.id async for c in mb.groups.list_contacts(group.id, page_size=25)]
        assert remaining == [i for i in ids if i not in set(removed)]
        assert len(remaining) == 108
        assert fake.member_ids(group.id) == set(remaining)

        # removed contacts still exist, in no group
        assert await mb.contacts.list_groups(removed[0]).collect() == []
        assert [g.id for g in await mb.contacts.list_groups(remaining[0]).collect()] == [group.id]

        renamed = await mb.groups.update(group.id, name="Newsletter BE")
        assert renamed.name == "Newsletter BE"

        await mb.groups.delete(group.id)
        with pytest.raises(NotFoundError) as info:
            await mb.groups.get(group.id)
        assert info.value.code == 20
        assert [g async for g in mb.groups.list()] == []
        # contacts survive their group
        assert (await mb.contacts.get(ids[0])).id == ids[0]
        page = await mb.contacts.list()
        assert page.total == 120


async def test_phone_numbers_to_contact_ids(fake: MessageBirdFake) -> None:
    async with fake.client() as mb:
        first = await mb.contacts.create("31612345678")
        second = await mb.contacts.create(31612345678)
        await mb.contacts.create("31699999999")
        found = [c.id async for c in mb.contacts.list(msisdn="+31612345678")]
        assert found == [first.id, second.id]
        updated = await mb.contacts.update(first.id, last_name="Jansen", custom1="vip")
        assert updated.last_name == "Jansen"
        assert updated.custom_details.custom1 == "vip"
        await mb.contacts.delete(second.id)
        assert [c.id async for c in mb.contacts.list(msisdn=31612345678)] == [first.id]


async def test_update_works_when_the_vendor_answers_204() -> None:
    async with (
        MessageBirdFake(group_update_status=204, contact_update_status=204) as fake,
        fake.client() as mb,
    ):
        group = await mb.groups.create("Home")
        contact = await mb.contacts.create("31612345678")
        assert (await mb.groups.update(group.id, name="Work")).name == "Work"
        assert (await mb.contacts.update(contact.id, first_name="Ann")).first_name == "Ann"
        assert len(fake.requests_to("GET", f"/groups/{group.id}")) == 1


async def test_max_items_trims_and_stops_asking(fake: MessageBirdFake) -> None:
    for i in range(30):
        fake.seed_group(f"g{i}")
    async with fake.client() as mb:
        names = [g.name async for g in mb.groups.list(page_size=20, max_items=25)]
    assert names == [f"g{i}" for i in range(25)]
    queries = [r.query for r in fake.requests_to("GET", "/groups")]
    assert queries == ["offset=0&limit=20", "offset=20&limit=5"]


async def test_limits_are_checked_before_the_fake_sees_anything(fake: MessageBirdFake) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(51)
    async with fake.client() as mb:
        with pytest.raises(InvalidRequestError, match="at most 50"):
            await mb.groups.add_contacts(gid, ids)
        with pytest.raises(InvalidRequestError, match="at least one"):
            await mb.groups.add_contacts(gid, [])
    assert fake.requests == []
    assert fake.member_ids(gid) == set()


async def test_a_borrowed_session_is_never_closed(fake: MessageBirdFake) -> None:
    async with aiohttp.ClientSession() as session:
        async with fake.client(session=session) as mb:
            await mb.groups.create("Home")
        assert not session.closed
        async with fake.client(session=session) as again:
            assert len(await again.groups.list().collect()) == 1
