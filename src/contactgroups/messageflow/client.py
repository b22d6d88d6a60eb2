"""The MessageFlow (Vercom) REST API v2.1 client: groups, group members, contact search.

Two raw keys authenticate every call (``Authorization`` and ``Application-Key``, no scheme). Bodies
are JSON, bulk writes take arrays and may answer 207 (partial success, returned as a
``BulkResult``), listings page by offset/limit (at most 1000) and answer 404 when a page is empty,
and some reads answer 202 + ``Retry-After`` until the result is ready.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import cattrs

from .._http import (
    BaseClient,
    ClientOptions,
    HeaderAuth,
    Page,
    Pager,
    Response,
    TimeoutLike,
    Transport,
    id_list,
    require_credential,
    require_text,
)
from ..errors import ContactGroupsError, InvalidRequestError, NotFoundError
from .errors import parse_error, request_id_of
from .membership import MessageFlowMembership
from .models import BulkResult, Contact, Group, GroupInput, GroupUpdate, ItemError, converter

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Client",
    "Contacts",
    "Groups",
]

_log = logging.getLogger("contactgroups.messageflow")

PROVIDER = "messageflow"
DEFAULT_BASE_URL = "https://api.messageflow.com/v2.1"
#: the vendor's page-size ceiling (``limit``) on every listing
MAX_PAGE_SIZE = 1000
#: the vendor's default ``limit``
DEFAULT_PAGE_SIZE = 100

GROUP_ORDER_BY = ("id", "createdAt", "name")
MEMBER_ORDER_BY = ("id", "createdAt")
ORDER_DIRECTIONS = ("ASC", "DESC")

T = TypeVar("T")

_DIGITS = re.compile(r"[0-9]+")


# -- client-side checks ------------------------------------------------------------------------


def numeric_id(value: object, *, what: str = "id") -> int:
    """A MessageFlow id (``str`` of digits or ``int``) as the integer the vendor documents."""
    if type(value) is str:
        if value.isascii() and value.isdigit():
            return int(value)
    elif type(value) is int and value >= 0:
        return value
    # the slow path only explains what is wrong
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidRequestError(
            f"{what} must be a string of digits or an integer, not {type(value).__name__}",
            provider=PROVIDER,
        )
    if isinstance(value, int):
        raise InvalidRequestError(f"{what} must not be negative", provider=PROVIDER)
    shown = value if len(value) <= 32 else value[:32] + "…"
    raise InvalidRequestError(
        f"{what} must be digits: MessageFlow ids are integers (got {shown!r})",
        provider=PROVIDER,
    )


def numeric_ids(ids: Iterable[str | int], *, what: str) -> list[int]:
    """1 or more ids (a list, not a bare string) as integers."""
    if type(ids) is list and ids and set(map(type, ids)) == {str} and "" not in ids:
        joined = "".join(ids)
        if joined.isascii() and joined.isdigit():  # the common case, checked in C
            return list(map(int, ids))
    return id_list(ids, what=what, provider=PROVIDER, convert=partial(numeric_id, what=what))


_ID_ARRAY = re.compile(r"(?:0|[1-9][0-9]*)(?:,(?:0|[1-9][0-9]*))*")


def _id_array(ids: Iterable[str | int], *, what: str) -> bytes:
    """``{"id":[1,2,3]}`` as JSON. Digit strings without a leading zero (the common case) are
    already JSON numbers: written as they are, with one regex check instead of a conversion."""
    if type(ids) is list and ids and set(map(type, ids)) == {str}:
        joined = ",".join(ids)
        # one comma per gap: an id holding a comma of its own must not become two ids
        if joined.count(",") == len(ids) - 1 and _ID_ARRAY.fullmatch(joined):
            return b'{"id":[' + joined.encode("ascii") + b"]}"
    numbers = numeric_ids(ids, what=what)
    return b'{"id":[' + ",".join(map(str, numbers)).encode("ascii") + b"]}"


def _order(
    order_by: str | None, order_direction: str | None, allowed: Sequence[str]
) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    if order_by is not None:
        if order_by not in allowed:
            raise InvalidRequestError(
                f"order_by must be one of {', '.join(allowed)} (got {order_by!r})",
                provider=PROVIDER,
            )
        params.append(("orderBy", order_by))
    if order_direction is not None:
        direction = order_direction.upper() if isinstance(order_direction, str) else None
        if direction not in ORDER_DIRECTIONS:
            raise InvalidRequestError(
                f"order_direction must be ASC or DESC (got {order_direction!r})",
                provider=PROVIDER,
            )
        params.append(("orderDirection", direction))
    return params


def _optional_text(value: object, *, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"{what} must be a string, not {type(value).__name__}", provider=PROVIDER
        )
    return value


def _vendor_datetime(value: dt.datetime | str | None, *, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    raise InvalidRequestError(
        f"{what} must be a datetime or a 'YYYY-MM-DD hh:mm:ss' string", provider=PROVIDER
    )


def _one_or_many(value: object, kind: type[T], *, what: str) -> list[T]:
    items = [value] if isinstance(value, kind) else value
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidRequestError(
            f"pass a {kind.__name__} or a list of them as {what}", provider=PROVIDER
        )
    result = list(items)
    for item in result:
        if not isinstance(item, kind):
            raise InvalidRequestError(
                f"{what} must hold {kind.__name__} objects, not {type(item).__name__}",
                provider=PROVIDER,
            )
    if not result:
        raise InvalidRequestError(f"at least one item is required in {what}", provider=PROVIDER)
    return result


def _objects_or_keywords(
    given: object,
    kind: type[T],
    keywords: Mapping[str, object],
    make: Callable[[], T],
    *,
    required: str,
) -> list[T]:
    """``kind`` objects (one or a list), or the keyword form of one of them; never both."""
    if given is None:
        if keywords[required] is None:
            raise InvalidRequestError(
                f"pass {kind.__name__} objects or {required}=...", provider=PROVIDER
            )
        return [make()]
    if any(value is not None for value in keywords.values()):
        raise InvalidRequestError(
            f"pass either {kind.__name__} objects or {'=/'.join(keywords)}=, not both",
            provider=PROVIDER,
        )
    return _one_or_many(given, kind, what="groups")


# -- reading the envelope ----------------------------------------------------------------------


def _envelope(response: Response) -> dict[str, Any]:
    body = response.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise response.malformed("expected the {meta, data, errors} envelope")
    return body


def _data_list(response: Response, body: Mapping[str, Any]) -> list[Any]:
    data = body.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise response.malformed("'data' is not a list")
    return data


def _item_errors(response: Response, body: Mapping[str, Any]) -> tuple[ItemError, ...]:
    errors = body.get("errors")
    if errors is None:
        return ()
    if not isinstance(errors, list):
        raise response.malformed("'errors' is not a list")
    return tuple(ItemError.from_wire(e) for e in errors if isinstance(e, dict))


def _ids_of(data: Iterable[Any]) -> tuple[str, ...]:
    """The ids in a bulk answer's ``data``, read leniently: its shape is not documented."""
    try:
        values = [item["id"] for item in data]  # the common case: [{"id": "123"}, ...]
    except (TypeError, KeyError, IndexError):
        pass
    else:
        if set(map(type, values)) == {str}:
            return tuple(values)
    ids: list[str] = []
    for item in data:
        value = item.get("id") if type(item) is dict else item
        if type(value) is str:
            ids.append(value)
        elif type(value) is int:
            ids.append(str(value))
    return tuple(ids)


def _member_ids(response: Response, data: list[Any]) -> tuple[str, ...]:
    ids: list[str] = []
    for item in data:
        value = item.get("id") if isinstance(item, dict) else None
        if isinstance(value, str) and value:
            ids.append(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            ids.append(str(value))
        else:
            raise response.malformed(f"a listed contact has no usable id: {item!r:.100}")
    return tuple(ids)


def _groups_of(data: Iterable[Any]) -> tuple[Group, ...]:
    """Groups in a bulk answer's ``data``; items without an id are skipped (the write landed,
    so failing here would only invite a duplicate retry)."""
    groups: list[Group] = []
    for item in data:
        if isinstance(item, dict) and item.get("id") not in (None, ""):
            try:
                groups.append(converter.structure(item, Group))
            except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError):
                # an odd field must not hide a write that landed
                continue
    return tuple(groups)


def _is_no_results(exc: NotFoundError) -> bool:
    """A 404 in the vendor's envelope ("processed, no results"), not some proxy's 404 page."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        return False
    return isinstance(body, dict) and ("errors" in body or "meta" in body)


def _count_of(body: Mapping[str, Any]) -> int | None:
    data = body.get("data")
    first = data[0] if isinstance(data, list) and data else data
    if isinstance(first, dict):
        first = first.get("count")
    if isinstance(first, bool):
        return None
    if isinstance(first, int):
        return first
    if isinstance(first, str) and _DIGITS.fullmatch(first):
        return int(first)
    return None


# -- resources ---------------------------------------------------------------------------------


class _Resource:
    def __init__(self, transport: Transport, *, compress: bool = False) -> None:
        self._transport = transport
        self._compress = compress
        self.converter = converter

    async def _bulk(
        self, method: str, segments: Sequence[object], body: Any, *, idempotent: bool = True
    ) -> tuple[Response, dict[str, Any]]:
        response = await self._transport.request(
            method, segments, json_body=body, compress=self._compress, idempotent=idempotent
        )
        return response, _envelope(response)

    def _pager(
        self,
        segments: tuple[object, ...],
        params: list[tuple[str, str]],
        model: type[T] | None,
        *,
        page_size: int,
        max_items: int | None,
    ) -> Pager[T]:
        """``model`` None: the items' ``id`` only, as ``str`` (the fast path ``members`` uses)."""

        async def fetch(offset: int, limit: int) -> Page[T]:
            query = [("offset", str(offset)), ("limit", str(limit)), *params]
            try:
                response = await self._transport.request(
                    "GET", segments, params=query, idempotent=True, long_running=True
                )
            except NotFoundError as exc:
                if not _is_no_results(exc):
                    raise
                return Page(items=(), offset=offset, limit=limit, request_id=exc.request_id)
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                # a listing's 200 always carries `data`; anything else is not the vendor speaking
                raise response.malformed("a listing answer without a 'data' list")
            data = body["data"]
            items: tuple[Any, ...]
            if model is None:
                items = _member_ids(response, data)
            else:
                items = tuple(response.structure(converter, d, model) for d in data)
            return Page(
                items=items,
                offset=offset,
                limit=limit,
                next_offset=offset + len(items) if len(items) >= limit else None,
                request_id=request_id_of(body),
            )

        return Pager(
            fetch,
            page_size=page_size,
            max_items=max_items,
            max_page_size=MAX_PAGE_SIZE,
            provider=PROVIDER,
        )


class Groups(_Resource):
    """``/group``: bulk create/update/delete of groups, and bulk membership by contact id."""

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
        params = _order(order_by, order_direction, GROUP_ORDER_BY)
        return self._pager(("group",), params, Group, page_size=page_size, max_items=max_items)

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
        items = _objects_or_keywords(
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
            _optional_text(item.description, what="group description")
            if item.external_id is not None:
                require_text(item.external_id, what="group external_id", provider=PROVIDER)
            body.append(converter.unstructure(item))
        # not idempotent: a repeat could create the groups twice
        response, envelope = await self._bulk("POST", ("group",), body, idempotent=False)
        created = _groups_of(_data_list(response, envelope))
        if not created and response.status == 200:
            # the documented 200 carries only `meta`: look the new groups up, as the vendor
            # note suggests (newest first, matched on externalId, else on name)
            created = await self._find_created(items)
        return self._result(response, envelope, created)

    async def _find_created(self, items: Sequence[GroupInput]) -> tuple[Group, ...]:
        try:
            page = await self.list(
                page_size=min(MAX_PAGE_SIZE, max(100, 2 * len(items))),
                order_by="createdAt",
                order_direction="DESC",
            )
        except ContactGroupsError as exc:
            # the groups were created; failing now would only invite a duplicate create
            _log.warning("messageflow: created groups could not be looked up (%s)", exc)
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
        items = _objects_or_keywords(
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
                entry["description"] = _optional_text(item.description, what="group description")
            if len(entry) == 1:
                raise InvalidRequestError(
                    f"nothing to update for group {entry['id']}: give a name or a description",
                    provider=PROVIDER,
                )
            body.append(entry)
        response, envelope = await self._bulk("PUT", ("group",), body)
        return self._result(response, envelope, _groups_of(_data_list(response, envelope)))

    async def delete(self, group_ids: str | int | Iterable[str | int]) -> BulkResult[str]:
        """``DELETE /group`` with the body ``{"id": [...]}``: delete one or many groups (their
        contacts stay). ``data`` holds the ids the vendor reports as deleted, if it says."""
        ids = [group_ids] if isinstance(group_ids, (str, int)) else group_ids
        body = {"id": numeric_ids(ids, what="group id")}
        response, envelope = await self._bulk("DELETE", ("group",), body)
        return self._result(response, envelope, _ids_of(_data_list(response, envelope)))

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
        params = _order(order_by, order_direction, MEMBER_ORDER_BY)
        return self._pager(
            ("group", str(gid), "contact"),
            params,
            Contact,
            page_size=page_size,
            max_items=max_items,
        )

    def _member_ids(self, group_id: str | int, *, page_size: int = MAX_PAGE_SIZE) -> Pager[str]:
        """The members' ids only (no model per member): what ``membership.members`` walks."""
        gid = numeric_id(group_id, what="group id")
        segments = ("group", str(gid), "contact")
        return self._pager(segments, [], None, page_size=page_size, max_items=None)

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
            content=_id_array(contact_ids, what="contact id"),
            content_type="application/json",
            compress=self._compress,
            idempotent=True,
        )
        envelope = _envelope(response)
        return self._result(response, envelope, _ids_of(_data_list(response, envelope)))

    async def count_contacts(self, group_id: str | int, *, timeout: TimeoutLike = None) -> int:
        """``GET /group/{groupId}/count``: how many members. A dynamic group may answer 202 +
        ``Retry-After`` first; the call asks again until done, until the vendor's ``Expires`` or
        until ``timeout`` (the client's by default) runs out (``errors.TimeoutError``).

        The 200 body is undocumented: ``data[0].count`` or a bare number is read, otherwise the
        members are counted through the listing (one call per 1000).
        """
        gid = numeric_id(group_id, what="group id")
        response = await self._transport.request(
            "GET",
            ("group", str(gid), "count"),
            idempotent=True,
            long_running=True,
            timeout=timeout,
        )
        count = _count_of(_envelope(response))
        if count is not None:
            return count
        self._transport.log.debug("count of group %s unreadable; counting the listing", gid)
        total = 0
        async for page in self.list_contacts(gid, page_size=MAX_PAGE_SIZE).pages():
            total += len(page.items)
        return total

    @staticmethod
    def _result(
        response: Response, envelope: Mapping[str, Any], data: tuple[T, ...]
    ) -> BulkResult[T]:
        return BulkResult(
            data=data,
            errors=_item_errors(response, envelope),
            request_id=request_id_of(envelope),
            status=response.status,
        )


class Contacts(_Resource):
    """``/contact``: search contacts by the documented filters, to turn customer keys into ids.

    Creating, updating and deleting contacts are not wrapped: their paths and bodies are not in
    any readable copy of the vendor docs.
    """

    def list(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        external_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        group_id: str | int | None = None,
        contact_id: str | int | None = None,
        in_archive: bool | None = None,
        archive_date_from: dt.datetime | str | None = None,
        archive_date_to: dt.datetime | str | None = None,
        is_unsubscribe_sms: bool | None = None,
        is_unsubscribe_email: bool | None = None,
        is_unsubscribe_push: bool | None = None,
    ) -> Pager[Contact]:
        """``GET /contact``: contacts matching every filter given, ``page_size`` up to 1000.
        ``group_id`` and ``contact_id`` are sent as ``group`` and ``id``; dates as
        ``YYYY-MM-DD hh:mm:ss``. No match is an empty listing."""
        params: list[tuple[str, str]] = []
        for key, text in (
            ("externalId", external_id),
            ("email", email),
            ("phoneNumber", phone_number),
        ):
            if _optional_text(text, what=key) is not None:
                params.append((key, str(text)))
        if group_id is not None:
            params.append(("group", str(numeric_id(group_id, what="group id"))))
        if contact_id is not None:
            params.append(("id", str(numeric_id(contact_id, what="contact id"))))
        for key, stamp in (
            ("archiveDateFrom", archive_date_from),
            ("archiveDateTo", archive_date_to),
        ):
            formatted = _vendor_datetime(stamp, what=key)
            if formatted is not None:
                params.append((key, formatted))
        for key, flag in (
            ("inArchive", in_archive),
            ("isUnsubscribeSms", is_unsubscribe_sms),
            ("isUnsubscribeEmail", is_unsubscribe_email),
            ("isUnsubscribePush", is_unsubscribe_push),
        ):
            if flag is not None:
                if not isinstance(flag, bool):
                    raise InvalidRequestError(f"{key} must be a bool", provider=PROVIDER)
                params.append((key, "true" if flag else "false"))
        return self._pager(("contact",), params, Contact, page_size=page_size, max_items=max_items)

    async def find(
        self,
        *,
        external_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
    ) -> Contact | None:
        """The first contact with this ``external_id`` (the customer's unique key), ``email`` or
        ``phone_number``, or None."""
        if external_id is None and email is None and phone_number is None:
            raise InvalidRequestError(
                "find needs external_id, email or phone_number", provider=PROVIDER
            )
        page = await self.list(
            page_size=1, external_id=external_id, email=email, phone_number=phone_number
        )
        return page.items[0] if page.items else None


# -- the client --------------------------------------------------------------------------------


class Client(BaseClient):
    """MessageFlow (Vercom) API v2.1. ``async with messageflow.Client(authorization=...,
    application_key=...) as mf: ...``

    ``compress=True`` gzips request bodies (``Content-Encoding: gzip``, the vendor's "input
    compression"); off by default. ``max_add_per_call`` / ``max_remove_per_call`` (1..1000) size
    the ``membership`` adapter's calls for ``multi``.
    """

    provider: ClassVar[str] = PROVIDER

    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        authorization: str,
        application_key: str,
        compress: bool = False,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        membership_concurrency: int | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        authorization = require_credential(authorization, what="authorization", provider=PROVIDER)
        application_key = require_credential(
            application_key, what="application_key", provider=PROVIDER
        )
        auth = HeaderAuth(
            {"Authorization": authorization, "Application-Key": application_key},
            secrets=(authorization, application_key),
        )
        self._compress = bool(compress)
        self._membership_options = {
            "max_add_per_call": max_add_per_call,
            "max_remove_per_call": max_remove_per_call,
            "default_concurrency": membership_concurrency,
        }
        super().__init__(auth, parse_error=parse_error, **options)

    def _bind(self, transport: Transport) -> None:
        self.groups = Groups(transport, compress=self._compress)
        self.contacts = Contacts(transport, compress=self._compress)
        self._membership = MessageFlowMembership(self.groups, **self._membership_options)

    @property
    def membership(self) -> MessageFlowMembership:
        """The adapter ``multi`` uses: up to 1000 ids per call, 207 items reported per id."""
        return self._membership
