"""MessageFlow error bodies and codes.

Every answer is the envelope ``{"meta": {...}, "data": [...], "errors": [...]}``; an error object
is ``{title, message, code, meta?}`` with codes like ``E-0-004``, and ``meta.uniqId`` is the
request id the vendor asks for in support requests.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._http import ErrorInfo, Response
from .wire import request_id_of  # defined with the other envelope readers; kept importable here

__all__ = [
    "CODES",
    "EMPTY_TOKEN",
    "INTERNAL_ERROR",
    "INVALID_BODY",
    "INVALID_TOKEN",
    "ITEM_DUPLICATE",
    "ITEM_INVALID",
    "ITEM_NOT_FOUND",
    "NO_RESULTS",
    "RATE_LIMITED",
    "parse_error",
    "request_id_of",
]

#: 401 when the ``Authorization`` header is missing. The only code the vendor documents.
EMPTY_TOKEN = "E-0-004"

# The codes below are NOT documented by the vendor: the fake uses them, the SDK never relies on
# them (it keeps whatever code the vendor sends on ``APIError.code``).
INVALID_TOKEN = "E-0-005"  # a wrong key, or no Application-Key
INVALID_BODY = "E-0-400"  # a body that is not JSON (or a broken gzip stream)
NO_RESULTS = "E-0-404"  # a listing with nothing on the page
RATE_LIMITED = "E-0-429"
INTERNAL_ERROR = "E-0-500"
ITEM_INVALID = "E-3-001"  # one item of a bulk body failed validation (207)
ITEM_DUPLICATE = "E-3-002"  # e.g. a group externalId that is already taken (207)
ITEM_NOT_FOUND = "E-3-003"  # an id in a bulk body that does not exist (207)

#: code -> (title, whether the vendor documents it)
CODES: Mapping[str, tuple[str, bool]] = {
    EMPTY_TOKEN: ("Empty token", True),
    INVALID_TOKEN: ("Invalid token", False),
    INVALID_BODY: ("Invalid request", False),
    NO_RESULTS: ("Not found", False),
    RATE_LIMITED: ("Too many requests", False),
    INTERNAL_ERROR: ("Internal error", False),
    ITEM_INVALID: ("Validation error", False),
    ITEM_DUPLICATE: ("Duplicate", False),
    ITEM_NOT_FOUND: ("Not found", False),
}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_error(response: Response) -> ErrorInfo:
    """The vendor's first error (title, message, code) and ``meta.uniqId``; never raises."""
    body = response.json_object()
    fallback = f"HTTP {response.status}"
    if body is None:
        snippet = response.text()[:200].strip()
        return ErrorInfo(message=snippet or fallback)
    raw_errors = body.get("errors")
    errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
    first = errors[0] if errors else {}
    title, message = _text(first.get("title")), _text(first.get("message"))
    if title and message and title.lower() not in message.lower():
        text = f"{title}: {message}"
    else:
        text = message or title or fallback
    code = first.get("code")
    return ErrorInfo(
        message=text,
        code=str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else None,
        request_id=request_id_of(body),
        errors=errors,
    )
