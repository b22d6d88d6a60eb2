"""MessageBird's constants and wire rules, defined once: limits, phone numbers, the add form and
the list envelope.

A leaf: it imports only the shared core and the error ladder, so every other module of the
package can import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from .._http import AdapterLimits, Response, all_plain, path_segment, plain_text
from .._http.urls import quote_text
from ..errors import InvalidRequestError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "MAX_IDS_PER_ADD",
    "MAX_IDS_PER_REMOVE",
    "PROVIDER",
    "canonical_as_given",
    "canonical_id",
    "has_no_body",
    "ids_form",
    "next_offset",
    "normalize_msisdn",
    "optional_text",
    "read_envelope",
    "read_object",
]

PROVIDER: Final = "messagebird"
DEFAULT_BASE_URL: Final = "https://rest.messagebird.com"
#: The documented maximum of contact ids per ``PUT /groups/{id}/contacts``.
MAX_IDS_PER_ADD: Final = 50
#: ``DELETE /groups/{id}/contacts/{contactId}`` removes one contact; there is no bulk remove.
MAX_IDS_PER_REMOVE: Final = 1
#: The page size the Go and Java SDKs use; no maximum is documented.
DEFAULT_PAGE_SIZE: Final = 20
#: Membership calls at once: one id per remove and no documented rate limit (429s are honoured).
DEFAULT_CONCURRENCY: Final = 16


def normalize_msisdn(value: object, *, what: str = "msisdn") -> str:
    """A phone number as MessageBird wants it: digits with the country code, no ``+``."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidRequestError(
            f"{what} must be a string or an integer, not {type(value).__name__}",
            provider=PROVIDER,
        )
    text = str(value).strip()
    if text.startswith("+"):
        text = text[1:]
    if not text or not text.isascii() or not text.isdigit():
        raise InvalidRequestError(
            f"{what} must be digits with the country code (an optional leading + is dropped)",
            provider=PROVIDER,
        )
    return text


def canonical_id(value: str) -> str:
    """A contact id as MessageBird stores and lists it: surrounding whitespace dropped, nothing
    else changed (ids look like 32 lower-case hex digits, but no source says the vendor reads
    them case-insensitively, so case is kept); an empty id or one that is no path segment
    (``.``, ``..``, control characters) is refused."""
    if type(value) is str and plain_text(value):
        return value  # the usual id (checked on its bytes: in C): nothing below changes it
    text = value.strip() if isinstance(value, str) else value
    return path_segment(text, what="contact id", provider=PROVIDER)


def canonical_as_given(ids: Sequence[str]) -> bool:
    """True when ``canonical_id`` returns every one of ``ids`` as it is: all plain ASCII letters
    and digits (its first test), checked joined, at once."""
    return all_plain(ids)


def optional_text(value: object, what: str) -> str | None:
    """``value`` if it is a string or None (a contact's optional text fields)."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidRequestError(
        f"{what} must be a string, not {type(value).__name__}", provider=PROVIDER
    )


def ids_form(ids: Iterable[str]) -> bytes:
    """The add-contacts form body ``ids[]=ID1&ids[]=ID2``, brackets literal as in the docs' curl;
    an id that is not plain ASCII letters and digits is percent-encoded."""
    values = list(ids)
    if plain_text("".join(values)):  # every id plain, the usual case: joined at once
        return ("ids[]=" + "&ids[]=".join(values)).encode("ascii")
    return "&".join("ids[]=" + quote_text(i) for i in values).encode("ascii")


def has_no_body(response: Response) -> bool:
    """True for a 204 or an empty answer: a PATCH MessageBird may answer either way."""
    return response.status == 204 or not response.body.strip()


def read_object(response: Response, what: str) -> dict[str, Any]:
    """The JSON object of an answer; anything else is a malformed answer."""
    data = response.json()
    if not isinstance(data, dict):
        raise response.malformed(f"expected a {what} object")
    return data


def read_envelope(response: Response) -> dict[str, Any]:
    """A ``{offset, limit, count, totalCount, links, items}`` listing with an ``items`` list."""
    data = response.json()
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise response.malformed("expected a list envelope with an items list")
    return data


def next_offset(offset: int, count: int, total_count: int | None) -> int | None:
    """Where the next page starts: ``offset + count`` (the items this page really held) while
    that is below ``totalCount``, MessageBird's end marker.

    A page shorter than asked is not the end: no maximum page size is documented, so the vendor
    may cap pages below the limit asked. ``links`` are not read (the notes call them opaque).
    An empty page is the end; without a total the listing runs until one (the pager's checks
    for repeats and its page cap make it end).
    """
    end = offset + count
    if count <= 0:
        return None
    return end if total_count is None or end < total_count else None


#: What ``multi`` may send at once to this vendor, and the adapter's defaults.
LIMITS = AdapterLimits(
    provider=PROVIDER,
    max_add=MAX_IDS_PER_ADD,
    max_remove=MAX_IDS_PER_REMOVE,
    default_add=MAX_IDS_PER_ADD,
    default_remove=MAX_IDS_PER_REMOVE,
    default_concurrency=DEFAULT_CONCURRENCY,
)
