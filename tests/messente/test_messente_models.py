"""The seed page's and the vendor note's JSON examples, structured into the models."""

from __future__ import annotations

import datetime as dt

import pytest
from aioresponses import aioresponses
from messente_helpers import BASE, PASSWORD, USERNAME

from contactgroups import MalformedResponseError, messente
from contactgroups.messente import Contact, Group

# Verbatim from the seed page (GET/PUT/POST answers share this group object).
SEED_GROUP = """{
"group": {
"contactsCount": 1,
"name": "Any group name",
"id": "5792a02a-e5c2-422b-a0a0-0ae65d814663",
"createdOn": "2019-04-22T11:46:23.753613Z"
}
}"""

SEED_GROUPS = """{
"groups": [
{
"contactsCount": 1,
"name": "Any group name",
"id": "5792a02a-e5c2-422b-a0a0-0ae65d814663",
"createdOn": "2019-04-22T11:46:23.753613Z"
}
]
}"""

NOTE_CONTACT = """{ "contact": { "phoneNumber": "+37251000000", "email": "anyone@example.com",
"firstName": "Any", "lastName": "One", "company": "Example OÜ", "title": "Sir",
"custom": "Any custom", "custom2": null, "custom3": null, "custom4": null,
"scheduledDeletionDate": null } }"""

GROUP_ID = "5792a02a-e5c2-422b-a0a0-0ae65d814663"
SEED_EXPECTED = Group(
    id=GROUP_ID,
    name="Any group name",
    contacts_count=1,
    created_on=dt.datetime(2019, 4, 22, 11, 46, 23, 753613, tzinfo=dt.timezone.utc),
)


def client() -> messente.Client:
    return messente.Client(username=USERNAME, password=PASSWORD)


def assert_seed_group(group: Group) -> None:
    assert group == SEED_EXPECTED
    assert group.created_on is not None
    assert group.created_on.microsecond == 753613
    assert group.created_on.utcoffset() == dt.timedelta(0)
    assert type(group.contacts_count) is int


async def test_seed_get_group() -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/groups/{GROUP_ID}", status=200, body=SEED_GROUP)
        async with client() as c:
            assert_seed_group(await c.groups.get(GROUP_ID))


async def test_seed_update_group() -> None:
    with aioresponses() as m:
        m.put(f"{BASE}/phonebook/groups/{GROUP_ID}", status=200, body=SEED_GROUP)
        async with client() as c:
            assert_seed_group(await c.groups.update(GROUP_ID, "Any group name"))


async def test_seed_create_group() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/phonebook/groups", status=201, body=SEED_GROUP)
        async with client() as c:
            assert_seed_group(await c.groups.create("Any group name"))


async def test_seed_list_groups_is_one_page() -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/groups", status=200, body=SEED_GROUPS)
        async with client() as c:
            page = await c.groups.list()
    assert len(page.items) == 1
    assert_seed_group(page.items[0])
    assert page.next_offset is None
    assert not page.has_more
    assert page.total == 1


async def test_seed_list_groups_iterates() -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/groups", status=200, body=SEED_GROUPS)
        async with client() as c:
            groups = [g async for g in c.groups.list()]
    assert groups == [SEED_EXPECTED]


async def test_note_contact_example() -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/contacts/%2B37251000000", status=200, body=NOTE_CONTACT)
        async with client() as c:
            contact = await c.contacts.get("+37251000000")
    assert contact == Contact(
        phone_number="+37251000000",
        email="anyone@example.com",
        first_name="Any",
        last_name="One",
        company="Example OÜ",
        title="Sir",
        custom="Any custom",
        custom2=None,
        custom3=None,
        custom4=None,
        scheduled_deletion_date=None,
    )


def test_contact_fields_and_dates() -> None:
    data = {
        "phoneNumber": "+37251000000",
        "custom": "a",
        "custom2": "b",
        "custom3": "c",
        "custom4": "d",
        "scheduledDeletionDate": "2020-08-31",
        "somethingNew": {"x": 1},
    }
    contact = messente.models.converter.structure(data, Contact)
    assert (contact.custom, contact.custom2, contact.custom3, contact.custom4) == (
        "a",
        "b",
        "c",
        "d",
    )
    assert contact.scheduled_deletion_date == dt.date(2020, 8, 31)


def test_group_tolerates_string_count_and_unknown_fields() -> None:
    data = {"id": GROUP_ID, "name": "n", "contactsCount": "3", "colour": "red"}
    group = messente.models.converter.structure(data, Group)
    assert group.contacts_count == 3
    assert group.created_on is None


@pytest.mark.parametrize(
    "body",
    [
        '{"group": {"id": "x", "name": "n"}}',  # contactsCount is required
        '{"group": {"id": "x", "name": "n", "contactsCount": "many"}}',
        '{"group": [1, 2]}',
        '{"groups": []}',
        "[]",
        "<html>Bad gateway</html>",
        "",
    ],
)
async def test_malformed_group_answer(body: str) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/groups/g1", status=200, body=body)
        async with client() as c:
            with pytest.raises(MalformedResponseError) as info:
                await c.groups.get("g1")
    assert info.value.body == body
    assert info.value.provider == "messente"


@pytest.mark.parametrize("body", ['{"groups": {"id": "x"}}', '{"contacts": []}', '{"groups": [1]}'])
async def test_malformed_group_list(body: str) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/groups", status=200, body=body)
        async with client() as c:
            with pytest.raises(MalformedResponseError):
                await c.groups.list()
