"""Messengeo (Digitaleo) contacts API objects and the provider's converter.

The vendor writes ids and counters as JSON strings (``"id": "7606"``, ``"subscribers": "103456"``)
and dates as naive ``YYYY-MM-DD HH:MM:SS``; the converter turns them into ``str``, ``int`` and
naive ``datetime`` values. Properties the answer leaves out (see ``properties=``) stay None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

from .._http.convert import make_converter, parse_datetime

__all__ = [
    "CONTACT_PROPERTIES",
    "CONTACT_WRITABLE_PROPERTIES",
    "LIST_DEFAULT_PROPERTIES",
    "LIST_PROPERTIES",
    "PHONE_PROPERTIES",
    "Contact",
    "ContactList",
    "ImportResult",
    "ListStats",
    "NewContact",
    "converter",
]

#: What ``GET /lists`` returns without ``properties`` (the vendor's ``DEFAULT`` alias).
LIST_DEFAULT_PROPERTIES = ("id", "name", "description")

#: Every documented property of a list, as wire names.
LIST_PROPERTIES = (
    "id",
    "name",
    "description",
    "stats",
    "importErrors",
    "importLines",
    "importInvalid",
    "importStatus",
    "dateUpdated",
    "dateCreated",
)


@attrs.frozen
class ListStats:
    """Contacts in a list (``subscribers``) and how many each channel can reach."""

    subscribers: int | None = None
    sms: int | None = None
    email: int | None = None
    voice: int | None = None
    voicemail: int | None = None


@attrs.frozen
class ContactList:
    """A Messengeo list (the vendor's word for a group of contacts).

    Only ``id``, ``name`` and ``description`` come back unless more are asked for with
    ``properties`` (e.g. ``("DEFAULT", "stats", "importStatus")``).

    ``import_status`` is ``"on"`` while a file import runs (or a percentage such as ``"10"``) and
    ``"ok"`` when it is done; the ``import_*`` fields are None for a list not made from a file.
    """

    id: str
    name: str | None = None
    description: str | None = None
    stats: ListStats | None = None
    import_errors: str | None = None
    import_lines: int | None = None
    import_invalid: int | None = None
    import_status: str | None = None
    date_updated: dt.datetime | None = None
    date_created: dt.datetime | None = None


#: Every documented property of a contact, as wire names.
CONTACT_PROPERTIES = (
    "id",
    "listIds",
    "dateCreated",
    "dateUpdated",
    "email",
    "phone",
    "mobile",
    "fax",
    "facebookId",
    "twitterId",
    "civility",
    "firstName",
    "lastName",
    "company",
    "reference",
    "birthDate",
    "address1",
    "address2",
    "zipcode",
    "city",
    "state",
    "country",
    "longitude",
    "latitude",
    *(f"field{n:02d}" for n in range(1, 16)),
    "smsOptout",
    "emailOptout",
    "voiceOptout",
    "voicemailOptout",
)

#: The contact properties a create or an update may set (the others are the vendor's).
CONTACT_WRITABLE_PROPERTIES = frozenset(CONTACT_PROPERTIES) - {
    "id",
    "listIds",
    "dateCreated",
    "dateUpdated",
}
#: The contact properties that hold a phone number (sent in E.164).
PHONE_PROPERTIES = frozenset({"mobile", "phone", "fax"})


@attrs.frozen
class Contact:
    """A Messengeo contact. Membership is by contact id; ``list_ids`` are its lists.

    Opt-outs are None, ``"contact"`` or ``"user"`` (``email_optout`` also ``"hardbounced"`` or
    ``"spam"``). ``birth_date`` is kept as the vendor's text (its format is not documented).
    """

    id: str
    list_ids: tuple[str, ...] | None = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    fax: str | None = None
    facebook_id: str | None = None
    twitter_id: str | None = None
    civility: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    reference: str | None = None
    birth_date: str | None = None
    address1: str | None = None
    address2: str | None = None
    zipcode: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    field01: str | None = None
    field02: str | None = None
    field03: str | None = None
    field04: str | None = None
    field05: str | None = None
    field06: str | None = None
    field07: str | None = None
    field08: str | None = None
    field09: str | None = None
    field10: str | None = None
    field11: str | None = None
    field12: str | None = None
    field13: str | None = None
    field14: str | None = None
    field15: str | None = None
    sms_optout: str | None = None
    email_optout: str | None = None
    voice_optout: str | None = None
    voicemail_optout: str | None = None


@attrs.frozen
class NewContact:
    """A contact to create (``client.contacts.create``); None fields are not sent.

    ``mobile``, ``phone`` and ``fax`` must be E.164 (``+33612345678``): the vendor's own module
    adds the ``+`` itself, so a local form may be misread.
    """

    email: str | None = None
    mobile: str | None = None
    phone: str | None = None
    fax: str | None = None
    civility: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    reference: str | None = None
    birth_date: str | None = None
    address1: str | None = None
    address2: str | None = None
    zipcode: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    fields: Mapping[str, str] = attrs.field(factory=dict)
    """Free fields by wire name (``{"field01": "gold"}``)."""

    def to_wire(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            k: v for k, v in converter.unstructure(self).items() if k != "fields" and v is not None
        }
        data.update(self.fields)
        return data


@attrs.frozen
class ImportResult:
    """A finished file import (``lists.wait_for_import``).

    ``lines`` rows were in the file, ``invalid`` of them were rejected; ``errors`` is the link to
    the vendor's CSV of rejected rows and reasons.
    """

    list: ContactList
    lines: int | None
    invalid: int | None
    errors: str | None


_EMPTY_DATES = {"", "0000-00-00 00:00:00", "0000-00-00"}


def _optional_datetime(value: object, _: type) -> dt.datetime | None:
    # PHP backends write an unset date as "" or all zeros: that is "no date", not a broken answer.
    if value is None or (isinstance(value, str) and value.strip() in _EMPTY_DATES):
        return None
    return parse_datetime(value)


def _optional_int(value: object, _: type) -> int | None:
    if value is None or value == "":
        return None
    result: int = converter.structure(value, int)
    return result


def _make() -> cattrs.Converter:
    conv = make_converter()
    conv.register_structure_hook_func(lambda t: t == (dt.datetime | None), _optional_datetime)
    conv.register_structure_hook_func(lambda t: t == (int | None), _optional_int)
    return conv


converter = _make()
"""The Messengeo converter: camelCase wire names, strings to ints, naive vendor dates."""
