"""Every optional field of Messente's objects read from a NON-null value: a field read from a
misspelt key would be None here (the vendor's examples show most of them null)."""

from __future__ import annotations

import datetime as dt

import attrs

from contactgroups.messente import Contact, Group
from contactgroups.messente.models import CONTACT_FIELDS, converter


def test_a_group_as_the_seed_page_shows_it() -> None:
    raw = {
        "contactsCount": 1,
        "name": "Any group name",
        "id": "5792a02a-e5c2-422b-a0a0-0ae65d814663",
        "createdOn": "2019-04-22T11:46:23.753613Z",
    }
    group = converter.structure(raw, Group)
    assert group == Group(
        id="5792a02a-e5c2-422b-a0a0-0ae65d814663",
        name="Any group name",
        contacts_count=1,
        created_on=dt.datetime(2019, 4, 22, 11, 46, 23, 753613, tzinfo=dt.timezone.utc),
    )


def test_a_contact_with_every_field_set() -> None:
    raw = {
        "phoneNumber": "+37251000000",
        "email": "anyone@example.com",
        "firstName": "Any",
        "lastName": "Person",
        "company": "Messente",
        "title": "Sir",
        "custom": "first custom",
        "custom2": "second custom",
        "custom3": "third custom",
        "custom4": "fourth custom",
        "scheduledDeletionDate": "2025-05-01",
    }
    contact = converter.structure(raw, Contact)
    assert contact == Contact(
        phone_number="+37251000000",
        email="anyone@example.com",
        first_name="Any",
        last_name="Person",
        company="Messente",
        title="Sir",
        custom="first custom",
        custom2="second custom",
        custom3="third custom",
        custom4="fourth custom",
        scheduled_deletion_date=dt.date(2025, 5, 1),
    )
    assert all(getattr(contact, f.name) is not None for f in attrs.fields(Contact))
    # and the writable ones go back out under the same keys
    sent = converter.unstructure(contact)
    assert {k: sent[k] for k in CONTACT_FIELDS} == {k: raw[k] for k in CONTACT_FIELDS}
