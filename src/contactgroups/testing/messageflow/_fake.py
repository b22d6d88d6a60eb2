"""The MessageFlow fake's server: options, the helpers for tests, and the request handlers."""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ...messageflow import Client, ClientKeywords
from ...messageflow.errors import (
    INTERNAL_ERROR,
    INVALID_TOKEN,
    ITEM_DUPLICATE,
    ITEM_NOT_FOUND,
    RATE_LIMITED,
)
from .._server import FakeRejection, FakeServer, Faults, json_response
from ._state import (
    MEMBER_ORDER,
    SEARCH_FIELDS,
    ContactBook,
    CountJob,
    Group,
    as_id,
    now_seconds,
)
from ._wire import EMPTY_TOKEN_BODY, Envelopes, invalid, item_error

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DEFAULT_APPLICATION_KEY", "DEFAULT_AUTHORIZATION", "MessageFlowFake"]

#: 128 characters, like the vendor's authorization keys.
DEFAULT_AUTHORIZATION = ("mf-test-authorization-" + "0123456789abcdef" * 8)[:128]
DEFAULT_APPLICATION_KEY = "mf-test-application-key"

_Work = Callable[[web.Request], Awaitable[web.Response]]


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
        page_cap: serve at most this many items per listing page whatever ``limit`` asked
            (below the documented 1000: a vendor capping pages; None = no cap).
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
        page_cap: int | None = None,
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
        self.groups: dict[str, Group] = {}
        self._contacts = ContactBook()
        self._next_group = 1001
        self._wire = Envelopes(page_cap)
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
        self.groups[gid] = Group(
            id=gid,
            name=name,
            description=description,
            external_id=external_id,
            created_at=now_seconds(),
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
        return self._contacts.seed(n)

    def seed_members(self, group_id: str, contact_ids: Iterable[str]) -> None:
        """Put existing contacts into a group directly (no requests)."""
        group = self.groups[group_id]
        for cid in contact_ids:
            if cid not in self._contacts:
                raise KeyError(f"no contact {cid}")
            group.join(cid)

    def member_ids(self, group_id: str) -> set[str]:
        """The group's current member ids."""
        return self.groups[group_id].members.ids()

    def contact(self, contact_id: str) -> dict[str, Any]:
        """A contact as the API shows it."""
        return self._contacts.wire(contact_id)

    def client_options(self) -> dict[str, Any]:
        """The ``messageflow.Client`` keywords for this fake: its URL and keys."""
        return {
            "base_url": self.url,
            "authorization": self.authorization,
            "application_key": self.application_key,
        }

    def client(self, **kwargs: Unpack[ClientKeywords]) -> Client:
        """A ``messageflow.Client`` pointed at this fake with its keys."""
        return Client(**{**self.client_options(), **kwargs})

    def fault_response(self, request: web.Request, status: int) -> web.Response:
        if status == 429:
            return self._wire.error(429, RATE_LIMITED, "Too many requests", "Slow down")
        return self._wire.error(
            status, INTERNAL_ERROR, "Internal error", "Request was not processed"
        )

    # -- request checks -------------------------------------------------------------------------

    def _auth(self, request: web.Request) -> None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            raise FakeRejection(json_response(EMPTY_TOKEN_BODY, status=401))
        if (
            authorization != self.authorization
            or request.headers.get("Application-Key") != self.application_key
        ):
            raise FakeRejection(
                self._wire.error(
                    401, INVALID_TOKEN, "Invalid token", "Authorization data is invalid"
                )
            )

    def _group(self, request: web.Request) -> Group:
        group = self.groups.get(as_id(request.match_info["groupId"]) or "")
        if group is None:
            raise FakeRejection(self._wire.no_results())
        return group

    async def _handle(self, request: web.Request, work: _Work) -> web.Response:
        self._auth(request)
        return await work(request)

    def _bulk(self, data: list[Any], errors: list[dict[str, Any]]) -> web.Response:
        return self._wire.bulk(
            data, errors, write_data=self.write_data, all_failed_status=self.all_failed_status
        )

    # -- handlers -------------------------------------------------------------------------------

    async def _list_groups(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            offset, limit = self._wire.paging(request)
            order_by = request.query.get("orderBy", "id")
            if order_by not in ("id", "createdAt", "name"):
                raise self._wire.bad_request("orderBy must be id, createdAt or name")

            def key(group: Group) -> tuple[str | int, int]:
                if order_by == "name":
                    return group.name, int(group.id)
                return (group.created_at if order_by == "createdAt" else 0), int(group.id)

            ordered = sorted(self.groups.values(), key=key, reverse=self._wire.descending(request))
            page = ordered[offset : offset + limit]
            if not page:
                return self._wire.no_results()
            return self._wire.ok([g.wire() for g in page])

        return await self._handle(request, work)

    def _group_fields_error(
        self, name: Any, description: Any, source: str
    ) -> dict[str, Any] | None:
        if not isinstance(name, str) or not name.strip():
            return invalid("name", name, "Field name cannot be empty", source)
        if description is not None and not isinstance(description, str):
            return invalid("description", description, "Field description must be a string", source)
        return None

    async def _create_groups(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            body = await self._wire.body(request)
            if not isinstance(body, list) or not body:
                raise self._wire.bad_request("The body must be a JSON array of groups")
            taken = {g.external_id for g in self.groups.values() if g.external_id is not None}
            data: list[dict[str, Any]] = []
            errors: list[dict[str, Any]] = []
            for index, item in enumerate(body):
                source = str(index)
                if not isinstance(item, dict):
                    errors.append(invalid("", item, "Item must be an object", source))
                    continue
                name, description = item.get("name"), item.get("description")
                external_id = item.get("externalId")
                error = self._group_fields_error(name, description, source)
                if (
                    error is None
                    and external_id is not None
                    and (not isinstance(external_id, str) or external_id in taken)
                ):
                    error = item_error(
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
            body = await self._wire.body(request)
            if not isinstance(body, list) or not body:
                raise self._wire.bad_request("The body must be a JSON array of groups")
            data: list[dict[str, Any]] = []
            errors: list[dict[str, Any]] = []
            for index, item in enumerate(body):
                source = str(index)
                raw_id = item.get("id") if isinstance(item, dict) else None
                gid = as_id(raw_id)
                group = self.groups.get(gid) if gid is not None else None
                if not isinstance(item, dict) or gid is None:
                    errors.append(invalid("id", raw_id, "Field id must be an integer", source))
                    continue
                if group is None:
                    errors.append(
                        item_error(
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
            ids = self._wire.id_list(await self._wire.body(request))
            data: list[int] = []
            errors: list[dict[str, Any]] = []
            for raw in ids:
                gid = as_id(raw)
                if gid is None:
                    errors.append(invalid("id", raw, "Id must be an integer"))
                elif self.groups.pop(gid, None) is None:
                    errors.append(
                        item_error(ITEM_NOT_FOUND, "Not found", "Group not found", "id", raw)
                    )
                else:
                    data.append(int(gid))
            return self._bulk(data, errors)

        return await self._handle(request, work)

    async def _list_members(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            group = self._group(request)
            offset, limit = self._wire.paging(request)
            if request.query.get("orderBy", "id") not in MEMBER_ORDER:
                raise self._wire.bad_request("orderBy must be id or createdAt")
            page = group.member_page(offset, limit, descending=self._wire.descending(request))
            if not page:
                return self._wire.no_results()
            return self._wire.ok([self._contacts.wire(cid) for cid in page])

        return await self._handle(request, work)

    async def _add_members(self, request: web.Request) -> web.Response:
        return await self._handle(request, lambda r: self._change_members(r, add=True))

    async def _remove_members(self, request: web.Request) -> web.Response:
        return await self._handle(request, lambda r: self._change_members(r, add=False))

    async def _change_members(self, request: web.Request, *, add: bool) -> web.Response:
        group = self._group(request)
        ids = self._wire.id_list(await self._wire.body(request))
        contacts = self._contacts
        data: list[str] = []
        errors: list[dict[str, Any]] = []
        for raw in ids:
            cid = as_id(raw)
            if cid is None:
                errors.append(invalid("id", raw, "Id must be an integer"))
            elif cid not in contacts:
                errors.append(
                    item_error(ITEM_NOT_FOUND, "Not found", "Contact not found", "id", raw)
                )
            else:
                # an existing member (add) or a non-member (remove) is a silent no-op
                if add:
                    group.join(cid)
                else:
                    group.leave(cid)
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
                    job = group.count_job = CountJob(self.count_pending, expires_at)
                if job.left is None or job.left > 0:
                    if job.left is not None:
                        job.left -= 1
                    headers = {"Retry-After": f"{self.retry_after:g}"}
                    if job.expires_at is not None:
                        headers["Expires"] = email.utils.formatdate(job.expires_at, usegmt=True)
                    return self._wire.ok([], status=202, headers=headers)
                group.count_job = None
            return self._wire.ok([{"count": len(group.members)}])

        return await self._handle(request, work)

    async def _list_contacts(self, request: web.Request) -> web.Response:
        async def work(request: web.Request) -> web.Response:
            offset, limit = self._wire.paging(request)
            query = request.query
            for flag in (
                "inArchive",
                "isUnsubscribeSms",
                "isUnsubscribeEmail",
                "isUnsubscribePush",
            ):
                # nobody in the fake is archived or unsubscribed
                if query.get(flag, "").lower() in ("1", "true"):
                    return self._wire.no_results()
            exact: list[str | None] = []
            if "id" in query:
                exact.append(as_id(query["id"]))
            for field in SEARCH_FIELDS:
                if field in query:
                    exact.append(self._contacts.find(field, query[field]))
            group: Group | None = None
            if "group" in query:
                group = self.groups.get(as_id(query["group"]) or "")
                if group is None:
                    return self._wire.no_results()
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
                return self._wire.no_results()
            return self._wire.ok([self._contacts.wire(cid) for cid in page])

        return await self._handle(request, work)
