"""Errors and outcomes as plain, JSON-safe data: what a journal stores and ``Report.to_dict``
gives. An error keeps its class, status, vendor code, ``retry_after``, ``maybe_landed`` and its
message (as the SDK built it: the client's credentials were scrubbed when it was raised; cut to
``MESSAGE_CHARS``). Loading one gives an error of the same class with those fields."""

from __future__ import annotations

from typing import Any

import attrs

from .. import errors as ladder
from ..errors import APIError, ContactGroupsError, TransportError

__all__ = ["MESSAGE_CHARS", "SavedTarget", "error_from_dict", "error_to_dict"]

MESSAGE_CHARS = 1000


@attrs.frozen
class SavedTarget:
    """A target read back from a saved report or a journal: where its ids went, no client."""

    provider: str
    group_id: str


def error_to_dict(error: ContactGroupsError) -> dict[str, Any]:
    """``error`` as JSON-safe data."""
    message = error.message if isinstance(error, APIError) else str(error)
    data: dict[str, Any] = {
        "error": type(error).__name__,
        "message": message[:MESSAGE_CHARS],
        "provider": error.provider,
        "maybe_landed": bool(error.maybe_landed),
    }
    if isinstance(error, APIError):
        data["status"] = error.status
        data["code"] = error.code if isinstance(error.code, (str, int)) else None
        data["request_id"] = error.request_id
        data["retry_after"] = error.retry_after
    return data


def error_from_dict(data: dict[str, Any]) -> ContactGroupsError:
    """The error ``error_to_dict`` saved (of a class unknown here: a ``ContactGroupsError``)."""
    name = str(data.get("error", "ContactGroupsError"))
    found = getattr(ladder, name, None)
    cls: type[ContactGroupsError] = ContactGroupsError
    if isinstance(found, type) and issubclass(found, ContactGroupsError):
        cls = found
    message = str(data.get("message", ""))
    provider = data.get("provider")
    error: ContactGroupsError
    if isinstance(cls, type) and issubclass(cls, APIError):
        retry_after = data.get("retry_after")
        error = cls(
            message,
            status=int(data.get("status") or 0),
            provider=str(provider or ""),
            code=data.get("code"),
            request_id=data.get("request_id"),
            retry_after=None if retry_after is None else float(retry_after),
        )
    elif issubclass(cls, TransportError):
        maybe = bool(data.get("maybe_landed", True))
        error = cls(message, provider=provider, never_sent=not maybe)
    else:
        error = cls.__new__(cls)
        Exception.__init__(error, message)
        error.provider = provider
    if bool(data.get("maybe_landed")) != error.maybe_landed:
        error.maybe_landed = bool(data.get("maybe_landed"))
    return error
