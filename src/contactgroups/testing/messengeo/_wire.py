"""Messengeo's side of the wire: request parameters, the ``list``/``size``/``total`` envelope,
and error answers.

Parameters are merged from the query string, a form body and a JSON body; lists of values are
comma-separated; ``metaData`` is a JSON string; an error is ``{"status", "message", "details"}``.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from ...messengeo.models import CONTACT_PROPERTIES
from .._server import FakeRejection, json_response

__all__ = [
    "CONTACT_ALL",
    "CONTACT_DEFAULT",
    "CONTACT_FIELDS",
    "EMAIL_RE",
    "LazyStats",
    "contacts_param",
    "envelope",
    "meta",
    "multipart_files",
    "non_negative",
    "optional_text",
    "properties",
    "read_params",
    "reject",
    "required",
    "sort_views",
    "split",
    "truthy",
    "window",
]

# The contacts DEFAULT set is not documented; this is the fake's choice.
CONTACT_DEFAULT = ("id", "email", "mobile", "phone", "civility", "firstName", "lastName")
# every documented property but the ones the vendor sets itself
CONTACT_FIELDS = tuple(
    p for p in CONTACT_PROPERTIES if p not in ("id", "listIds", "dateCreated", "dateUpdated")
)
CONTACT_ALL = ("id", "listIds", "dateCreated", "dateUpdated", *CONTACT_FIELDS)
EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_BRACKET = re.compile(r"^contacts\[(\d+)\]\[([A-Za-z0-9_]+)\]$")


def reject(status: int, message: str, details: str | None = None) -> FakeRejection:
    """Messengeo's error answer, to raise inside a handler."""
    body: dict[str, Any] = {"status": status, "message": message}
    if details:
        body["details"] = details
    return FakeRejection(json_response(body, status))


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query, form or JSON body merged; a multipart body's files under ``"_files"``."""
    params: dict[str, Any] = dict(request.query)
    ctype = request.content_type
    if ctype == "application/x-www-form-urlencoded":
        # parsed here for every method: aiohttp's request.post() reads no body for a GET, and
        # the vendor's own read example sends its filter (``id=12,65``) in a GET's form body
        text = (await request.read()).decode(request.charset or "utf-8", "replace")
        params.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
    elif ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise reject(400, "Bad Request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise reject(400, "Bad Request", "the JSON body must be an object")
        params.update(body)
    elif ctype == "multipart/form-data":
        # the vendor reads only files from a multipart body: other fields go in the query
        params["_files"] = multipart_files(
            request.headers.get("Content-Type", ""), await request.read()
        )
    return params


def multipart_files(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    """The files of a ``multipart/form-data`` body: field name -> (file name, content)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise reject(400, "Bad Request", "multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode()
    files: dict[str, tuple[str, bytes]] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name and filename:
            files[name.group(1)] = (filename.group(1), data)
    return files


def split(value: object) -> list[str]:
    """A comma-separated value (or a JSON list) as its non-empty parts."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def properties(value: object, default: tuple[str, ...], known: tuple[str, ...]) -> set[str]:
    """The ``properties=`` asked for (``DEFAULT`` expands; ``id`` always comes back)."""
    names = split(value)
    if not names:
        return set(default)
    chosen: set[str] = {"id"}
    for name in names:
        if name == "DEFAULT":
            chosen.update(default)
        elif name in known:
            chosen.add(name)
    return chosen


def sort_views(items: list[dict[str, Any]], sort: object) -> list[dict[str, Any]]:
    """``sort="field [ASC|DESC]"``: nulls first, then numbers, then text."""
    if not sort:
        return items
    parts = str(sort).split()
    key = parts[0]
    descending = len(parts) > 1 and parts[1].upper() == "DESC"

    def sort_key(item: dict[str, Any]) -> tuple[int, Any]:
        value = item.get(key)
        if value is None:
            return (0, "")
        if isinstance(value, str) and value.isdigit():
            return (1, int(value))
        return (2, str(value))

    return sorted(items, key=sort_key, reverse=descending)


def non_negative(value: object, default: int, what: str) -> int:
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit():
        raise reject(400, "Bad Request", f"{what} must be a non-negative integer")
    return int(text)


def window(params: Mapping[str, Any], default_limit: int, max_limit: int) -> tuple[int, int]:
    """``limit`` (silently capped at ``max_limit``) and ``offset``."""
    limit = non_negative(params.get("limit"), default_limit, "limit")
    offset = non_negative(params.get("offset"), 0, "offset")
    return min(limit, max_limit), offset


def required(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or not str(value).strip():
        raise reject(400, "Bad Request", f"Parameter {name} is required")
    return str(value).strip()


def optional_text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def meta(params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``metaData`` object (a JSON string in a form, or an object in a JSON body)."""
    raw = params.get("metaData")
    if raw is None:
        raise reject(400, "Bad Request", "Parameter metaData is required")
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(str(raw))
    except ValueError:
        raise reject(400, "Bad Request", "metaData must be a JSON object") from None
    if not isinstance(data, dict):
        raise reject(400, "Bad Request", "metaData must be a JSON object")
    return data


def contacts_param(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``contacts`` as a JSON array, or as ``contacts[i][field]=`` form fields."""
    raw = params.get("contacts")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise reject(400, "Bad Request", "contacts must be a JSON array") from None
    if isinstance(raw, list):
        return [dict(item) for item in raw if isinstance(item, dict)]
    by_index: dict[int, dict[str, Any]] = {}
    for key, value in params.items():
        match = _BRACKET.match(key)
        if match:
            by_index.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [by_index[i] for i in sorted(by_index)]


def envelope(items: list[Any], total: int | None) -> Any:
    rendered = [
        {k: (v.render() if isinstance(v, LazyStats) else v) for k, v in item.items()}
        for item in items
    ]
    return {"list": rendered, "size": len(rendered), "total": total}


class LazyStats:
    """List stats are computed only when the caller asked for them."""

    def __init__(self, compute: Callable[[], dict[str, str]]) -> None:
        self._compute = compute

    def render(self) -> dict[str, str]:
        return self._compute()

    def __lt__(self, other: object) -> bool:  # pragma: no cover - sorting by stats is not offered
        return False
