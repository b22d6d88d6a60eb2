"""Request bodies: JSON, a form, or raw bytes, optionally gzip-compressed."""

from __future__ import annotations

import gzip
import json
from typing import Any

from ..errors import InvalidRequestError
from .redact import SealedBody
from .urls import Params, query_pairs, quote_text

__all__ = ["encode_body"]


def _form(params: Params) -> str:
    """``application/x-www-form-urlencoded`` with spaces as ``%20``."""
    return "&".join(f"{quote_text(key)}={quote_text(value)}" for key, value in query_pairs(params))


def encode_body(
    json_body: Any,
    form: Params | None,
    content: bytes | None,
    content_type: str | None,
    compress: bool,
) -> tuple[SealedBody | None, dict[str, str]]:
    """The bytes to send (sealed: their ``repr`` shows none of them) and their headers; no body
    gives ``(None, {})`` (no Content-Type)."""
    if (json_body is not None) + (form is not None) + (content is not None) > 1:
        raise InvalidRequestError("a request takes one body: json, form or content")
    headers: dict[str, str] = {}
    body: bytes | None = None
    if json_body is not None:
        body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        body = _form(form).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif content is not None:
        body = content
        headers["Content-Type"] = content_type or "application/octet-stream"
    if body is not None and compress:
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return (None if body is None else SealedBody(body)), headers
