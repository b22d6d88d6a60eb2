"""URLs: the base URL rules, one path segment per id, and query parameters."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import yarl

from ..errors import InvalidRequestError

__all__ = [
    "Params",
    "check_base_url",
    "is_loopback",
    "join_path",
    "path_segment",
    "query_pairs",
]

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_UNRESERVED_RE = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 3986: never needs quoting


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (where plain http is fine)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: object, *, allow_insecure_http: bool) -> str:
    """``base_url`` without its trailing slash, if it is an absolute http(s) URL we may use."""
    if not isinstance(base_url, str):
        raise InvalidRequestError("base_url must be a string")
    url = yarl.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidRequestError("base_url must be an absolute http(s) URL")
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        raise InvalidRequestError(
            "base_url uses plain http to a non-loopback host; "
            "pass allow_insecure_http=True if you really mean it"
        )
    return base_url.rstrip("/")


def path_segment(value: object, *, what: str = "id", provider: str | None = None) -> str:
    """``value`` checked as one URL path segment (it is percent-quoted when the URL is built)."""
    if type(value) is str:
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise InvalidRequestError(
            f"{what} must be a string, not {type(value).__name__}", provider=provider
        )
    if not text:
        raise InvalidRequestError(f"{what} must not be empty", provider=provider)
    if text == "." or text == "..":
        raise InvalidRequestError(f"{what} {text!r} is not a valid id", provider=provider)
    if _CONTROL_RE.search(text):
        raise InvalidRequestError(f"{what} must not contain control characters", provider=provider)
    return text


def _quote_segment(text: str) -> str:
    return text if _UNRESERVED_RE.fullmatch(text) else quote(text, safe="")


def join_path(base_url: str, segments: Sequence[object], *, provider: str) -> yarl.URL:
    """``base_url`` + each segment percent-quoted (``/``, ``?``, ``#``, ``%`` and ``+`` too)."""
    path = "".join("/" + _quote_segment(path_segment(s, provider=provider)) for s in segments)
    return yarl.URL(base_url + path, encoded=True)


def query_pairs(params: Params) -> list[tuple[str, str]]:
    """Parameters as (name, text) pairs: None left out, booleans as ``true``/``false``."""
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((key, str(value)))
    return pairs
