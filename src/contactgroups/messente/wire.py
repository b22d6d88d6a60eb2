"""Messente's wire: its name, base URL and limits, the E.164 check, and the envelope readers.

A leaf module: it imports only the core, so every other Messente module can import from it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

import cattrs

from .._http import E164_RE, AdapterLimits, Page, Pager, Response, require_e164, to_camel
from ..errors import InvalidRequestError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "MAX_PHONES_PER_CALL",
    "PROVIDER",
    "canonical_as_given",
    "canonical_phone",
    "check_phone",
    "contact_fields",
    "many",
    "one",
    "whole_collection",
]

PROVIDER: Final = "messente"
DEFAULT_BASE_URL: Final = "https://api.messente.com/v1"

#: Group membership changes one phone number per call: there is no bulk add or remove.
MAX_PHONES_PER_CALL: Final = 1

#: Membership calls at once: one phone per call and no documented rate limit (429s are honoured).
DEFAULT_CONCURRENCY: Final = 16

# The vendor does not page: one request returns the whole collection. The pager still needs a
# page size; this one never limits anything.
_WHOLE: Final = 2**31 - 1

T = TypeVar("T")


# a bulk list of E.164 numbers, one a line (the line ends added): ``E164_RE``, repeated
_E164_LINES = re.compile(f"(?:{E164_RE.pattern}\n)+")


def canonical_as_given(phones: Sequence[str]) -> bool:
    """True when ``canonical_phone`` returns every one of ``phones`` as it is (E.164 already,
    its first test), checked in one match over them all (one line end per gap: a phone holding
    one of its own must not pass as two)."""
    joined = "\n".join(phones) + "\n"
    return (
        bool(phones)
        and joined.count("\n") == len(phones)
        and _E164_LINES.fullmatch(joined) is not None
    )


def check_phone(phone: object) -> str:
    """``phone`` if it is E.164 (Messente's contact key), else ``InvalidRequestError``."""
    return require_e164(phone, provider=PROVIDER)


#: The visual separators E.123 allows between digit groups of an international number.
_SEPARATORS = re.compile(r"[ .-]")


def canonical_phone(value: str) -> str:
    """A phone number as Messente stores and lists it: E.164 with its ``+``.

    Surrounding whitespace and the separators of E.123's international form (spaces, hyphens,
    dots) after the ``+`` are dropped: ``"+372 5100-0000"`` is ``"+37251000000"``. Anything
    ambiguous is refused (``InvalidRequestError``), never guessed: a number without ``+`` (a
    ``00``/``011`` prefix or a bare national number means different numbers in different
    countries), parentheses (``+44 (0)20...``: the trunk ``0`` must go, but only there),
    letters, non-ASCII digits.
    """
    if type(value) is str and E164_RE.fullmatch(value):
        return value  # E.164 already: nothing below changes or refuses it
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.startswith("+"):
        text = "+" + _SEPARATORS.sub("", text[1:])
    return check_phone(text)


def _envelope(response: Response, key: str) -> Any:
    data = response.json()
    if not isinstance(data, dict) or key not in data:
        raise response.malformed(f"expected a JSON object with {key!r}")
    return data[key]


def one(response: Response, key: str, cls: type[T], converter: cattrs.Converter) -> T:
    """The object under ``key`` of a ``{"group": {...}}`` style answer, as ``cls``."""
    value = _envelope(response, key)
    if not isinstance(value, dict):
        raise response.malformed(f"{key!r} is not an object")
    return response.structure(converter, value, cls)


def many(response: Response, key: str, cls: type[T], converter: cattrs.Converter) -> list[T]:
    """The list under ``key`` of a ``{"groups": [...]}`` style answer, as ``cls`` items."""
    values = _envelope(response, key)
    if not isinstance(values, list):
        raise response.malformed(f"{key!r} is not a list")
    return response.structure(converter, values, list[cls])  # type: ignore[valid-type]


def whole_collection(
    fetch_all: Callable[[], Awaitable[list[T]]], max_items: int | None
) -> Pager[T]:
    """A pager over a listing Messente returns whole: one page, no next page. The vendor does
    not page, so this listing is one request whatever the answer holds: it cannot loop."""

    async def fetch(offset: int, limit: int) -> Page[T]:
        items = await fetch_all()
        return Page(items=items[:limit], offset=0, limit=None, next_offset=None, total=len(items))

    return Pager(fetch, page_size=_WHOLE, max_items=max_items, provider=PROVIDER)


def contact_fields(**values: str | None) -> dict[str, str]:
    """Contact fields under their wire names (``first_name`` -> ``firstName``), given ones only."""
    body: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidRequestError(
                f"{name} must be a string, not {type(value).__name__}", provider=PROVIDER
            )
        body[to_camel(name)] = value
    return body


#: What ``multi`` may send at once to this vendor, and the adapter's defaults.
LIMITS = AdapterLimits(
    provider=PROVIDER,
    max_add=MAX_PHONES_PER_CALL,
    max_remove=MAX_PHONES_PER_CALL,
    default_add=MAX_PHONES_PER_CALL,
    default_remove=MAX_PHONES_PER_CALL,
    default_concurrency=DEFAULT_CONCURRENCY,
)
