"""Messente's error body and its documented codes.

The Phonebook API answers every error with ``{"errors": [{"title", "detail", "code"}]}`` where
``code`` is a *string* from a closed set. The HTTP status picks the error class; the code only
decides for a status the ladder has no specific class for (a 405 with code "203" is a
``NotFoundError``). The code is kept on the error as the vendor's string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._http import ErrorInfo, Response
from ..errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ServerError,
    ValidationError,
)

__all__ = ["CODES", "TITLES", "parse_error"]

#: Messente's error codes: code -> (title, the error class it means).
CODES: Mapping[str, tuple[str, type[APIError]]] = {
    "201": ("Invalid data", ValidationError),  # 400: missing or invalid parameter
    "202": ("Unauthorized", AuthenticationError),  # 401: authentication error
    "203": ("Missing resource", NotFoundError),  # 404: missing resource
    "204": ("Conflict", ConflictError),  # 409: duplicate object detected
    "244": ("Client error", ValidationError),  # other 4xx
    "205": ("General error", ServerError),  # 500 (the spec's "default" answer)
}

#: HTTP status -> the code Messente sends with it (what the fake answers).
CODE_FOR_STATUS: Mapping[int, str] = {400: "201", 401: "202", 404: "203", 409: "204"}

TITLES: Mapping[str, str] = {code: title for code, (title, _) in CODES.items()}

# Statuses the ladder maps to a specific class; for these the status wins over the code.
_SPECIFIC = frozenset({400, 401, 403, 404, 409, 422, 429})


def code_for_status(status: int) -> str:
    """The code Messente documents for an HTTP error status."""
    if status in CODE_FOR_STATUS:
        return CODE_FOR_STATUS[status]
    return "205" if status >= 500 else "244"


def parse_error(response: Response) -> ErrorInfo:
    """Read ``{"errors": [...]}``; any other body falls back to a generic message."""
    fallback = ErrorInfo(message=_fallback_message(response))
    data = response.json_object()
    if data is None:
        return fallback
    raw = data.get("errors")
    if not isinstance(raw, list):
        return fallback
    errors: list[dict[str, Any]] = [e for e in raw if isinstance(e, dict)]
    if not errors:
        return fallback
    first = errors[0]
    code_value = first.get("code")
    code: str | None = None
    if isinstance(code_value, (str, int)) and not isinstance(code_value, bool):
        code = str(code_value)
    details = [_text(e) for e in errors]
    message = "; ".join(d for d in details if d) or fallback.message
    error_class: type[APIError] | None = None
    if (
        code is not None
        and code in CODES
        and response.status not in _SPECIFIC
        and response.status < 500
    ):
        error_class = CODES[code][1]
    return ErrorInfo(message=message, code=code, errors=errors, error_class=error_class)


def _text(error: Mapping[str, Any]) -> str:
    detail = error.get("detail")
    title = error.get("title")
    if isinstance(detail, str) and detail.strip():
        return detail.strip()
    if isinstance(title, str) and title.strip():
        return title.strip()
    return ""


def _fallback_message(response: Response) -> str:
    text = response.text().strip()
    if text and not text.startswith("<"):
        return text[:200]
    return f"HTTP {response.status}"
