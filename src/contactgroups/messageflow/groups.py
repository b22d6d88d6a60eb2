"""``client.groups``: MessageFlow's ``/group`` endpoints.

Groups are created, updated and deleted in bulk (arrays, or ``{"id": [...]}`` on DELETE) and
members are added and removed by contact id, many per call; a bulk write may answer 207 (partial
success), returned as a ``BulkResult`` rather than raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from .._http import (
    STRUCTURE_ERRORS,
    Pager,
    Response,
    TimeoutLike,
    Transport,
    require_text,
    scrub_value,
)
from ..errors import ContactGroupsError, InvalidRequestError
from .listing import listing
from .models import BulkResult, Contact, Group, GroupInput, GroupUpdate, ItemError, converter
from .wire import (
    DEFAULT_PAGE_SIZE,
    GROUP_ORDER_BY,
    MAX_PAGE_SIZE,
    MEMBER_ORDER_BY,
    PROVIDER,
    count_of,
    data_list,
    envelope,
    id_array,
    ids_of,
    numeric_id,
    numeric_ids,
    objects_or_keywords,
    optional_text,
    order_params,
    request_id_of,
)

__all__ = ["Groups"]

T = TypeVar("T")


def _item_errors(response: Response, body: Mapping[str, Any]) -> tuple[ItemError, ...]:
    errors = body.get("errors")
    if errors is None:
        return ()
    if not isinstance(errors, list):
        raise response.malformed("'errors' is not a list")
    # per-item errors become exceptions a user prints: no echoed credential in any field
    errors = scrub_value(errors, response.secrets)
    return tuple(ItemError.from_wire(e) for e in errors if isinstance(e, dict))


def _result(response: Response, body: Mapping[str, Any], data: tuple[T, ...]) -> BulkResult[T]:
    return BulkResult(
        data=data,
        errors=_item_errors(response, body),
        request_id=request_id_of(body, response.secrets),
        status=response.status,
    )


def _groups_of(data: Iterable[Any]) -> tuple[Group, ...]:
    """Groups in a bulk answer's ``data``; items without an id are skipped (the write landed,
    so failing here would only invite a duplicate retry)."""
    groups: list[Group] = []
    for item in data:
        if isinstance(item, dict) and item.get("id") not in (None, ""):
            try:
                groups.append(converter.structure(item, Group))
            except STRUCTURE_ERRORS:
                # an odd field must not hide a write that landed
                continue
    return tuple(groups)


class Groups:
    """``/group``: bulk create/update/delete of groups, and bulk membership by contact id."""

    def __init__(self, transport: Transport, *, compress: bool = False) -> None:
        self._transport = transport
        self._compress = compress
        self.converter = converter

    async def _bulk(
        self, method: str, body: Any, *, idempotent: bool = True
    ) -> tuple[Response, dict[str, Any]]:
        response = await self._transport.request(
            method, ("group",), json_body=body, compress=self._compress, idempotent=idempotent
        )
        return response, envelope(response)

    def list(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        order_by: str | None = None,
        order_direction: str | None = None,
    ) -> Pager[Group]:
        """``GET /group``: every group, ``page_size`` up to 1000; ``order_by`` is ``id``,
        ``createdAt`` or ``name`` (vendor default ``id``, ``DESC``). An empty page is the end."""
        params = order_params(order_by, order_direction, GROUP_ORDER_BY)
        return listing(
            self._transport, ("group",), params, Group, page_size=page_size, max_items=max_items
        )

    async def create(
        self,
        groups: GroupInput | Iterable[GroupInput] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        external_id: str | None = None,
    ) -> BulkResult[Group]:
        """``POST /group``: create one or many groups in one call (``create(GroupInput(...))``,
        a list of them, or ``create(name=...)``). A 207 lists the items that failed.
        Never retried on a lost answer: a repeat could create the groups twice.

        The vendor's 200 answer carries no groups (only ``meta``), so the new groups are then
        looked up (``GET /group``, newest first, matched on ``external_id``, else on ``name``):
        give each an ``external_id`` for an exact match."""
        items = objects_or_keywords(
            groups,
            GroupInput,
            {"name": name, "description": description, "external_id": external_id},
            lambda: GroupInput(
                name=cast(str, name), description=description, external_id=external_id
            ),
            required="name",
        )
        body = []
        for item in items:
            require_text(item.name, what="group name", provider=PROVIDER)
            optional_text(item.description, what="group description")
            if item.external_id is not None:
                require_text(item.external_id, what="group external_id", provider=PROVIDER)
            body.append(converter.unstructure(item))
        # not idempotent: a repeat could create the groups twice
        response, answer = await self._bulk("POST", body, idempotent=False)
        created = _groups_of(data_list(response, answer))
        if not created and response.status == 200:
            # the documented 200 carries only `meta`: look the new groups up, as the vendor
            # note suggests (newest first, matched on externalId, else on name)
            created = await self._find_created(items)
        return _result(response, answer, created)

    async def _find_created(self, items: Sequence[GroupInput]) -> tuple[Group, ...]:
        try:
            page = await self.list(
                page_size=min(MAX_PAGE_SIZE, max(DEFAULT_PAGE_SIZE, 2 * len(items))),
                order_by="createdAt",
                order_direction="DESC",
            )
        except ContactGroupsError as exc:
            # the groups were created; failing now would only invite a duplicate create
            self._transport.log.warning(
                "%s: created groups could not be looked up (%s)", PROVIDER, exc
            )
            return ()
        found: list[Group] = []
        taken: set[str] = set()
        for item in items:
            for group in page.items:
                if group.id in taken:
                    continue
                if item.external_id is not None and group.external_id is not None:
                    match = group.external_id == item.external_id
                else:
                    match = group.name == item.name
                if match:
                    found.append(group)
                    taken.add(group.id)
                    break
        return tuple(found)

    async def update(
        self,
        groups: GroupUpdate | Iterable[GroupUpdate] | None = None,
        *,
        group_id: str | int | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> BulkResult[Group]:
        """``PUT /group``: rename or re-describe one or many groups in one call
        (``update(GroupUpdate(id, name=...))``, a list, or ``update(group_id=..., name=...)``)."""
        items = objects_or_keywords(
            groups,
            GroupUpdate,
            {"group_id": group_id, "name": name, "description": description},
            lambda: GroupUpdate(id=cast("str | int", group_id), name=name, description=description),
            required="group_id",
        )
        body: list[dict[str, Any]] = []
        for item in items:
            entry: dict[str, Any] = {"id": numeric_id(item.id, what="group id")}
            if item.name is not None:
                entry["name"] = require_text(item.name, what="group name", provider=PROVIDER)
            if item.description is not None:
                entry["description"] = optional_text(item.description, what="group description")
            if len(entry) == 1:
                raise InvalidRequestError(
                    f"nothing to update for group {entry['id']}: give a name or a description",
                    provider=PROVIDER,
                )
            body.append(entry)
        response, answer = await self._bulk("PUT", body)
        return _result(response, answer, _groups_of(data_list(response, answer)))

    async def delete(self, group_ids: str | int | Iterable[str | int]) -> BulkResult[str]:
        """``DELETE /group`` with the body ``{"id": [...]}``: delete one or many groups (their
        contacts stay). ``data`` holds the ids the vendor reports as deleted, if it says."""
        ids = [group_ids] if isinstance(group_ids, (str, int)) else group_ids
        body = {"id": numeric_ids(ids, what="group id")}
        response, answer = await self._bulk("DELETE", body)
        return _result(response, answer, ids_of(data_list(response, answer)))

    def list_contacts(
        self,
        group_id: str | int,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        order_by: str | None = None,
        order_direction: str | None = None,
    ) -> Pager[Contact]:
        """``GET /group/{groupId}/contact``: the members, ``page_size`` up to 1000; ``order_by``
        is ``id`` or ``createdAt``. An empty (or unknown) group is an empty listing."""
        gid = numeric_id(group_id, what="group id")
        params = order_params(order_by, order_direction, MEMBER_ORDER_BY)
        return listing(
            self._transport,
            ("group", str(gid), "contact"),
            params,
            Contact,
            page_size=page_size,
            max_items=max_items,
        )

    def list_contact_ids(
        self, group_id: str | int, *, page_size: int = MAX_PAGE_SIZE, expected: int | None = None
    ) -> Pager[str]:
        """``GET /group/{groupId}/contact`` read for the members' ids only (no model per
        member, the fast path for big groups), vendor order, in canonical form (``"7"``); a
        member without an id raises ``MalformedResponseError`` rather than being skipped.
        ``expected`` (the group's count) proves the walk: ending short of it raises."""
        gid = numeric_id(group_id, what="group id")
        segments = ("group", str(gid), "contact")
        return listing(
            self._transport,
            segments,
            (),
            None,
            page_size=page_size,
            max_items=None,
            total=expected,
        )

    async def add_contacts(
        self, group_id: str | int, contact_ids: Iterable[str | int]
    ) -> BulkResult[str]:
        """``POST /group/{groupId}/contact`` ``{"id": [...]}``: add contacts by id. Existing
        members are a silent no-op; unknown ids come back as per-item errors (207)."""
        return await self._membership("POST", group_id, contact_ids)

    async def remove_contacts(
        self, group_id: str | int, contact_ids: Iterable[str | int]
    ) -> BulkResult[str]:
        """``DELETE /group/{groupId}/contact`` with the body ``{"id": [...]}``: remove contacts
        by id. Removing a non-member is a no-op."""
        return await self._membership("DELETE", group_id, contact_ids)

    async def _membership(
        self, method: str, group_id: str | int, contact_ids: Iterable[str | int]
    ) -> BulkResult[str]:
        gid = numeric_id(group_id, what="group id")
        response = await self._transport.request(
            method,
            ("group", str(gid), "contact"),
            content=id_array(contact_ids, what="contact id"),
            content_type="application/json",
            compress=self._compress,
            idempotent=True,
        )
        answer = envelope(response)
        return _result(response, answer, ids_of(data_list(response, answer)))

    async def reported_count(
        self, group_id: str | int, *, timeout: TimeoutLike = None
    ) -> int | None:
        """``GET /group/{groupId}/count`` as the vendor reports it (202s waited out like
        ``count_contacts``); None when its undocumented answer does not read as a count."""
        gid = numeric_id(group_id, what="group id")
        response = await self._transport.request(
            "GET",
            ("group", str(gid), "count"),
            idempotent=True,
            long_running=True,
            timeout=timeout,
        )
        return count_of(envelope(response))

    async def count_contacts(self, group_id: str | int, *, timeout: TimeoutLike = None) -> int:
        """``GET /group/{groupId}/count``: how many members. A dynamic group may answer 202 +
        ``Retry-After`` first; the call asks again until done, until the vendor's ``Expires`` or
        until ``timeout`` (the client's by default) runs out (``errors.TimeoutError``).

        The 200 body is undocumented: ``data[0].count`` or a bare number is read, otherwise the
        members are counted through the listing (one call per 1000).
        """
        gid = numeric_id(group_id, what="group id")
        count = await self.reported_count(gid, timeout=timeout)
        if count is not None:
            return count
        self._transport.log.debug("count of group %s unreadable; counting the listing", gid)
        total = 0
        async for page in self.list_contacts(gid, page_size=MAX_PAGE_SIZE).pages():
            total += len(page.items)
        return total
