"""MessageBird's objects as attrs models, and the converter for its wire format.

MessageBird sends camelCase keys, RFC 3339 datetimes with an offset, and ``msisdn`` as a JSON
number. Custom fields are flat in requests (``custom1``..``custom4``) but nested under
``customDetails`` in answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

import attrs

from .._http import WIRE, make_converter

__all__ = [
    "Contact",
    "CustomDetails",
    "ErrorDetail",
    "Group",
    "LinkedCount",
    "Links",
    "ListEnvelope",
    "converter",
]

T = TypeVar("T")


@attrs.frozen
class LinkedCount:
    """A count with the URL that lists it (``group.contacts``, ``contact.groups``)."""

    total_count: int
    href: str | None = None


@attrs.frozen
class Group:
    """A contact group; ``contacts.total_count`` is its number of members."""

    id: str
    name: str
    href: str | None = None
    contacts: LinkedCount | None = None
    created_datetime: dt.datetime | None = None
    updated_datetime: dt.datetime | None = None


@attrs.frozen
class CustomDetails:
    """The four free-text fields of a contact (sent flat as ``custom1``..``custom4``)."""

    custom1: str | None = attrs.field(default=None, metadata={WIRE: "custom1"})
    custom2: str | None = attrs.field(default=None, metadata={WIRE: "custom2"})
    custom3: str | None = attrs.field(default=None, metadata={WIRE: "custom3"})
    custom4: str | None = attrs.field(default=None, metadata={WIRE: "custom4"})


@attrs.frozen
class Contact:
    """A contact; ``msisdn`` is the phone number as an integer (digits, no ``+``)."""

    id: str
    msisdn: int
    href: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    custom_details: CustomDetails = attrs.field(factory=CustomDetails)
    groups: LinkedCount | None = None
    messages: LinkedCount | None = None
    created_datetime: dt.datetime | None = None
    updated_datetime: dt.datetime | None = None


@attrs.frozen
class Links:
    """The envelope's page links (opaque: paging uses offset/limit)."""

    first: str | None = None
    previous: str | None = None
    next: str | None = None
    last: str | None = None


@attrs.frozen
class ListEnvelope(Generic[T]):
    """One page of a listing: ``count`` items here, ``total_count`` across all pages."""

    offset: int
    limit: int
    count: int
    total_count: int
    items: list[T]
    links: Links | None = None


@attrs.frozen
class ErrorDetail:
    """One entry of MessageBird's ``errors`` list."""

    code: int
    description: str
    parameter: str | None = None


converter = make_converter()
