"""Messente Phonebook objects: groups and contacts (all contact fields are strings or null)."""

from __future__ import annotations

import datetime as dt

import attrs

from .._http import make_converter

__all__ = ["CONTACT_FIELDS", "Contact", "Group", "converter"]

#: Wire names of the contact fields a create or update may set (the phone number is the key).
CONTACT_FIELDS = (
    "email",
    "firstName",
    "lastName",
    "company",
    "title",
    "custom",
    "custom2",
    "custom3",
    "custom4",
)


@attrs.frozen
class Group:
    """A Phonebook group. ``contacts_count`` is how many contacts are in it.

    Attributes:
        id: the group's UUID.
        name: the group's name (duplicates are allowed).
        contacts_count: number of contacts in the group.
        created_on: when the group was created (UTC, with microseconds).
    """

    id: str
    name: str
    contacts_count: int
    created_on: dt.datetime | None = None


@attrs.frozen
class Contact:
    """A Phonebook contact, keyed by its E.164 phone number.

    The first custom field is ``custom`` (then ``custom2`` .. ``custom4``), as at Messente.
    ``scheduled_deletion_date`` is set while the contact is in no group: Messente deletes a
    contact that has belonged to no group for 30 days.
    """

    phone_number: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    custom: str | None = None
    custom2: str | None = None
    custom3: str | None = None
    custom4: str | None = None
    scheduled_deletion_date: dt.date | None = None


converter = make_converter()
