"""The seed page's JSON examples structure into the models, field for field."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from contactgroups.messagebird import (
    Contact,
    CustomDetails,
    ErrorDetail,
    Group,
    LinkedCount,
    Links,
    ListEnvelope,
    converter,
)

GROUP_ID = "61afc0531573b08ddbe36e1c85602827"

# Verbatim from the seed page: the answer to create and to get ...
SEED_CREATE_GET = (
    '{"id": "61afc0531573b08ddbe36e1c85602827","href": '
    '"https://rest.messagebird.com/groups/61afc0531573b08ddbe36e1c85602827","name": "Home",'
    '"contacts": {"totalCount": 0,"href": '
    '"https://rest.messagebird.com/groups/61afc0531573b08ddbe36e1c85602827/contacts"},'
    '"createdDatetime": "2016-04-29T09:42:26+00:00","updatedDatetime": "2016-04-29T09:42:26+00:00"}'
)
# ... and to update (PATCH, 200 + the group).
SEED_UPDATE = SEED_CREATE_GET.replace('"name": "Home"', '"name": "Work"')

# The vendor note's contact (§2.2, Go fixture style) with a +02:00 offset and null custom fields.
CONTACT = {
    "id": "38afc3b2156e00498764d21c57738631",
    "href": "https://rest.messagebird.com/contacts/38afc3b2156e00498764d21c57738631",
    "msisdn": 31612345678,
    "firstName": "Foo",
    "lastName": None,
    "customDetails": {"custom1": "", "custom2": None, "custom3": "c3", "custom4": None},
    "groups": {
        "totalCount": 2,
        "href": "https://rest.messagebird.com/contacts/38afc3b2156e00498764d21c57738631/groups",
    },
    "messages": {
        "totalCount": 0,
        "href": "https://rest.messagebird.com/contacts/38afc3b2156e00498764d21c57738631/messages",
    },
    "createdDatetime": "2018-07-13T10:34:08+02:00",
    "updatedDatetime": None,
    "somethingNew": {"ignored": True},
}

UTC = dt.timezone.utc


@pytest.mark.parametrize(("raw", "name"), [(SEED_CREATE_GET, "Home"), (SEED_UPDATE, "Work")])
def test_seed_group_examples_structure_field_for_field(raw: str, name: str) -> None:
    group = converter.structure(json.loads(raw), Group)
    assert group == Group(
        id=GROUP_ID,
        name=name,
        href=f"https://rest.messagebird.com/groups/{GROUP_ID}",
        contacts=LinkedCount(
            total_count=0, href=f"https://rest.messagebird.com/groups/{GROUP_ID}/contacts"
        ),
        created_datetime=dt.datetime(2016, 4, 29, 9, 42, 26, tzinfo=UTC),
        updated_datetime=dt.datetime(2016, 4, 29, 9, 42, 26, tzinfo=UTC),
    )
    assert group.created_datetime is not None
    assert group.created_datetime.utcoffset() == dt.timedelta(0)


def test_group_keeps_a_non_utc_offset_and_null_updated() -> None:
    data = json.loads(SEED_CREATE_GET)
    data["createdDatetime"] = "2016-04-29T11:42:26+02:00"
    data["updatedDatetime"] = None
    group = converter.structure(data, Group)
    assert group.created_datetime is not None
    assert group.created_datetime.utcoffset() == dt.timedelta(hours=2)
    assert group.created_datetime == dt.datetime(2016, 4, 29, 9, 42, 26, tzinfo=UTC)
    assert group.updated_datetime is None


def test_contact_structures_with_msisdn_as_int_and_nested_custom_details() -> None:
    contact = converter.structure(CONTACT, Contact)
    assert contact == Contact(
        id="38afc3b2156e00498764d21c57738631",
        msisdn=31612345678,
        href="https://rest.messagebird.com/contacts/38afc3b2156e00498764d21c57738631",
        first_name="Foo",
        last_name=None,
        custom_details=CustomDetails(custom1="", custom2=None, custom3="c3", custom4=None),
        groups=LinkedCount(total_count=2, href=CONTACT["groups"]["href"]),  # type: ignore[index]
        messages=LinkedCount(total_count=0, href=CONTACT["messages"]["href"]),  # type: ignore[index]
        created_datetime=dt.datetime(
            2018, 7, 13, 10, 34, 8, tzinfo=dt.timezone(dt.timedelta(hours=2))
        ),
        updated_datetime=None,
    )
    assert isinstance(contact.msisdn, int)


def test_contact_msisdn_sent_as_string_still_becomes_int() -> None:
    contact = converter.structure({**CONTACT, "msisdn": "31612345678"}, Contact)
    assert contact.msisdn == 31612345678


def test_list_envelope_structures_with_links_and_items() -> None:
    envelope = {
        "offset": 0,
        "limit": 20,
        "count": 1,
        "totalCount": 1,
        "links": {
            "first": "https://rest.messagebird.com/groups?offset=0&limit=20",
            "previous": None,
            "next": None,
            "last": "https://rest.messagebird.com/groups?offset=0&limit=20",
        },
        "items": [json.loads(SEED_CREATE_GET)],
    }
    page = converter.structure(envelope, ListEnvelope[Group])
    assert page.offset == 0
    assert page.limit == 20
    assert page.count == 1
    assert page.total_count == 1
    assert page.links == Links(
        first="https://rest.messagebird.com/groups?offset=0&limit=20",
        previous=None,
        next=None,
        last="https://rest.messagebird.com/groups?offset=0&limit=20",
    )
    assert [g.name for g in page.items] == ["Home"]


def test_error_detail_model() -> None:
    raw = {"code": 20, "description": "group not found", "parameter": None}
    assert converter.structure(raw, ErrorDetail) == ErrorDetail(20, "group not found", None)
