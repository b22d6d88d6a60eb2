"""Every optional field of MessageBird's objects read from a NON-null value: a field read from a
misspelt key would be None here (with null, as in the seed's and the note's examples, a wrong key
gives None all the same and no test notices)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

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

CONTACT_ID = "38afc3b2156e00498764d21c57738631"
GROUP_ID = "61afc0531573b08ddbe36e1c85602827"
BASE = "https://rest.messagebird.com"
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def no_field_is_none(obj: Any) -> None:
    """Every attrs field of ``obj``, and of the attrs objects in it, holds a value."""
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        assert value is not None, f"{type(obj).__name__}.{field.name}"
        if attrs.has(type(value)):
            no_field_is_none(value)


CONTACT = {
    "id": CONTACT_ID,
    "href": f"{BASE}/contacts/{CONTACT_ID}",
    "msisdn": 31612345678,
    "firstName": "Foo",
    "lastName": "Bar",
    "customDetails": {"custom1": "c1", "custom2": "c2", "custom3": "c3", "custom4": "c4"},
    "groups": {"totalCount": 2, "href": f"{BASE}/contacts/{CONTACT_ID}/groups"},
    "messages": {"totalCount": 7, "href": f"{BASE}/contacts/{CONTACT_ID}/messages"},
    "createdDatetime": "2018-07-13T10:34:08+02:00",
    "updatedDatetime": "2019-01-02T03:04:05+02:00",
}


def test_a_contact_with_every_field_set() -> None:
    contact = converter.structure(CONTACT, Contact)
    assert contact == Contact(
        id=CONTACT_ID,
        msisdn=31612345678,
        href=f"{BASE}/contacts/{CONTACT_ID}",
        first_name="Foo",
        last_name="Bar",
        custom_details=CustomDetails(custom1="c1", custom2="c2", custom3="c3", custom4="c4"),
        groups=LinkedCount(total_count=2, href=f"{BASE}/contacts/{CONTACT_ID}/groups"),
        messages=LinkedCount(total_count=7, href=f"{BASE}/contacts/{CONTACT_ID}/messages"),
        created_datetime=dt.datetime(2018, 7, 13, 10, 34, 8, tzinfo=PLUS2),
        updated_datetime=dt.datetime(2019, 1, 2, 3, 4, 5, tzinfo=PLUS2),
    )
    no_field_is_none(contact)


def test_a_group_with_an_update_after_its_creation() -> None:
    raw = {
        "id": GROUP_ID,
        "href": f"{BASE}/groups/{GROUP_ID}",
        "name": "Home",
        "contacts": {"totalCount": 3, "href": f"{BASE}/groups/{GROUP_ID}/contacts"},
        "createdDatetime": "2016-04-29T09:42:26+00:00",
        "updatedDatetime": "2016-05-01T11:00:00+00:00",
    }
    group = converter.structure(raw, Group)
    assert group.updated_datetime == dt.datetime(2016, 5, 1, 11, 0, tzinfo=dt.timezone.utc)
    assert group.created_datetime == dt.datetime(2016, 4, 29, 9, 42, 26, tzinfo=dt.timezone.utc)
    assert group.contacts == LinkedCount(3, f"{BASE}/groups/{GROUP_ID}/contacts")
    no_field_is_none(group)


def test_a_middle_page_has_every_link() -> None:
    raw = {
        "offset": 20,
        "limit": 20,
        "count": 1,
        "totalCount": 41,
        "links": {
            "first": f"{BASE}/groups?offset=0&limit=20",
            "previous": f"{BASE}/groups?offset=0&limit=20",
            "next": f"{BASE}/groups?offset=40&limit=20",
            "last": f"{BASE}/groups?offset=40&limit=20",
        },
        "items": [CONTACT],
    }
    page = converter.structure(raw, ListEnvelope[Contact])
    assert page.links == Links(
        first=f"{BASE}/groups?offset=0&limit=20",
        previous=f"{BASE}/groups?offset=0&limit=20",
        next=f"{BASE}/groups?offset=40&limit=20",
        last=f"{BASE}/groups?offset=40&limit=20",
    )
    assert (page.offset, page.limit, page.count, page.total_count) == (20, 20, 1, 41)
    assert page.items == [converter.structure(CONTACT, Contact)]
    no_field_is_none(page)


def test_an_error_detail_naming_its_parameter() -> None:
    raw = {"code": 9, "description": "no (correct) recipients found", "parameter": "msisdn"}
    detail = converter.structure(raw, ErrorDetail)
    assert detail == ErrorDetail(
        code=9, description="no (correct) recipients found", parameter="msisdn"
    )
