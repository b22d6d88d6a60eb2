"""A stateful fake of the MessageFlow API v2.1 (groups, members, contact search) for tests.

Serves ``/v2.1/group``, ``/v2.1/group/{groupId}/contact``, ``/v2.1/group/{groupId}/count`` and
``/v2.1/contact`` with the vendor's envelope, both auth headers, offset/limit pages of at most 1000,
404 for an empty page, 207 per-item errors, 202 + ``Retry-After`` + ``Expires`` for the count of a
dynamic group, and gzip request bodies. Behaviours the vendor does not document are options.
Members are kept in insertion order with O(1) add/remove and page slicing, so a 1,000,000-member
group lists without copying the membership per page.
"""

from __future__ import annotations

import email.utils
import gzip
import itertools
import json
import random
import time
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import attrs
from aiohttp import web

from ..messageflow import Client
from ..messageflow.errors import (
    EMPTY_TOKEN,
    INTERNAL_ERROR,
    INVALID_BODY,
    INVALID_TOKEN,
    ITEM_DUPLICATE,
    ITEM_INVALID,
    ITEM_NOT_FOUND,
    NO_RESULTS,
    RATE_LIMITED,
)
from ._server import FakeServer, Faults, json_response

__all__ = ["DEFAULT_APPLICATION_KEY", "DEFAULT_AUTHORIZATION", "MessageFlowFake"]

#: 128 characters, like the vendor's authorization keys.
DEFAULT_AUTHORIZATION = ("mf-test-authorization-" + "0123456789abcdef" * 8)[:128]
DEFAULT_APPLICATION_KEY = "mf-test-application-key"

#: the documented 401 body for a request without ``Authorization`` (``meta`` empty, as documented)
EMPTY_TOKEN_BODY: dict[str, Any] = {
    "errors": [
        {
            "title": "Empty token",
            "message": "Cannot find token in your request. Did you set 'Authorization' header?",
            "code": EMPTY_TOKEN,
        }
    ],
    "meta": {},
}

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class _Members:
    """A group's members in insertion order: O(1) add/remove/contains and O(page) slicing.

    Removal leaves a hole that the next listing (or a hole count over half the list) compacts.
    """

    __slots__ = ("_holes", "_index", "_order")

    def __init__(self) -> None:
        self._order: list[str | None] = []
        self._index: dict[str, int] = {}
        self._holes = 0

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, cid: object) -> bool:
        return cid in self._index

    def add(self, cid: str) -> None:
        if cid not in self._index:
            self._index[cid] = len(self._order)
            self._order.append(cid)

    def remove(self, cid: str) -> None:
        position = self._index.pop(cid, None)
        if position is None:
            return
        if position == len(self._order) - 1:
            self._order.pop()
        else:
            self._order[position] = None
            self._holes += 1
            if self._holes > len(self._index):
                self._compact()

    def _compact(self) -> None:
        if self._holes:
            live: list[str] = [c for c in self._order if c is not None]
            self._order = list(live)
            self._index = {c: i for i, c in enumerate(live)}
            self._holes = 0

    def page(self, offset: int, limit: int, *, descending: bool) -> list[str]:
        self._compact()
        order = self._order
        if not descending:
            return order[offset : offset + limit]  # type: ignore[return-value]
        stop = max(0, len(order) - offset)
        start = max(0, stop - limit)
        return order[start:stop][::-1]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def ids(self) -> set[str]:
        return set(self._index)


@attrs.define
class _CountJob:
    left: int | None  # 202 answers still to give; None = never finishes
    expires_at: float | None


@attrs.define
class _Group:
    id: str
    name: str
    description: str | None
    external_id: str | None
    created_at: str
    dynamic: bool = False
    members: _Members = attrs.field(factory=_Members)
    count_job: _CountJob | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "createdAt": self.created_at,
            "id": int(self.id),
            "name": self.name,
            "description": self.description if self.description is not None else "",
        }
        if self.external_id is not None:
            out["externalId"] = self.external_id
        return out


def _now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _as_id(value: object) -> str | None:
    """An id from a body (number or digit string) as its canonical string, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return str(int(value))
    return None


class _Reject(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


class MessageFlowFake(FakeServer):
    """The MessageFlow fake. ``async with MessageFlowFake() as fake: client = fake.client()``.

    Options (the vendor does not document these):
        count_pending: how many 202 answers ``GET /group/{id}/count`` of a *dynamic* group gives
            before its 200 (per count); None = it never finishes.
        retry_after: the ``Retry-After`` seconds sent with a 202 (decimals allowed for tests).
        expires_in: seconds from the first 202 of a count to its ``Expires`` (None = no header);
            0 or less sends an ``Expires`` already past.
        all_failed_status: the status of a bulk call in which every item failed: 207 (with empty
            ``data``) or an error status such as 400 (errors only).
        write_data: whether a write that fully succeeds (200) lists the processed items in
            ``data``. The captured vendor page shows these answers with ``meta`` only, so the
            default is False; a 207 always carries ``data`` and ``errors`` together.
    """

    prefix = "/v2.1"

    def __init__(
        self,
        *,
        faults: Faults | None = None,
        authorization: str = DEFAULT_AUTHORIZATION,
        application_key: str = DEFAULT_APPLICATION_KEY,
        count_pending: int | None = 1,
        retry_after: float = 1.0,
        expires_in: float | None = 60.0,
        all_failed_status: int = 207,
        write_data: bool = False,
        record: bool = True,
    ) -> None:
        super().__init__(faults=faults, record=record)
        self.authorization = authorization
        self.application_key = application_key
        self.count_pending = count_pending
        self.retry_after = retry_after
        self.expires_in = expires_in
        self.all_failed_status = all_failed_status
        self.write_data = write_data
        self.groups: dict[str, _Group] = {}
        # contact id -> (externalId, email, phoneNumber), or None for seeded values derived
        # from the id (keeps a million seeded contacts small)
        self._contacts: dict[str, tuple[str | None, str | None, str | None] | None] = {}
        self._indexes: dict[str, dict[str, str]] = {}
        self._next_group = 1001
        self._next_contact = 100001
        self._rng = random.Random()
        p = self.prefix
        router = self.app.router
        router.add_get(f"{p}/group", self._list_groups)
        router.add_post(f"{p}/group", self._create_groups)
        router.add_put(f"{p}/group", self._update_groups)
        router.add_delete(f"{p}/group", self._delete_groups)
        router.add_get(p + "/group/{groupId}/contact", self._list_members)
        router.add_post(p + "/group/{groupId}/contact", self._add_members)
        router.add_delete(p + "/group/{groupId}/contact", self._remove_members)
        router.add_get(p + "/group/{groupId}/count", self._count_members)
        router.add_get(f"{p}/contact", self._list_contacts)

    # -- helpers for tests, benchmarks and the demo ----------------------------------------------

    def seed_group(
        self,
        name: str = "Test group",
        *,
        description: str | None = None,
        external_id: str | None = None,
        dynamic: bool = False,
    ) -> str:
        """Create a group directly in state; returns its id (digits). ``dynamic`` groups answer
        their count with 202s first (``count_pending``)."""
        gid = str(self._next_group)
        self._next_group += 1
        self.groups[gid] = _Group(
            id=gid,
            name=name,
            description=description,
            external_id=external_id,
            created_at=_now_text(),
            dynamic=dynamic,
        )
        return gid

    def set_dynamic(self, group_id: str, dynamic: bool = True) -> None:
        """Make a group dynamic (its count answers 202 first) or static."""
        self.groups[group_id].dynamic = dynamic
        self.groups[group_id].count_job = None

    def seed_contacts(self, n: int) -> list[str]:
        """Create ``n`` contacts directly in state (externalId, email and phoneNumber filled);
        returns their ids (digits), which ``client.membership.add`` takes."""
        start = self._next_contact
        self._next_contact += n
        ids = [str(i) for i in range(start, start + n)]
        self._contacts.update(dict.fromkeys(ids))
        self._indexes.clear()
        return ids

    def seed_members(self, group_id: str, contact_ids: Iterable[str]) -> None:
        """Put existing contacts into a group directly (no requests)."""
        members = self.groups[group_id].members
        for cid in contact_ids:
            if cid not in self._contacts:
                raise KeyError(f"no contact {cid}")
            members.add(cid)

    def member_ids(self, group_id: str) -> set[str]:
        """The group's current member ids."""
        return self.groups[group_id].members.ids()

    def contact(self, contact_id: str) -> dict[str, Any]:
        """A contact as the API shows it."""
        return self._contact_wire(contact_id)

    def client(self, **kwargs: Any) -> Client:
        """A ``messageflow.Client`` pointed at this fake with its keys."""
        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("authorization", self.authorization)
        kwargs.setdefault("application_key", self.application_key)
        return Client(**kwargs)

    # -- envelope -------------------------------------------------------------------------------

    def _uniq(self) -> str:
        return f"{self._rng.getrandbits(40):010x}"

    def _meta(self, status: int, data: int, errors: int) -> dict[str, Any]:
        return {
            "numberOfErrors": errors,
            "numberOfData": data,
            "status": status,
            "uniqId": self._uniq(),
        }

    def _ok(self, data: list[Any], status: int = 200, **kwargs: Any) -> web.Response:
        body = {"meta": self._meta(status, len(data), 0), "data": data}
        return json_response(body, status=status, **kwargs)

    def _error(self, status: int, code: str, title: str, message: str, **meta: Any) -> web.Response:
        error: dict[str, Any] = {"title": title, "message": message, "code": code}
        if meta:
            error["meta"] = meta
        body = {"meta": self._meta(status, 0, 1), "errors": [error]}
        return json_response(body, status=status)

    def _no_results(self) -> web.Response:
        return self._error(404, NO_RESULTS, "Not found", "No results for given criteria")

    def _bulk(self, data: list[Any], errors: list[dict[str, Any]]) -> web.Response:
        if not errors:
            if self.write_data:
                return self._ok(data)
            return json_response({"meta": self._meta(200, len(data), 0)})  # as the seed shows
        status = 207 if data else self.all_failed_status
        body: dict[str, Any] = {"meta": self._meta(status, len(data), len(errors))}
        if status == 207:
            body["data"] = data
        body["errors"] = errors
        return json_response(body, status=status)

    @staticmethod
    def _item_error(
        code: str, title: str, message: str, parameter: str, value: Any, source: Any = None
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {"parameter": parameter, "value": value}
        if source is not None:
            meta["source"] = source
        return {"title": title, "message": message, "code": code, "meta": meta}

    def fault_response(self, request: web.Request, status: int) -> web.Response:
        if status == 429:
            return self._error(429, RATE_LIMITED, "Too many requests", "Slow down")
        return self._error(status, INTERNAL_ERROR, "Internal error", "Request was not processed")

    # -- request checks -------------------------------------------------------------------------

    def _auth(self, request: web.Request) -> None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            raise _Reject(json_response(EMPTY_TOKEN_BODY, status=401))
        if (
            authorization != self.authorization
            or request.headers.get("Application-Key") != self.application_key
        ):
            raise _Reject(
                self._error(401, INVALID_TOKEN, "Invalid token", "Authorization data is invalid")
            )

    def _bad_request(self, message: str) -> _Reject:
        return _Reject(self._error(400, INVALID_BODY, "Invalid request", message))

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        if not raw:
            raise self._bad_request("A JSON body is required")
        if request.content_type != "application/json":
            raise self._bad_request("Content-Type must be application/json")
        # aiohttp's server usually gunzips already; a body still starting with the gzip magic
        # (an embedding without auto-decompress) is gunzipped here
        if request.headers.get("Content-Encoding", "").lower() == "gzip" and raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                raise self._bad_request("The gzip stream is broken") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise self._bad_request("The body is not valid JSON") from None

    def _paging(self, request: web.Request) -> tuple[int, int]:
        query = request.query
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            raise self._bad_request("offset and limit must be integers") from None
        if offset < 0 or limit < 1:
            raise self._bad_request("offset must be >= 0 and limit >= 1")
        return offset, min(limit, MAX_LIMIT)

    def _descending(self, request: web.Request) -> bool:
        direction = request.query.get("orderDirection", "DESC").upper()
        if direction not in ("ASC", "DESC"):
            raise self._bad_request("orderDirection must be ASC or DESC")
        return direction == "DESC"

    def _group(self, request: web.Request) -> _Group:
        group = self.groups.get(_as_id(request.match_info["groupId"]) or "")
        if group is None:
            raise _Reject(self._no_results())
        return group

    def _id_list(self, body: Any) -> list[Any]:
        ids = body.get("id") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            raise self._bad_request('The body must be {"id": [id, ...]}')
        return ids

    async def _handle(self, request: web.Request, work: Any) -> web.Response:
        try:
            self._auth(request)
            result: web.Response = await work(request)
            return result
        except _Reject as reject:
            return reject.response

    # -- contacts -------------------------------------------------------------------------------

    def _fields(self, cid: str) -> tuple[str | None, str | None, str | None]:
        stored = self._contacts[cid]
        if stored is not None:
            return stored
        return f"CRM-{cid}", f"contact{cid}@example.com", f"48{500000000 + int(cid) % 10**8:09d}"

    def _contact_wire(self, cid: str) -> dict[str, Any]:
        external_id, mail, phone = self._fields(cid)
        return {"email": mail, "externalId": external_id, "id": cid, "phoneNumber": phone}

    def _index(self, field: int) -> dict[str, str]:
        key = str(field)
        index = self._indexes.get(key)
        if index is None:
            index = {}
            for cid in self._contacts:
                value = self._fields(cid)[field]
                if value is not None:
                    index.setdefault(value, cid)
            self._indexes[key] = index
        return index

    # -- handlers -------------------------------------------------------------------------------

    async def _list_groups(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            offset, limit = self._paging(request)
            order_by = request.query.get("orderBy", "id")
            if order_by not in ("id", "createdAt", "name"):
                raise self._bad_request("orderBy must be id, createdAt or name")

            def key(group: _Group) -> tuple[str, int]:
                text = {"id": "", "createdAt": group.created_at, "name": group.name}[order_by]
                return text, int(group.id)

            ordered = sorted(self.groups.values(), key=key, reverse=self._descending(request))
            page = ordered[offset : offset + limit]
            if not page:
                return self._no_results()
            return self._ok([g.wire() for g in page])

        return await self._handle(request, work)

    def _invalid(
        self, parameter: str, value: Any, message: str, source: str | None = None
    ) -> dict[str, Any]:
        return self._item_error(ITEM_INVALID, "Validation error", message, parameter, value, source)

    def _group_fields_error(
        self, name: Any, description: Any, source: str
    ) -> dict[str, Any] | None:
        if not isinstance(name, str) or not name.strip():
            return self._invalid("name", name, "Field name cannot be empty", source)
        if description is not None and not isinstance(description, str):
            return self._invalid(
                "description", description, "Field description must be a string", source
            )
        return None

    async def _create_groups(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            body = await self._body(request)
            if not isinstance(body, list) or not body:
                raise self._bad_request("The body must be a JSON array of groups")
            taken = {g.external_id for g in self.groups.values() if g.external_id is not None}
            data: list[dict[str, Any]] = []
            errors: list[dict[str, Any]] = []
            for index, item in enumerate(body):
                source = str(index)
                if not isinstance(item, dict):
                    errors.append(self._invalid("", item, "Item must be an object", source))
                    continue
                name, description = item.get("name"), item.get("description")
                external_id = item.get("externalId")
                error = self._group_fields_error(name, description, source)
                if (
                    error is None
                    and external_id is not None
                    and (not isinstance(external_id, str) or external_id in taken)
                ):
                    error = self._item_error(
                        ITEM_DUPLICATE,
                        "Duplicate",
                        "Field externalId must be unique",
                        "externalId",
                        external_id,
                        source,
                    )
                if error is not None:
                    errors.append(error)
                    continue
                if external_id is not None:
                    taken.add(external_id)
                gid = self.seed_group(str(name), description=description, external_id=external_id)
                data.append(self.groups[gid].wire())
            return self._bulk(data, errors)

        return await self._handle(request, work)

    async def _update_groups(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            body = await self._body(request)
            if not isinstance(body, list) or not body:
                raise self._bad_request("The body must be a JSON array of groups")
            data: list[dict[str, Any]] = []
            errors: list[dict[str, Any]] = []
            for index, item in enumerate(body):
                source = str(index)
                raw_id = item.get("id") if isinstance(item, dict) else None
                gid = _as_id(raw_id)
                group = self.groups.get(gid) if gid is not None else None
                if not isinstance(item, dict) or gid is None:
                    errors.append(
                        self._invalid("id", raw_id, "Field id must be an integer", source)
                    )
                    continue
                if group is None:
                    errors.append(
                        self._item_error(
                            ITEM_NOT_FOUND, "Not found", "Group not found", "id", raw_id, source
                        )
                    )
                    continue
                name = item.get("name", group.name)
                description = item.get("description", group.description)
                error = self._group_fields_error(name, description, source)
                if error is not None:
                    errors.append(error)
                    continue
                group.name, group.description = name, description
                data.append(group.wire())
            return self._bulk(data, errors)

        return await self._handle(request, work)

    async def _delete_groups(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            ids = self._id_list(await self._body(request))
            data: list[int] = []
            errors: list[dict[str, Any]] = []
            for raw in ids:
                gid = _as_id(raw)
                if gid is None:
                    errors.append(self._invalid("id", raw, "Id must be an integer"))
                elif self.groups.pop(gid, None) is None:
                    errors.append(
                        self._item_error(ITEM_NOT_FOUND, "Not found", "Group not found", "id", raw)
                    )
                else:
                    data.append(int(gid))
            return self._bulk(data, errors)

        return await self._handle(request, work)

    async def _list_members(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            group = self._group(request)
            offset, limit = self._paging(request)
            if request.query.get("orderBy", "id") not in ("id", "createdAt"):
                raise self._bad_request("orderBy must be id or createdAt")
            # ordered by when each member was added (the same as id order when contacts are
            # added in the order they were created)
            page = group.members.page(offset, limit, descending=self._descending(request))
            if not page:
                return self._no_results()
            return self._ok([self._contact_wire(cid) for cid in page])

        return await self._handle(request, work)

    async def _add_members(self, request: web.Request) -> web.Response:
        return await self._handle(request, lambda r: self._change_members(r, add=True))

    async def _remove_members(self, request: web.Request) -> web.Response:
        return await self._handle(request, lambda r: self._change_members(r, add=False))

    async def _change_members(self, request: web.Request, *, add: bool) -> web.Response:
        group = self._group(request)
        ids = self._id_list(await self._body(request))
        members = group.members
        contacts = self._contacts
        data: list[str] = []
        errors: list[dict[str, Any]] = []
        for raw in ids:
            cid = _as_id(raw)
            if cid is None:
                errors.append(self._invalid("id", raw, "Id must be an integer"))
            elif cid not in contacts:
                errors.append(
                    self._item_error(ITEM_NOT_FOUND, "Not found", "Contact not found", "id", raw)
                )
            else:
                # an existing member (add) or a non-member (remove) is a silent no-op
                if add:
                    members.add(cid)
                else:
                    members.remove(cid)
                data.append(cid)
        return self._bulk(data, errors)

    async def _count_members(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            group = self._group(request)
            if group.dynamic:
                now = time.time()
                job = group.count_job
                if job is None or (job.expires_at is not None and now >= job.expires_at):
                    expires_at = None if self.expires_in is None else now + self.expires_in
                    job = group.count_job = _CountJob(self.count_pending, expires_at)
                if job.left is None or job.left > 0:
                    if job.left is not None:
                        job.left -= 1
                    headers = {"Retry-After": f"{self.retry_after:g}"}
                    if job.expires_at is not None:
                        headers["Expires"] = email.utils.formatdate(job.expires_at, usegmt=True)
                    return self._ok([], status=202, headers=headers)
                group.count_job = None
            return self._ok([{"count": len(group.members)}])

        return await self._handle(request, work)

    async def _list_contacts(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            offset, limit = self._paging(request)
            query = request.query
            for flag in (
                "inArchive",
                "isUnsubscribeSms",
                "isUnsubscribeEmail",
                "isUnsubscribePush",
            ):
                # nobody in the fake is archived or unsubscribed
                if query.get(flag, "").lower() in ("1", "true"):
                    return self._no_results()
            exact: list[str | None] = []
            if "id" in query:
                exact.append(_as_id(query["id"]))
            for position, field in enumerate(("externalId", "email", "phoneNumber")):
                if field in query:
                    exact.append(self._index(position).get(query[field]))
            group: _Group | None = None
            if "group" in query:
                group = self.groups.get(_as_id(query["group"]) or "")
                if group is None:
                    return self._no_results()
            candidates: Iterable[str]
            if exact:
                first = exact[0]
                fits = (
                    first is not None
                    and first in self._contacts
                    and all(other == first for other in exact)
                    and (group is None or first in group.members)
                )
                candidates = [first] if fits and first is not None else []
            elif group is not None:
                candidates = iter(group.members)
            else:
                candidates = iter(self._contacts)
            page = list(itertools.islice(candidates, offset, offset + limit))
            if not page:
                return self._no_results()
            return self._ok([self._contact_wire(cid) for cid in page])

        return await self._handle(request, work)
