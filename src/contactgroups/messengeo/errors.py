"""Reading Messengeo error answers.

The contacts API repeats the HTTP status in a ``status`` field and explains in ``message``, with
``details`` or ``messages[].details`` on some errors; the OAuth server answers
``{"error", "error_description"}``. An older gateway may answer ``200`` with an error body, so a
2xx body whose integer ``status`` is >= 400 is an error too (``is_error``).

Documented statuses: 400 (OAuth parameters, bad requests), 401 (missing, invalid or expired
token), 417 (an invalid e-mail on contact create), 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._http import ErrorInfo, Response
from .._http.convert import lenient_int
from ..errors import AuthenticationError, ValidationError, error_class_for_status

__all__ = ["STATUS_MEANINGS", "body_status", "is_error", "parse_error", "parse_oauth_error"]

#: The statuses the vendor documents, and what they mean there.
STATUS_MEANINGS: Mapping[int, str] = {
    400: "bad request (missing or invalid parameter); on the token endpoint, bad credentials",
    401: "missing, invalid or expired access token",
    417: "a value was rejected (an invalid e-mail address when creating contacts)",
    500: "server error (may come without a JSON body)",
}


def _http_status(value: object) -> int | None:
    """An HTTP status (100..599) as a number or ASCII digits; None for anything else."""
    status = lenient_int(value)
    return status if status is not None and 100 <= status <= 599 else None


def body_status(response: Response) -> int | None:
    """The ``status`` a JSON error body carries, if it is an HTTP status (100..599)."""
    if b'"status"' not in response.body:
        return None
    data = response.json_object()
    return None if data is None else _http_status(data.get("status"))


def is_error(response: Response) -> bool:
    """True for a 2xx answer whose body says ``"status": 4xx/5xx`` (older gateways did that)."""
    status = body_status(response)
    return status is not None and status >= 400


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def parse_error(response: Response) -> ErrorInfo:
    """``message`` first, then ``messages[].details``, ``details``, ``error_description``."""
    data = response.json_object()
    if data is None:
        text = response.text().strip()
        return ErrorInfo(message=text[:200] if text else f"HTTP {response.status}")

    errors: list[Mapping[str, Any]] = []
    details: list[str] = []
    messages = data.get("messages")
    if isinstance(messages, list):
        for item in messages:
            if isinstance(item, Mapping):
                errors.append(dict(item))
                piece = _text(item.get("details")) or _text(item.get("message"))
                if piece:
                    details.append(piece)
            elif _text(item):
                errors.append({"details": _text(item)})
                details.append(str(_text(item)))
    detail = data.get("details")
    if isinstance(detail, list):
        details.extend(t for t in (_text(d) for d in detail) if t)
    elif _text(detail):
        details.append(str(_text(detail)))
        errors.append({"details": _text(detail)})

    message = _text(data.get("message"))
    description = _text(data.get("error_description"))
    oauth_code = _text(data.get("error"))
    if message and details:
        message = f"{message} ({'; '.join(details)})"
    elif not message:
        message = "; ".join(details) or description or oauth_code or f"HTTP {response.status}"

    status = _http_status(data.get("status"))
    error_class = None
    code: str | int | None = oauth_code
    if response.status < 400 and status is not None and status >= 400:
        # a 200 with an error body: the class follows the body, and the body status is the code
        error_class = error_class_for_status(status)
        code = status
    elif response.status == 417:
        error_class = ValidationError
    return ErrorInfo(message=message, code=code, errors=tuple(errors), error_class=error_class)


def parse_oauth_error(response: Response) -> ErrorInfo:
    """A token endpoint error: 400/401 (bad ``client_id``/``client_secret``) is an auth failure.

    The message is the endpoint's own (``ClientCredentials`` says "token endpoint: " in front).
    """
    info = parse_error(response)
    data = response.json_object()
    message = info.message
    if data is not None and _text(data.get("error_description")) and _text(data.get("error")):
        message = str(_text(data.get("error_description")))
    if response.status in (400, 401, 403):
        return ErrorInfo(
            message=f"request refused: {message}",
            code=info.code,
            errors=info.errors,
            error_class=AuthenticationError,
        )
    return ErrorInfo(message=message, code=info.code, errors=info.errors)
