"""MessageBird's side of the wire: its error answers, the request encodings its SDKs send, the
field checks, and the JSON it renders for groups and contacts."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import attrs
from aiohttp import web

from .._ordered import OrderedIds
from .._server import FakeRejection, json_response

__all__ = [
    "CUSTOM_FIELDS",
    "Contact",
    "Group",
    "error_response",
    "group_name",
    "int_param",
    "method_not_found",
    "new_id",
    "not_found",
    "now",
    "optional_str",
    "parse_msisdn",
    "read_body",
    "reject",
    "render_contact",
    "render_group",
]

CUSTOM_FIELDS = ("custom1", "custom2", "custom3", "custom4")


@attrs.define
class Group:
    id: str
    name: str
    created: str
    updated: str
    members: OrderedIds = attrs.field(factory=OrderedIds)


@attrs.define
class Contact:
    id: str
    msisdn: int
    created: str
    updated: str
    first_name: str | None = None
    last_name: str | None = None
    custom: dict[str, str | None] = attrs.field(factory=lambda: dict.fromkeys(CUSTOM_FIELDS))
    groups: OrderedIds = attrs.field(factory=OrderedIds)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def new_id() -> str:
    return uuid.uuid4().hex


# -- errors --------------------------------------------------------------------------------------


def error_response(
    status: int, code: int, description: str, parameter: str | None = None
) -> web.Response:
    body = {"errors": [{"code": code, "description": description, "parameter": parameter}]}
    return json_response(body, status=status)


def reject(status: int, code: int, description: str, parameter: str | None = None) -> FakeRejection:
    """MessageBird's ``{"errors": [...]}`` answer, to raise inside a handler."""
    return FakeRejection(error_response(status, code, description, parameter))


def not_found(what: str) -> FakeRejection:
    return reject(404, 20, f"{what} not found")


def method_not_found() -> FakeRejection:
    # nodejs #89: a verb the resource does not have came back as 404 "Resource not found"
    return reject(404, 20, "Resource not found")


# -- requests ------------------------------------------------------------------------------------


def _pairs_to_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Form/query pairs as a dict; ``key[]`` collects a list under ``key``."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key.endswith("[]"):
            out.setdefault(key[:-2], [])
            if isinstance(out[key[:-2]], list):
                out[key[:-2]].append(value)
        else:
            out[key] = value
    return out


async def read_body(request: web.Request, method: str) -> dict[str, Any]:
    """The request's parameters: JSON or form body, or the query of the ``?_method=`` form."""
    if request.method == "GET":
        # the GET alternative carries its parameters in the query string
        if method == "GET":
            return {}
        return _pairs_to_dict(
            (k, v) for k, v in request.query.items() if k not in ("_method", "access_key")
        )
    if method in ("DELETE", "GET"):
        return {}  # a body on DELETE (the Python SDK sends "{}") is accepted and ignored
    raw = await request.read()
    if not raw.strip():
        return {}
    text = raw.decode("utf-8", errors="replace")
    if "json" in request.content_type or request.content_type not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        try:
            data = json.loads(text)
        except ValueError:
            if "json" in request.content_type:
                raise reject(422, 10, "request body is not valid JSON") from None
            return _pairs_to_dict(parse_qsl(text, keep_blank_values=True))
        if not isinstance(data, dict):
            raise reject(422, 10, "request body must be a JSON object")
        return data
    form = await request.post()
    return _pairs_to_dict((k, v) for k, v in form.items() if isinstance(v, str))


def parse_msisdn(value: object) -> int:
    """A phone number as MessageBird stores it (digits, no leading 0, at most 15), else 422."""
    if isinstance(value, bool):
        raise reject(422, 10, "msisdn is invalid", "msisdn")
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 15) or text.startswith("0"):
        raise reject(422, 10, "msisdn is invalid", "msisdn")
    return int(text)


def optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise reject(422, 10, f"{key} is invalid", key)


def group_name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if name is None or name == "":
        raise reject(422, 9, "name is required", "name")
    if not isinstance(name, str) or not name.strip():
        raise reject(422, 10, "name is invalid", "name")
    return name


def int_param(request: web.Request, name: str, default: int, *, minimum: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or int(text) < minimum:
        raise reject(422, 10, f"{name} is invalid", name)
    return int(text)


# -- answers -------------------------------------------------------------------------------------


def render_group(base_url: str, group: Group) -> dict[str, Any]:
    href = f"{base_url}/groups/{group.id}"
    return {
        "id": group.id,
        "href": href,
        "name": group.name,
        "contacts": {"totalCount": len(group.members), "href": href + "/contacts"},
        "createdDatetime": group.created,
        "updatedDatetime": group.updated,
    }


def render_contact(base_url: str, contact: Contact) -> dict[str, Any]:
    href = f"{base_url}/contacts/{contact.id}"
    return {
        "id": contact.id,
        "href": href,
        "msisdn": contact.msisdn,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "customDetails": dict(contact.custom),
        "groups": {"totalCount": len(contact.groups), "href": href + "/groups"},
        "messages": {"totalCount": 0, "href": href + "/messages"},
        "createdDatetime": contact.created,
        "updatedDatetime": contact.updated,
    }
