"""Messengeo's wire: its name, URLs and limits, and how ids, properties and ``metaData`` are sent.

Every Messengeo module imports its constants from here, and this module imports only the shared
core and the error ladder, so the package's imports run one way. Writes are form-encoded;
structured values travel as a JSON *string* in a ``metaData`` field; several ids are one
comma-separated value (``id=12,65``), so an id must never contain a comma.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._http import (
    AdapterLimits,
    Response,
    all_plain,
    id_list,
    lenient_int,
    parse_json,
    path_segment,
    plain_text,
    require_text,
    to_camel,
)
from ..errors import InvalidRequestError, NotFoundError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_IDS_PER_CALL",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TOKEN_URL",
    "IMPORT_EXTENSIONS",
    "IMPORT_PROPERTIES",
    "LOOKUP_SIZE",
    "MAX_IDS_IN_BODY",
    "MAX_IDS_IN_QUERY",
    "MAX_IMPORT_BYTES",
    "MAX_NEW_CONTACTS",
    "MEMBERS_PAGE_SIZE",
    "PROVIDER",
    "canonical_as_given",
    "canonical_id",
    "filter_values",
    "id_filter",
    "is_vendor_not_found",
    "log",
    "meta_data",
    "one_id",
    "properties_param",
    "read_count",
]

PROVIDER = "messengeo"
DEFAULT_BASE_URL = "https://contacts.messengeo.net/rest"
DEFAULT_TOKEN_URL = "https://oauth.messengeo.net/token"

#: Ids per ``contactadd``/``contactremove`` call (sent in the form body). The vendor documents
#: no limit; this SDK stops at 1000 to keep one call's body and server work bounded.
MAX_IDS_IN_BODY = 1000
#: Ids per ``id=`` filter on a read, update or delete (sent in the URL, so kept well under the
#: usual 8 KB request-line limits).
MAX_IDS_IN_QUERY = 200
#: Contacts per ``POST /contacts`` (no vendor limit documented; kept bounded the same way).
MAX_NEW_CONTACTS = 500
#: The vendor's limit on an import file: "The file cannot exceed a size of 20Mb".
MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: File types ``action=import`` accepts.
IMPORT_EXTENSIONS: Mapping[str, str] = {
    ".csv": "text/csv",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}
#: The properties ``wait_for_import`` polls.
IMPORT_PROPERTIES = ("DEFAULT", "importStatus", "importLines", "importInvalid", "importErrors")

#: ``limit`` sent on reads unless ``page_size`` says otherwise (the vendor's maximum is unknown).
DEFAULT_PAGE_SIZE = 100
#: Ids per membership call by default (the vendor note's suggestion).
DEFAULT_IDS_PER_CALL = 500
#: Membership calls ``multi`` runs at once against one account (no rate limit is documented).
DEFAULT_CONCURRENCY = 4
#: Page size used to walk a list's members.
MEMBERS_PAGE_SIZE = 1000
#: Ids per read-back of contacts after a short count (they travel in the URL's ``id=`` filter).
LOOKUP_SIZE = MAX_IDS_IN_QUERY

#: The provider's logger (credentials and phone numbers never go in its records).
log = logging.getLogger(f"contactgroups.{PROVIDER}")


def properties_param(properties: Iterable[str] | None) -> str | None:
    """The ``properties=`` value: names comma-joined, snake_case turned into camelCase, with the
    vendor's ``DEFAULT`` alias kept as is; None sends nothing (the default set)."""
    if properties is None:
        return None
    if isinstance(properties, str):
        names = [p.strip() for p in properties.split(",")]
    else:
        names = [
            require_text(p, what="property name", provider=PROVIDER).strip() for p in properties
        ]
    names = [n if n == "DEFAULT" else to_camel(n) for n in names if n]
    if not names:
        raise InvalidRequestError("properties must name at least one property", provider=PROVIDER)
    return ",".join(dict.fromkeys(names))


def id_filter(ids: Iterable[object], what: str, max_items: int) -> str:
    """1..``max_items`` ids as one comma-separated value, repeats dropped; an id with a comma
    (which would split it in two) is refused."""
    values = id_list(ids, what=what, max_items=max_items, provider=PROVIDER)
    for value in values:
        if "," in value:
            raise InvalidRequestError(
                f"{what} {value!r} must not contain a comma", provider=PROVIDER
            )
    return ",".join(dict.fromkeys(values))


def canonical_id(value: str) -> str:
    """A contact id as Messengeo stores and lists it: surrounding whitespace dropped, nothing
    else (ids are written as strings of digits, but nothing says ``"007"`` is ``"7"``); an id
    with a comma (it would split in the ``id=`` filter) or an empty one is refused."""
    if type(value) is str and plain_text(value):
        return value  # the usual id (checked on its bytes: in C): nothing below changes it
    return one_id(value.strip() if isinstance(value, str) else value, "contact id")


def canonical_as_given(ids: Sequence[str]) -> bool:
    """True when ``canonical_id`` returns every one of ``ids`` as it is: all plain ASCII letters
    and digits (its first test), checked joined, at once."""
    return all_plain(ids)


def one_id(value: object, what: str) -> str:
    """One id, checked like the ids of ``id_filter``."""
    text = path_segment(value, what=what, provider=PROVIDER)
    if "," in text:
        raise InvalidRequestError(f"{what} {text!r} must not contain a comma", provider=PROVIDER)
    return text


def filter_values(value: str | Iterable[str], what: str) -> str:
    """A read filter (``email=``, ``mobile=``): one or up to ``MAX_IDS_IN_QUERY`` values, any of
    which may match, comma-joined."""
    values = [value] if isinstance(value, str) else list(value)
    checked = [require_text(v, what=what, provider=PROVIDER).strip() for v in values]
    if not checked:
        raise InvalidRequestError(f"at least one {what} is required", provider=PROVIDER)
    if len(checked) > MAX_IDS_IN_QUERY:
        raise InvalidRequestError(
            f"{len(checked)} {what}s given; at most {MAX_IDS_IN_QUERY} per call", provider=PROVIDER
        )
    if any("," in v for v in checked):
        raise InvalidRequestError(f"a {what} must not contain a comma", provider=PROVIDER)
    return ",".join(dict.fromkeys(checked))


def meta_data(data: Mapping[str, Any]) -> str:
    """The ``metaData`` form field: a compact JSON string."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def read_count(response: Response) -> int:
    """``{"count": n}``, the answer of every write but a create (``n`` may be a string)."""
    data = response.json()
    if not isinstance(data, Mapping) or "count" not in data:
        raise response.malformed("no count in the answer")
    raw = data["count"]
    count = lenient_int(raw)  # ASCII digits within 64 bits, as a number or a string
    if count is None or count < 0:
        shown = repr(raw)[:40] if isinstance(raw, (str, int, float)) else type(raw).__name__
        raise response.malformed(f"count is {shown}, not a count")
    return count


def is_vendor_not_found(error: NotFoundError) -> bool:
    """A real 404 in the vendor's JSON error shape, not a proxy's HTML page (a wrong base URL
    must not look like an empty listing) nor a 200 whose body says 404."""
    if error.status != 404 or not error.body:
        return False
    try:
        data = parse_json(error.body)
    except ValueError:
        return False
    return isinstance(data, Mapping) and str(data.get("status")) == "404"


#: What ``multi`` may send at once to this vendor, and the adapter's defaults.
LIMITS = AdapterLimits(
    provider=PROVIDER,
    max_add=MAX_IDS_IN_BODY,
    max_remove=MAX_IDS_IN_BODY,
    default_add=DEFAULT_IDS_PER_CALL,
    default_remove=DEFAULT_IDS_PER_CALL,
    default_concurrency=DEFAULT_CONCURRENCY,
)
