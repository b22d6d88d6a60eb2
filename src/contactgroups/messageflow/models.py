"""MessageFlow objects (attrs) and the converter that reads them off the wire.

Ids are kept as ``str``: the vendor sends group ids as JSON numbers and contact ids as strings
(the docs show both), and documents them as integers in request bodies.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import attrs

from .._http import make_converter
from ..errors import ValidationError
from .wire import PROVIDER

__all__ = [
    "BulkResult",
    "Contact",
    "Group",
    "GroupInput",
    "GroupUpdate",
    "ItemError",
    "converter",
]

T = TypeVar("T")

converter = make_converter()


@attrs.frozen
class Group:
    """A contact group (``GET /group``). ``created_at`` arrives as epoch seconds or a naive
    ``YYYY-MM-DD hh:mm:ss`` (the vendor gives no zone)."""

    id: str
    name: str | None = None
    description: str | None = None
    external_id: str | None = None
    created_at: dt.datetime | None = None


@attrs.frozen
class Contact:
    """A contact as listed in a group or found with ``GET /contact``."""

    id: str
    external_id: str | None = None
    email: str | None = None
    phone_number: str | None = None


@attrs.frozen
class GroupInput:
    """One group to create: ``name`` required, ``external_id`` the customer's unique key."""

    name: str
    description: str | None = None
    external_id: str | None = None


@attrs.frozen
class GroupUpdate:
    """One group to update: its id, and the fields to change (None = unchanged)."""

    id: str | int
    name: str | None = None
    description: str | None = None


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


@attrs.frozen
class ItemError:
    """One failed item of a bulk call (a 207): the vendor's error object.

    ``parameter`` is the input field at fault, ``value`` the value sent (as text), ``source`` a
    pointer to the entity; the vendor does not document their exact contents, and ``meta`` keeps
    the whole object.
    """

    title: str | None = None
    message: str | None = None
    code: str | None = None
    parameter: str | None = None
    value: str | None = None
    source: str | None = None
    meta: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any]) -> ItemError:
        meta = raw.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        return cls(
            title=_as_text(raw.get("title")),
            message=_as_text(raw.get("message")),
            code=_as_text(raw.get("code")),
            parameter=_as_text(meta.get("parameter")),
            value=_as_text(meta.get("value")),
            source=_as_text(meta.get("source")),
            meta=dict(meta),
        )

    def to_exception(self, *, status: int = 207, request_id: str | None = None) -> ValidationError:
        """This item's failure as a ``ValidationError`` (what ``multi`` reports per id)."""
        text = self.message or self.title or "the item was not processed"
        if self.parameter is not None:
            text += f" ({self.parameter}={self.value!r})"
        raw: dict[str, Any] = {"title": self.title, "message": self.message, "code": self.code}
        if self.meta:
            raw["meta"] = dict(self.meta)
        return ValidationError(
            text,
            status=status,
            provider=PROVIDER,
            code=self.code,
            request_id=request_id,
            errors=[raw],
        )


@attrs.frozen
class BulkResult(Generic[T]):
    """What a bulk call did: a 200 (``ok``) or a 207 partial success, which is not an exception.

    ``data`` holds what the vendor reports as processed (it may be empty: the docs do not promise
    it), ``errors`` the items that failed and why, ``request_id`` the vendor's ``meta.uniqId``.
    """

    data: tuple[T, ...] = ()
    errors: tuple[ItemError, ...] = ()
    request_id: str | None = None
    status: int = 200

    @property
    def ok(self) -> bool:
        """True when no item failed."""
        return not self.errors
