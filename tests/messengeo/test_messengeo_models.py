"""The seed page's and vendor note's JSON examples, structured into the models field for field."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from aioresponses import aioresponses
from messengeo_support import BASE, CLIENT_ID, CLIENT_SECRET, TOKEN_ANSWER, TOKEN_URL

from contactgroups import MalformedResponseError, messengeo
from contactgroups.messengeo import Contact, ContactList, ListStats, converter

# The seed page's list resource, verbatim (its trailing comma after "voicemail" is not JSON;
# it is dropped below, exactly as a real server would not send it).
SEED_LIST = """{ "id": "123456789", "name": "Ma liste de contacts",
"dateUpdated": "2013-01-02 14:00:00", "dateCreated": "2013-01-01 12:00:00",
"importErrors": "https://contacts.messengeo.net/rest/list.csv...", "importLines": "204586",
"importInvalid": "50007", "importStatus": "ok", "stats": { "subscribers": "103456",
"sms": "100003", "email": "45689", "voice": "564", "voicemail": "1025", } }"""
SEED_CREATE = (
    '{ "list": [ { "id": "7606", "name": "Ma liste de diffusion" } ], "size": 1, "total": null }'
)
SEED_MERGE = (
    '{ "size": 1, "total": null, "list": [ { "id": "2671", "name": "Ma liste fusionnée" } ] }'
)
SEED_IMPORT = (
    '{ "size": 1, "total": null, "list": [ { "id": "2671", "name": "Ma liste importée" } ] }'
)

NOTE_LIST_READ = {
    "list": [
        {
            "id": "133201",
            "name": "Clients Nantes",
            "description": "Fidélité 2025",
            "stats": {
                "subscribers": "1532",
                "sms": "1490",
                "email": "1204",
                "voice": "1490",
                "voicemail": "1490",
            },
            "importErrors": None,
            "importLines": None,
            "importInvalid": None,
            "importStatus": None,
            "dateCreated": "2025-02-03 10:12:44",
            "dateUpdated": "2025-03-01 08:00:05",
        }
    ],
    "size": 1,
    "total": None,
}
NOTE_CONTACT = {
    "id": "123456789",
    "listIds": ["2", "9", "133201"],
    "dateCreated": "2025-01-01 12:00:00",
    "dateUpdated": "2025-01-02 14:00:00",
    "email": "jean.dupont@example.fr",
    "mobile": "+33612345678",
    "civility": "M.",
    "firstName": "Jean",
    "lastName": "DUPONT",
    "smsOptout": None,
    "emailOptout": None,
}


def test_seed_list_resource_every_property() -> None:
    data = json.loads(re.sub(r",\s*}", "}", SEED_LIST))
    item = converter.structure(data, ContactList)
    assert item == ContactList(
        id="123456789",
        name="Ma liste de contacts",
        description=None,
        stats=ListStats(subscribers=103456, sms=100003, email=45689, voice=564, voicemail=1025),
        import_errors="https://contacts.messengeo.net/rest/list.csv...",
        import_lines=204586,
        import_invalid=50007,
        import_status="ok",
        date_updated=dt.datetime(2013, 1, 2, 14, 0, 0),
        date_created=dt.datetime(2013, 1, 1, 12, 0, 0),
    )
    assert item.date_created is not None and item.date_created.tzinfo is None  # naive, as sent


def test_note_list_read_with_string_counters() -> None:
    item = converter.structure(NOTE_LIST_READ["list"][0], ContactList)  # type: ignore[index]
    assert item.id == "133201"
    assert item.name == "Clients Nantes"
    assert item.description == "Fidélité 2025"
    assert item.stats == ListStats(
        subscribers=1532, sms=1490, email=1204, voice=1490, voicemail=1490
    )
    assert (item.import_errors, item.import_lines, item.import_invalid, item.import_status) == (
        None,
        None,
        None,
        None,
    )
    assert item.date_created == dt.datetime(2025, 2, 3, 10, 12, 44)
    assert item.date_updated == dt.datetime(2025, 3, 1, 8, 0, 5)


def test_note_contact_example() -> None:
    contact = converter.structure(NOTE_CONTACT, Contact)
    assert contact.id == "123456789"
    assert contact.list_ids == ("2", "9", "133201")
    assert contact.date_created == dt.datetime(2025, 1, 1, 12, 0, 0)
    assert contact.date_updated == dt.datetime(2025, 1, 2, 14, 0, 0)
    assert contact.email == "jean.dupont@example.fr"
    assert contact.mobile == "+33612345678"
    assert (contact.civility, contact.first_name, contact.last_name) == ("M.", "Jean", "DUPONT")
    assert contact.sms_optout is None and contact.email_optout is None
    assert contact.phone is None and contact.field01 is None


def test_numbers_become_ids_and_ints() -> None:
    item = converter.structure(
        {"id": 7606, "stats": {"subscribers": 3, "sms": "2"}, "importLines": 10}, ContactList
    )
    assert item.id == "7606"
    assert item.stats == ListStats(subscribers=3, sms=2)
    assert item.import_lines == 10


def test_default_properties_leave_the_rest_none() -> None:
    item = converter.structure({"id": "7606", "name": "Ma liste de diffusion"}, ContactList)
    assert item == ContactList(id="7606", name="Ma liste de diffusion")


@pytest.mark.parametrize("empty", ["", "0000-00-00 00:00:00", None])
def test_unset_dates_and_counters_are_none(empty: object) -> None:
    item = converter.structure(
        {"id": "1", "dateCreated": empty, "importLines": "" if empty == "" else None}, ContactList
    )
    assert item.date_created is None
    assert item.import_lines is None


def test_unknown_fields_are_ignored() -> None:
    item = converter.structure({"id": "1", "name": "x", "color": "red"}, ContactList)
    assert item == ContactList(id="1", name="x")


@pytest.mark.parametrize(
    ("answer", "name", "list_id"),
    [
        (SEED_CREATE, "Ma liste de diffusion", "7606"),
        (SEED_MERGE, "Ma liste fusionnée", "2671"),
        (SEED_IMPORT, "Ma liste importée", "2671"),
    ],
)
async def test_seed_create_merge_import_answers(answer: str, name: str, list_id: str) -> None:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=TOKEN_ANSWER)
        m.post(re.compile(re.escape(BASE) + r"/lists.*"), body=answer)
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            if "fusionn" in name:
                created = await client.lists.merge(["12", "78", "890"], name)
            elif "import" in name:
                created = await client.lists.import_file(name, b"a;b\n", filename="liste.csv")
            else:
                created = await client.lists.create(name)
    assert created == ContactList(id=list_id, name=name)


async def test_seed_count_answers_with_string_count() -> None:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=TOKEN_ANSWER)
        m.delete(re.compile(re.escape(BASE) + r"/lists.*"), payload={"count": "10"})
        m.put(re.compile(re.escape(BASE) + r"/lists.*"), payload={"count": 10})
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            assert await client.lists.delete(["12", "78"]) == 10
            assert await client.lists.update(["1234"], name="New name of the list") == 10


@pytest.mark.parametrize(
    "body",
    [
        b'{"list": {"id": "1"}, "size": 1}',
        b'{"list": [{"name": "no id"}], "size": 1}',
        b'{"list": [{"id": "1", "stats": {"subscribers": "many"}}]}',
        b'{"list": [], "total": "lots"}',
        b"<html>gateway</html>",
    ],
)
async def test_malformed_list_answers(body: bytes) -> None:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=TOKEN_ANSWER)
        m.get(re.compile(re.escape(BASE) + r"/lists.*"), body=body)
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            with pytest.raises(MalformedResponseError) as info:
                await client.lists.list()
    assert info.value.body == body.decode()


@pytest.mark.parametrize("body", [b'{"count": "ten"}', b'{"list": []}', b"{}", b'{"count": true}'])
async def test_malformed_count_answers(body: bytes) -> None:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=TOKEN_ANSWER)
        m.post(re.compile(re.escape(BASE) + r"/lists.*"), body=body)
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            with pytest.raises(MalformedResponseError):
                await client.lists.add_contacts("7606", ["1"])
