"""End to end against the fake: a group, 60 contacts in and some out, the group deleted."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from messente_helpers import FAST_RETRY

from contactgroups import ConflictError, NotFoundError
from contactgroups.messente import Contact, Group
from contactgroups.testing.messente import MessenteFake


async def test_group_with_sixty_contacts() -> None:
    today = dt.date(2025, 1, 10)
    async with MessenteFake(today=lambda: today) as fake, fake.client(retry=FAST_RETRY) as c:
        group = await c.groups.create("Newsletter EE")
        assert isinstance(group, Group)
        assert group.contacts_count == 0
        assert group.created_on is not None and group.created_on.tzinfo is not None

        phones = [f"+3725{1000000 + i:07d}" for i in range(60)]
        created = await asyncio.gather(
            *(c.contacts.create(p, first_name=f"N{i}") for i, p in enumerate(phones))
        )
        assert [ct.phone_number for ct in created] == phones
        assert all(ct.scheduled_deletion_date == dt.date(2025, 2, 9) for ct in created)

        limit = asyncio.Semaphore(10)

        async def add(phone: str) -> None:
            async with limit:
                await c.groups.add_contact(group.id, phone)

        await asyncio.gather(*(add(p) for p in phones))
        with pytest.raises(ConflictError) as info:
            await c.groups.add_contact(group.id, phones[0])
        assert info.value.code == "204"

        members = [ct.phone_number async for ct in c.groups.list_contacts([group.id])]
        assert sorted(members) == phones
        assert (await c.groups.get(group.id)).contacts_count == 60
        first = await c.contacts.get(phones[0])
        assert first.first_name == "N0"
        assert first.scheduled_deletion_date is None  # in a group: no deletion scheduled
        assert [g.id async for g in c.contacts.list_groups(phones[0])] == [group.id]

        removed = phones[:20]
        await asyncio.gather(*(c.groups.remove_contact(group.id, p) for p in removed))
        with pytest.raises(NotFoundError):
            await c.groups.remove_contact(group.id, removed[0])
        page = await c.groups.list_contacts([group.id])
        assert {ct.phone_number for ct in page.items} == set(phones[20:])
        assert page.next_offset is None
        assert fake.member_ids(group.id) == set(phones[20:])
        assert (await c.groups.get(group.id)).contacts_count == 40
        assert (await c.contacts.get(removed[0])).scheduled_deletion_date == dt.date(2025, 2, 9)

        await c.groups.delete(group.id)
        with pytest.raises(NotFoundError):
            await c.groups.get(group.id)
        assert (await c.groups.list()).items == []

        remaining: list[Contact] = await c.contacts.list().collect()
        assert sorted(ct.phone_number for ct in remaining) == phones  # contacts stay
        assert all(ct.scheduled_deletion_date == dt.date(2025, 2, 9) for ct in remaining)
        assert (await c.contacts.list_groups(phones[-1])).items == []


async def test_membership_adapter_round_trip(fake: MessenteFake) -> None:
    gid = fake.seed_group()
    phones = fake.seed_contacts(30) + [f"+37258{i:06d}" for i in range(30)]  # half not contacts
    async with fake.client() as c:
        adapter = c.membership
        added = await asyncio.gather(*(adapter.add(gid, [p]) for p in phones))
        assert [r.done for r in added] == [(p,) for p in phones]
        assert sorted([p async for p in adapter.members(gid)]) == sorted(phones)
        again = await asyncio.gather(*(adapter.add(gid, [p]) for p in phones[:5]))
        assert [r.already for r in again] == [(p,) for p in phones[:5]]
        gone = await asyncio.gather(*(adapter.remove(gid, [p]) for p in phones[:10]))
        assert [r.done for r in gone] == [(p,) for p in phones[:10]]
        gone = await asyncio.gather(*(adapter.remove(gid, [p]) for p in phones[:10]))
        assert [r.already for r in gone] == [(p,) for p in phones[:10]]
    assert fake.member_ids(gid) == set(phones[10:])


async def test_contact_update_round_trip(fake: MessenteFake) -> None:
    async with fake.client() as c:
        await c.contacts.create("+37251000000", email="a@example.com", custom="one")
        updated = await c.contacts.update("+37251000000", custom4="four", company="Ex OÜ")
        assert (updated.email, updated.custom, updated.custom4, updated.company) == (
            "a@example.com",
            "one",
            "four",
            "Ex OÜ",
        )
        await c.contacts.delete("+37251000000")
        with pytest.raises(NotFoundError):
            await c.contacts.get("+37251000000")
        await c.contacts.create("+37251000001")
        with pytest.raises(ConflictError):
            await c.contacts.create("+37251000001")
