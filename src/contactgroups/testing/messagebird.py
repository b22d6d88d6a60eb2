"""A stateful fake of MessageBird's legacy REST API (groups, contacts, membership).

Real paths (no prefix), ``Authorization: AccessKey <key>`` (401 with code 2 otherwise), the
offset/limit list envelope, ``{"errors": [...]}`` bodies, empty 204s, and the request encodings
the official SDKs use: JSON or form bodies, ``ids[]`` (brackets possibly percent-encoded), and the
``GET ...?_method=PUT`` alternative. Unconfirmed vendor behaviours are constructor options.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, Literal
from urllib.parse import parse_qsl

import attrs
from aiohttp import web

from ..messagebird import Client
from ._server import FakeServer, Faults, json_response

__all__ = ["MessageBirdFake"]

DEFAULT_ACCESS_KEY = "test_fakeMessageBirdAccessKey0"
MAX_IDS_PER_ADD = 50

_Handler = Callable[[web.Request, str, dict[str, Any]], Awaitable[web.StreamResponse]]


class _FakeError(Exception):
    def __init__(
        self, status: int, code: int, description: str, parameter: str | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.parameter = parameter


def _error_response(
    status: int, code: int, description: str, parameter: str | None
) -> web.Response:
    body = {"errors": [{"code": code, "description": description, "parameter": parameter}]}
    return json_response(body, status=status)


def _not_found(what: str) -> _FakeError:
    return _FakeError(404, 20, f"{what} not found")


class _Ordered:
    """Keys in insertion order: O(1) add/remove/contains, pages from a cached snapshot."""

    __slots__ = ("_keys", "_snapshot")

    def __init__(self) -> None:
        self._keys: dict[str, None] = {}
        self._snapshot: list[str] | None = None

    def add(self, key: str) -> bool:
        if key in self._keys:
            return False
        self._keys[key] = None
        self._snapshot = None
        return True

    def discard(self, key: str) -> bool:
        if key not in self._keys:
            return False
        del self._keys[key]
        self._snapshot = None
        return True

    def page(self, offset: int, limit: int) -> list[str]:
        if self._snapshot is None:
            self._snapshot = list(self._keys)
        return self._snapshot[offset : offset + limit]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._keys))


@attrs.define
class _Group:
    id: str
    name: str
    created: str
    updated: str
    members: _Ordered = attrs.field(factory=_Ordered)


@attrs.define
class _Contact:
    id: str
    msisdn: int
    created: str
    updated: str
    first_name: str | None = None
    last_name: str | None = None
    custom: dict[str, str | None] = attrs.field(
        factory=lambda: {f"custom{i}": None for i in range(1, 5)}
    )
    groups: _Ordered = attrs.field(factory=_Ordered)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _new_id() -> str:
    return uuid.uuid4().hex


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


def _msisdn(value: object) -> int:
    if isinstance(value, bool):
        raise _FakeError(422, 10, "msisdn is invalid", "msisdn")
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 15) or text.startswith("0"):
        raise _FakeError(422, 10, "msisdn is invalid", "msisdn")
    return int(text)


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _FakeError(422, 10, f"{key} is invalid", key)


class MessageBirdFake(FakeServer):
    """MessageBird's groups and contacts, in memory, on 127.0.0.1.

    Options (unconfirmed at the vendor, so configurable):
        unknown_ids: on add, "error" answers 422/code 10 for any unknown contact id and changes
            nothing; "ignore" skips them. Ids already in the group are skipped silently.
        max_limit: the largest ``limit`` a listing accepts (a larger one is 422/code 10).
        default_limit: the page size when ``limit`` is not sent.
        group_update_status / contact_update_status: 200 (the object, as the seed documents) or
            204 (no body, as the SDK fixtures expect) on PATCH.
        query_access_key: also accept ``?access_key=`` instead of the header.
        accept_sdk_add_path: also take the official Python SDK's ``group_add_contacts`` request,
            ``PUT /groups/{id}?ids[]=a&ids[]=b`` with the body ``{}`` (no ``/contacts`` in the
            path: its bug), as an add. Off by default, since the real API is not known to accept
            it; the benchmarks turn it on to run that SDK against this fake.
    """

    def __init__(
        self,
        *,
        faults: Faults | None = None,
        access_key: str = DEFAULT_ACCESS_KEY,
        unknown_ids: Literal["error", "ignore"] = "error",
        max_limit: int = 250,
        default_limit: int = 20,
        group_update_status: Literal[200, 204] = 200,
        contact_update_status: Literal[200, 204] = 200,
        query_access_key: bool = False,
        accept_sdk_add_path: bool = False,
        record: bool = True,
    ) -> None:
        super().__init__(faults=faults, record=record)
        if unknown_ids not in ("error", "ignore"):
            raise ValueError("unknown_ids must be 'error' or 'ignore'")
        self.access_key = access_key
        self.unknown_ids = unknown_ids
        self.max_limit = max_limit
        self.default_limit = default_limit
        self.group_update_status = group_update_status
        self.contact_update_status = contact_update_status
        self.query_access_key = query_access_key
        self.accept_sdk_add_path = accept_sdk_add_path
        self.groups: dict[str, _Group] = {}
        self.contacts: dict[str, _Contact] = {}
        self._group_order = _Ordered()
        self._contact_order = _Ordered()
        self._by_msisdn: dict[int, _Ordered] = {}
        self._next_msisdn = 31_600_000_000
        routes = {
            "/groups": self._groups,
            "/groups/{group_id}": self._group,
            "/groups/{group_id}/contacts": self._group_contacts,
            "/groups/{group_id}/contacts/{contact_id}": self._group_contact,
            "/contacts": self._contacts,
            "/contacts/{contact_id}": self._contact,
            "/contacts/{contact_id}/groups": self._contact_groups,
        }
        for path, handler in routes.items():
            self.app.router.add_route("*", self.prefix + path, self._wrap(handler))
        self.app.router.add_route("*", "/{tail:.*}", self._wrap(self._unknown))

    # -- helpers for tests, benchmarks and the demo --------------------------------------------

    def seed_group(self, name: str = "Seeded group") -> str:
        """Create a group directly in state; returns its id."""
        now = _now()
        group = _Group(id=_new_id(), name=name, created=now, updated=now)
        self.groups[group.id] = group
        self._group_order.add(group.id)
        return group.id

    def seed_contact(
        self,
        msisdn: int | str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> str:
        """Create one contact directly in state (a fresh number if none given); returns its id."""
        if msisdn is None:
            msisdn = self._next_msisdn
            self._next_msisdn += 1
        return self._store_contact(_msisdn(msisdn), first_name, last_name).id

    def seed_contacts(self, n: int) -> list[str]:
        """Create ``n`` contacts with fresh numbers directly in state; returns their ids."""
        now = _now()
        start = self._next_msisdn
        self._next_msisdn += n
        return [self._store_contact(start + i, None, None, now).id for i in range(n)]

    def member_ids(self, group_id: str) -> set[str]:
        """The contact ids in a group (KeyError for an unknown group)."""
        return set(self.groups[group_id].members)

    def client(self, **kwargs: Any) -> Client:
        """A client pointed at this fake with its access key (kwargs override or add)."""
        options: dict[str, Any] = {"access_key": self.access_key, "base_url": self.url}
        options.update(kwargs)
        return Client(**options)

    def fault_response(self, request: web.Request, status: int) -> web.Response:
        if status == 429:
            return _error_response(429, 0, "Too many requests", None)
        if status >= 500:
            return _error_response(status, 99, "internal error", None)
        return _error_response(status, 0, f"injected {status}", None)

    # -- state ---------------------------------------------------------------------------------

    def _store_contact(
        self, msisdn: int, first_name: str | None, last_name: str | None, now: str | None = None
    ) -> _Contact:
        now = now or _now()
        contact = _Contact(
            id=_new_id(),
            msisdn=msisdn,
            created=now,
            updated=now,
            first_name=first_name,
            last_name=last_name,
        )
        self.contacts[contact.id] = contact
        self._contact_order.add(contact.id)
        self._by_msisdn.setdefault(msisdn, _Ordered()).add(contact.id)
        return contact

    def _get_group(self, group_id: str) -> _Group:
        group = self.groups.get(group_id)
        if group is None:
            raise _not_found("group")
        return group

    def _get_contact(self, contact_id: str) -> _Contact:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise _not_found("contact")
        return contact

    # -- rendering -----------------------------------------------------------------------------

    def _render_group(self, group: _Group) -> dict[str, Any]:
        href = f"{self.url}/groups/{group.id}"
        return {
            "id": group.id,
            "href": href,
            "name": group.name,
            "contacts": {"totalCount": len(group.members), "href": href + "/contacts"},
            "createdDatetime": group.created,
            "updatedDatetime": group.updated,
        }

    def _render_contact(self, contact: _Contact) -> dict[str, Any]:
        href = f"{self.url}/contacts/{contact.id}"
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

    def _page(
        self,
        request: web.Request,
        path: str,
        keys: _Ordered,
        render: Callable[[str], dict[str, Any]],
    ) -> web.Response:
        offset = self._int_param(request, "offset", 0, minimum=0)
        limit = self._int_param(request, "limit", self.default_limit, minimum=1)
        if limit > self.max_limit:
            raise _FakeError(422, 10, f"limit must be at most {self.max_limit}", "limit")
        total = len(keys)
        items = [render(k) for k in keys.page(offset, limit)]
        url = f"{self.url}{path}"

        def link(at: int) -> str:
            return f"{url}?offset={at}&limit={limit}"

        last = ((total - 1) // limit) * limit if total else 0
        return json_response(
            {
                "offset": offset,
                "limit": limit,
                "count": len(items),
                "totalCount": total,
                "links": {
                    "first": link(0),
                    "previous": link(max(0, offset - limit)) if offset > 0 else None,
                    "next": link(offset + limit) if offset + len(items) < total else None,
                    "last": link(last),
                },
                "items": items,
            }
        )

    @staticmethod
    def _int_param(request: web.Request, name: str, default: int, *, minimum: int) -> int:
        raw = request.query.get(name)
        if raw is None or raw == "":
            return default
        text = raw.strip()
        if not (text.isascii() and text.lstrip("-").isdigit()) or int(text) < minimum:
            raise _FakeError(422, 10, f"{name} is invalid", name)
        return int(text)

    # -- request plumbing ----------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "accesskey" and token.strip() == self.access_key:
            return True
        return self.query_access_key and request.query.get("access_key") == self.access_key

    def _wrap(self, handler: _Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            if not self._authorized(request):
                return _error_response(
                    401, 2, "Request not allowed (incorrect access_key)", "access_key"
                )
            method = request.method
            override = request.query.get("_method")
            if method == "GET" and override:
                method = override.upper()
            try:
                body = await self._read_body(request, method)
                return await handler(request, method, body)
            except _FakeError as exc:
                return _error_response(exc.status, exc.code, exc.description, exc.parameter)

        return run

    async def _read_body(self, request: web.Request, method: str) -> dict[str, Any]:
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
                    raise _FakeError(422, 10, "request body is not valid JSON", None) from None
                return _pairs_to_dict(parse_qsl(text, keep_blank_values=True))
            if not isinstance(data, dict):
                raise _FakeError(422, 10, "request body must be a JSON object", None)
            return data
        form = await request.post()
        return _pairs_to_dict((k, v) for k, v in form.items() if isinstance(v, str))

    @staticmethod
    def _method_not_found() -> _FakeError:
        # nodejs #89: a verb the resource does not have came back as 404 "Resource not found"
        return _FakeError(404, 20, "Resource not found")

    # -- handlers ------------------------------------------------------------------------------

    async def _unknown(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        raise self._method_not_found()

    async def _groups(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        if method == "GET":
            return self._page(
                request,
                "/groups",
                self._group_order,
                lambda gid: self._render_group(self.groups[gid]),
            )
        if method == "POST":
            name = self._name(body)
            group_id = self.seed_group(name)
            return json_response(self._render_group(self.groups[group_id]), status=201)
        raise self._method_not_found()

    @staticmethod
    def _name(body: dict[str, Any]) -> str:
        name = body.get("name")
        if name is None or name == "":
            raise _FakeError(422, 9, "name is required", "name")
        if not isinstance(name, str) or not name.strip():
            raise _FakeError(422, 10, "name is invalid", "name")
        return name

    async def _group(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        group = self._get_group(request.match_info["group_id"])
        if method == "GET":
            return json_response(self._render_group(group))
        if method == "PATCH":
            group.name = self._name(body)
            group.updated = _now()
            if self.group_update_status == 204:
                return web.Response(status=204)
            return json_response(self._render_group(group))
        if method == "PUT" and self.accept_sdk_add_path:
            # the official Python SDK's add: PUT /groups/{id}?ids[]=a&ids[]=b, body "{}"
            self._add(group, request.query.getall("ids[]", None))
            return web.Response(status=204)
        if method == "DELETE":
            for contact_id in group.members:
                contact = self.contacts.get(contact_id)
                if contact is not None:
                    contact.groups.discard(group.id)
            del self.groups[group.id]
            self._group_order.discard(group.id)
            return web.Response(status=204)
        raise self._method_not_found()

    async def _group_contacts(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        group = self._get_group(request.match_info["group_id"])
        if method == "GET":
            return self._page(
                request,
                f"/groups/{group.id}/contacts",
                group.members,
                lambda cid: self._render_contact(self.contacts[cid]),
            )
        if method == "PUT":
            self._add(group, body.get("ids"))
            return web.Response(status=204)
        raise self._method_not_found()

    def _add(self, group: _Group, ids: object) -> None:
        if not isinstance(ids, list) or not ids:
            raise _FakeError(422, 9, "ids is required", "ids")
        if len(ids) > MAX_IDS_PER_ADD:
            raise _FakeError(422, 10, f"ids may hold at most {MAX_IDS_PER_ADD} contact ids", "ids")
        if not all(isinstance(i, str) for i in ids):
            raise _FakeError(422, 10, "ids is invalid", "ids")
        known = [i for i in ids if i in self.contacts]
        if len(known) != len(ids) and self.unknown_ids == "error":
            raise _FakeError(422, 10, "ids contains unknown contact ids", "ids")
        for contact_id in known:
            if group.members.add(contact_id):
                self.contacts[contact_id].groups.add(group.id)

    async def _group_contact(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        group = self._get_group(request.match_info["group_id"])
        if method != "DELETE":
            raise self._method_not_found()
        contact_id = request.match_info["contact_id"]
        if not group.members.discard(contact_id):
            raise _FakeError(404, 20, "contact not found in group")
        contact = self.contacts.get(contact_id)
        if contact is not None:
            contact.groups.discard(group.id)
        return web.Response(status=204)

    async def _contacts(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        if method == "GET":
            keys = self._contact_order
            raw = request.query.get("msisdn")
            if raw is not None:
                keys = self._by_msisdn.get(_msisdn(raw), _Ordered())
            return self._page(
                request,
                "/contacts",
                keys,
                lambda cid: self._render_contact(self.contacts[cid]),
            )
        if method == "POST":
            if body.get("msisdn") in (None, ""):
                raise _FakeError(422, 9, "msisdn is required", "msisdn")
            msisdn = _msisdn(body["msisdn"])
            first = _optional_str(body, "firstName")
            last = _optional_str(body, "lastName")
            custom: dict[str, str | None] = {
                k: _optional_str(body, k) for k in ("custom1", "custom2", "custom3", "custom4")
            }
            contact = self._store_contact(msisdn, first, last)
            contact.custom.update(custom)
            return json_response(self._render_contact(contact), status=201)
        raise self._method_not_found()

    async def _contact(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        contact = self._get_contact(request.match_info["contact_id"])
        if method == "GET":
            return json_response(self._render_contact(contact))
        if method == "PATCH":
            self._update_contact(contact, body)
            if self.contact_update_status == 204:
                return web.Response(status=204)
            return json_response(self._render_contact(contact))
        if method == "DELETE":
            for group_id in contact.groups:
                group = self.groups.get(group_id)
                if group is not None:
                    group.members.discard(contact.id)
            del self.contacts[contact.id]
            self._contact_order.discard(contact.id)
            self._by_msisdn[contact.msisdn].discard(contact.id)
            return web.Response(status=204)
        raise self._method_not_found()

    def _update_contact(self, contact: _Contact, body: dict[str, Any]) -> None:
        # validate everything first, so a bad field changes nothing
        msisdn = _msisdn(body["msisdn"]) if body.get("msisdn") not in (None, "") else None
        names = {k: _optional_str(body, k) for k in ("firstName", "lastName") if k in body}
        custom: dict[str, str | None] = {
            k: _optional_str(body, k)
            for k in ("custom1", "custom2", "custom3", "custom4")
            if k in body
        }
        if msisdn is not None and msisdn != contact.msisdn:
            self._by_msisdn[contact.msisdn].discard(contact.id)
            self._by_msisdn.setdefault(msisdn, _Ordered()).add(contact.id)
            contact.msisdn = msisdn
        if "firstName" in names:
            contact.first_name = names["firstName"]
        if "lastName" in names:
            contact.last_name = names["lastName"]
        contact.custom.update(custom)
        contact.updated = _now()

    async def _contact_groups(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        contact = self._get_contact(request.match_info["contact_id"])
        if method != "GET":
            raise self._method_not_found()
        return self._page(
            request,
            f"/contacts/{contact.id}/groups",
            contact.groups,
            lambda gid: self._render_group(self.groups[gid]),
        )
