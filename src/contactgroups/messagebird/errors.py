"""MessageBird's error body and documented codes.

MessageBird answers every error with ``{"errors": [{"code", "description", "parameter"}]}``; the
HTTP status carries the category and ``code`` (an integer) the reason. The shared ladder is chosen
by status; the first error's code is kept as ``APIError.code`` and every error in ``.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._http import STRUCTURE_ERRORS, ErrorInfo, Response, lenient_int
from ..errors import APIError
from .models import ErrorDetail, converter

__all__ = [
    "ACCESS_DENIED",
    "API_NOT_FOUND",
    "BAD_REQUEST",
    "CODES",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "MISSING_PARAMS",
    "NOT_ENOUGH_BALANCE",
    "NOT_FOUND",
    "error_details",
    "parse_error",
]

#: 401: missing or wrong access key ("Request not allowed (incorrect access_key)").
ACCESS_DENIED: Final = 2
#: 422: a required parameter is missing.
MISSING_PARAMS: Final = 9
#: 422: a parameter is invalid ("msisdn is invalid"; more than 50 ids, in our fake).
INVALID_PARAMS: Final = 10
#: 404: the group, contact or resource does not exist.
NOT_FOUND: Final = 20
#: 400: bad request (seen from Lookup).
BAD_REQUEST: Final = 21
#: not enough balance.
NOT_ENOUGH_BALANCE: Final = 25
#: unconfirmed: "API not found".
API_NOT_FOUND: Final = 98
#: unconfirmed: "internal error".
INTERNAL_ERROR: Final = 99

#: Every code MessageBird is known to send, with its meaning (98 and 99 are unconfirmed).
CODES: Final[Mapping[int, str]] = {
    ACCESS_DENIED: "Request not allowed: missing or incorrect access key",
    MISSING_PARAMS: "Missing params",
    INVALID_PARAMS: "Invalid params",
    NOT_FOUND: "Not found",
    BAD_REQUEST: "Bad request",
    NOT_ENOUGH_BALANCE: "Not enough balance",
    API_NOT_FOUND: "API not found (unconfirmed)",
    INTERNAL_ERROR: "Internal error (unconfirmed)",
}


def _describe(error: Mapping[str, Any]) -> str | None:
    description = error.get("description")
    if not isinstance(description, str) or not description.strip():
        code = lenient_int(error.get("code"))
        description = CODES.get(code) if code is not None else None
    if description is None:
        return None
    parameter = error.get("parameter")
    if isinstance(parameter, str) and parameter and parameter not in description:
        return f"{description} (parameter {parameter})"
    return description


def parse_error(response: Response) -> ErrorInfo:
    """Read MessageBird's error body; anything else (HTML from a proxy) gives a generic message."""
    fallback = ErrorInfo(message=f"HTTP {response.status} without a MessageBird error body")
    data = response.json_object()
    if data is None:
        return fallback
    raw = data.get("errors")
    if not isinstance(raw, list):
        return fallback
    errors = [dict(e) for e in raw if isinstance(e, Mapping)]
    if not errors:
        return fallback
    messages = [m for m in (_describe(e) for e in errors) if m]
    return ErrorInfo(
        message="; ".join(messages) or fallback.message,
        code=lenient_int(errors[0].get("code")),
        errors=errors,
    )


def error_details(error: APIError) -> list[ErrorDetail]:
    """The MessageBird errors listed in ``error.errors`` as models (entries that do not fit are
    skipped)."""
    details = []
    for entry in error.errors:
        try:
            details.append(converter.structure(entry, ErrorDetail))
        except STRUCTURE_ERRORS:
            continue
    return details
