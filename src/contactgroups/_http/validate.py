"""Client-side checks shared by the providers: they fail before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

from ..errors import InvalidRequestError
from .urls import path_segments

__all__ = [
    "E164_RE",
    "chunked",
    "id_list",
    "require_count",
    "require_credential",
    "require_e164",
    "require_text",
    "unique",
]

T = TypeVar("T")

#: E.164: ``+`` then 7 to 15 ASCII digits, no leading zero (matched whole: no trailing newline).
E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")


def require_e164(phone: object, *, provider: str | None = None) -> str:
    """``phone`` if it is E.164 (``+`` then 7 to 15 digits, no leading zero)."""
    if not isinstance(phone, str) or not E164_RE.fullmatch(phone):
        shown = phone if isinstance(phone, str) and len(phone) <= 32 else type(phone).__name__
        raise InvalidRequestError(
            f"phone number must be E.164, like +37251000000 (got {shown!r})", provider=provider
        )
    return phone


def require_count(
    value: object,
    *,
    what: str,
    minimum: int = 1,
    maximum: int | None = None,
    default: int | None = None,
    provider: str | None = None,
) -> int:
    """An integer setting (page size, ids per call, concurrency) within ``minimum..maximum``;
    None means ``default`` where one is given."""
    if value is None and default is not None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        if maximum is not None:
            wanted = f"an integer from {minimum} to {maximum}"
        elif minimum == 1:
            wanted = "a positive integer"
        elif minimum == 0:
            wanted = "a non-negative integer"
        else:
            wanted = f"an integer of at least {minimum}"
        raise InvalidRequestError(f"{what} must be {wanted}, not {value!r}", provider=provider)
    return value


def require_credential(value: object, *, what: str, provider: str) -> str:
    """A credential: a non-blank string that cannot break a header (no CR, LF or NUL).

    The message names the parameter, never the value.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{what} must be a non-empty string", provider=provider)
    if any(ch in value for ch in "\r\n\x00"):
        raise InvalidRequestError(f"{what} must not contain line breaks", provider=provider)
    return value


def require_text(
    value: object, *, what: str, max_length: int | None = None, provider: str | None = None
) -> str:
    """A non-blank string (names, descriptions)."""
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"{what} must be a string, not {type(value).__name__}", provider=provider
        )
    if not value.strip():
        raise InvalidRequestError(f"{what} must not be empty", provider=provider)
    if max_length is not None and len(value) > max_length:
        raise InvalidRequestError(
            f"{what} is {len(value)} characters; the limit is {max_length}", provider=provider
        )
    return value


@overload
def id_list(
    ids: Iterable[object],
    *,
    what: str = ...,
    max_items: int | None = ...,
    provider: str | None = ...,
    convert: None = ...,
) -> list[str]: ...


@overload
def id_list(
    ids: Iterable[object],
    *,
    what: str = ...,
    max_items: int | None = ...,
    provider: str | None = ...,
    convert: Callable[[object], T],
) -> list[T]: ...


def id_list(
    ids: Iterable[object],
    *,
    what: str = "contact id",
    max_items: int | None = None,
    provider: str | None = None,
    convert: Callable[[object], Any] | None = None,
) -> list[Any]:
    """Ids checked one by one, 1..``max_items`` of them (the vendor's limit).

    Each id goes through ``convert`` (default: ``path_segment``, i.e. a non-empty string that is
    safe as one URL path segment; ints become strings). A bare string is refused: it is almost
    always a single id passed where a list was meant.
    """
    if isinstance(ids, (str, bytes)):
        raise InvalidRequestError(f"pass a list of {what}s, not a single string", provider=provider)
    if convert is None:
        values = path_segments(list(ids), what=what, provider=provider)
    else:
        values = [convert(i) for i in ids]
    if not values:
        raise InvalidRequestError(f"at least one {what} is required", provider=provider)
    if max_items is not None and len(values) > max_items:
        raise InvalidRequestError(
            f"{len(values)} {what}s given; the vendor takes at most {max_items} per call",
            provider=provider,
        )
    return values


def unique(values: Iterable[T]) -> list[T]:
    """``values`` without repeats, first occurrence kept, order kept."""
    return list(dict.fromkeys(values))


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(values), size):
        yield values[start : start + size]
