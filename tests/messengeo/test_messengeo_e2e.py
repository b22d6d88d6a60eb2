"""End to end against the fake: lists, chunked membership, merge, import, removal, deletion."""

from __future__ import annotations

import io
import zipfile

from messengeo_support import FAST_RETRY

from contactgroups import multi
from contactgroups.messengeo import ContactList, NewContact
from contactgroups.testing import Faults
from contactgroups.testing.messengeo import MessengeoFake

CSV = (
    "email;mobile;firstName;lastName\n"
    "jean.dupont@example.fr;+33612345678;Jean;Dupont\n"
    "marie.curie@example.fr;;Marie;Curie\n"
    "not-an-email;;Bad;Row\n"
    ";+33699887766;;\n"
)


async def test_full_story(fake: MessengeoFake) -> None:
    contact_ids = fake.seed_contacts(1200)
    async with fake.client(retry=FAST_RETRY) as client:
        first = await client.lists.create("Clients Nantes", description="Fidélité 2025")
        second = await client.lists.create("Clients Rennes")
        assert first.id.isdigit() and second.id.isdigit() and first.id != second.id

        # 1,200 contacts into the first list, 500 per call, through the membership adapter
        adapter = client.membership
        assert adapter.max_add_per_call == 500
        added = 0
        for start in range(0, 1200, adapter.max_add_per_call):
            batch = contact_ids[start : start + adapter.max_add_per_call]
            result = await adapter.add(first.id, batch)
            added += len(result.done)
        assert added == 1200
        assert len(fake.requests_to("POST", "/lists")) == 2 + 3  # two creates, three chunks
        assert fake.member_ids(first.id) == set(contact_ids)
        await client.lists.add_contacts(second.id, contact_ids[:10])

        stats = await client.lists.get(first.id, properties=["DEFAULT", "stats", "dateCreated"])
        assert stats.stats is not None and stats.stats.subscribers == 1200
        assert stats.description == "Fidélité 2025"
        assert stats.date_created is not None

        # merge: a new list with the members of both
        merged = await client.lists.merge([first.id, second.id], "Bretagne + Loire")
        assert merged.name == "Bretagne + Loire"
        assert fake.member_ids(merged.id) == set(contact_ids)
        members = [cid async for cid in adapter.members(merged.id)]
        assert sorted(members) == sorted(contact_ids)

        # import a CSV with a header line; it completes after a poll
        imported = await client.lists.import_file(
            "Import salon", CSV.encode(), filename="salon.csv", ignore_first_line=True
        )
        result = await client.lists.wait_for_import(imported.id, poll_interval=1, timeout=5)
        assert (result.lines, result.invalid) == (4, 1)
        assert result.errors is not None
        imported_contacts = [
            c
            async for c in client.lists.list_contacts(
                imported.id, properties=["DEFAULT", "listIds"]
            )
        ]
        assert {c.email for c in imported_contacts} == {
            "jean.dupont@example.fr",
            "marie.curie@example.fr",
            None,
        }
        assert all(imported.id in (c.list_ids or ()) for c in imported_contacts)
        jean = await client.contacts.find(email="jean.dupont@example.fr")
        assert [c.first_name for c in jean.items] == ["Jean"]

        # remove 700 contacts from the first list, in chunks
        to_remove = contact_ids[:700]
        removed = 0
        for start in range(0, 700, 500):
            removed += await client.lists.remove_contacts(first.id, to_remove[start : start + 500])
        assert removed == 700
        assert fake.member_ids(first.id) == set(contact_ids[700:])
        # removing them again changes nothing: the vendor counts only real changes
        assert await client.lists.remove_contacts(first.id, to_remove[:5]) == 0

        # rename, then delete every list
        assert await client.lists.update([first.id], name="Clients Nantes 2025") == 1
        assert (await client.lists.get(first.id)).name == "Clients Nantes 2025"
        every = [item.id async for item in client.lists.list()]
        assert set(every) == {first.id, second.id, merged.id, imported.id}
        assert await client.lists.delete(every) == 4
        assert [item async for item in client.lists.list()] == []
        # the contacts survive their lists
        assert (await client.contacts.find(ids=contact_ids[:3])).total == 3


async def test_contacts_from_emails_and_phones_to_membership(fake: MessengeoFake) -> None:
    list_id = fake.seed_group("VIP")
    async with fake.client() as client:
        created = await client.contacts.create(
            [
                NewContact(email="a@example.fr", first_name="A"),
                NewContact(mobile="+33611111111"),
                {"email": "c@example.fr", "mobile": "+33622222222", "field01": "gold"},
            ]
        )
        assert [c.id for c in created] == sorted(c.id for c in created)
        assert created[2].field01 == "gold"
        found = [
            c.id
            async for c in client.contacts.find(
                email=["a@example.fr", "c@example.fr"], properties=["id"]
            )
        ]
        by_phone = [c.id async for c in client.contacts.find(mobile="+33611111111")]
        assert set(found) | set(by_phone) == {c.id for c in created}
        assert await client.lists.add_contacts(list_id, [*found, *by_phone]) == 3
        assert await client.contacts.update([created[0].id], last_name="Martin") == 1
        again = await client.contacts.find(ids=[created[0].id], properties=["DEFAULT", "listIds"])
        assert again.items[0].last_name == "Martin"
        assert again.items[0].list_ids == (list_id,)
        assert await client.contacts.delete([created[0].id, "424242"]) == 1
        assert fake.member_ids(list_id) == {created[1].id, created[2].id}


async def test_multi_add_and_remove_with_faults() -> None:
    faults = Faults(
        server_error=0.2, rate_limit=0.1, retry_after=0.001, seed=7, only_paths=("/rest/lists",)
    )
    async with MessengeoFake(faults=faults) as fake:
        list_id = fake.seed_group()
        ids = fake.seed_contacts(2300)
        async with fake.client(
            retry=FAST_RETRY, max_add_per_call=250, max_remove_per_call=250
        ) as client:
            report = await multi.add([multi.Target(client, list_id, ids)])
            assert report.total == 2300
            assert report.ok, report.failed_ids()[:3]
            assert fake.member_ids(list_id) == set(ids)
            report = await multi.remove([multi.Target(client, list_id, ids[:1000])])
            assert report.ok
            assert fake.member_ids(list_id) == set(ids[1000:])
        assert {r.fault for r in fake.requests} >= {"server_error", "rate_limit", None}


async def test_import_zip_without_header_and_polls(fake: MessengeoFake) -> None:
    fake.import_polls = 3
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # the documented column order: Civility, First name, Last name, Email, Fixed, Mobile, ...
        archive.writestr(
            "contacts.csv",
            "M.,Jean,Dupont,jean@example.fr,,+33612345678\nMme,Anne,Durand,anne@example.fr,,\n",
        )
    async with fake.client() as client:
        item = await client.lists.import_file("Zip", buffer.getvalue(), filename="c.zip")
        statuses = []
        for _ in range(5):
            got = await client.lists.get(item.id, properties=["importStatus"])
            statuses.append(got.import_status)
        assert statuses == ["on", "on", "on", "ok", "ok"]
        contacts = [c async for c in client.lists.list_contacts(item.id)]
        assert {(c.first_name, c.email) for c in contacts} == {
            ("Jean", "jean@example.fr"),
            ("Anne", "anne@example.fr"),
        }
        assert next(c for c in contacts if c.first_name == "Jean").civility == "M."


async def test_import_updates_existing_contacts(fake: MessengeoFake) -> None:
    async with fake.client() as client:
        (existing,) = await client.contacts.create([{"email": "jean@example.fr"}])
        item = await client.lists.import_file(
            "L",
            b"email,lastName\njean@example.fr,Dupont\n",
            filename="a.csv",
            ignore_first_line=True,
        )
        fake.finish_imports()
        result = await client.lists.wait_for_import(item.id, poll_interval=1, timeout=1)
        assert isinstance(result.list, ContactList)
        assert (result.lines, result.invalid, result.errors) == (1, 0, None)
        assert fake.member_ids(item.id) == {existing.id}
        assert len(fake.contacts) == 1
        assert fake.contacts[existing.id]["lastName"] == "Dupont"
