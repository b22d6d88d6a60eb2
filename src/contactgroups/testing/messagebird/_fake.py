"""The MessageBird fake's server: its state, the helpers for tests, and the request handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from ...messagebird import MAX_IDS_PER_ADD, Client, ClientKeywords
from .._ordered import OrderedIds
from .._server import FakeServer, Faults, json_response
from ._wire import (
    CUSTOM_FIELDS,
    Contact,
    Group,
    error_response,
    group_name,
    int_param,
    method_not_found,
    new_id,
    not_found,
    now,
    optional_str,
    parse_msisdn,
    read_body,
    reject,
    render_contact,
    render_group,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DEFAULT_ACCESS_KEY", "MessageBirdFake"]

DEFAULT_ACCESS_KEY = "test_fakeMessageBirdAccessKey0"

_Handler = Callable[[web.Request, str, dict[str, Any]], Awaitable[web.StreamResponse]]


class MessageBirdFake(FakeServer):
    """MessageBird's groups and contacts, in memory, on 127.0.0.1.

    Options (unconfirmed at the vendor, so configurable):
        unknown_ids: on add, "error" answers 422/code 10 for any unknown contact id and changes
            nothing; "ignore" skips them. Ids already in the group are skipped silently.
        max_limit: the largest ``limit`` a listing accepts (a larger one is 422/code 10).
        default_limit: the page size when ``limit`` is not sent.
        page_cap: serve at most this many items per page whatever ``limit`` asked (echoing the
            limit asked; unconfirmed: no maximum page size is documented). None: no cap.
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
        page_cap: int | None = None,
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
        self.page_cap = page_cap
        self.group_update_status = group_update_status
        self.contact_update_status = contact_update_status
        self.query_access_key = query_access_key
        self.accept_sdk_add_path = accept_sdk_add_path
        self.groups: dict[str, Group] = {}
        self.contacts: dict[str, Contact] = {}
        self._group_order = OrderedIds()
        self._contact_order = OrderedIds()
        self._by_msisdn: dict[int, OrderedIds] = {}
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
        created = now()
        group = Group(id=new_id(), name=name, created=created, updated=created)
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
        return self._store_contact(parse_msisdn(msisdn), first_name, last_name).id

    def seed_contacts(self, n: int) -> list[str]:
        """Create ``n`` contacts with fresh numbers directly in state; returns their ids."""
        created = now()
        start = self._next_msisdn
        self._next_msisdn += n
        return [self._store_contact(start + i, None, None, created).id for i in range(n)]

    def seed_members(self, group_id: str, contact_ids: Iterable[str]) -> None:
        """Put existing contacts into a group directly in state (no requests)."""
        group = self.groups[group_id]
        for contact_id in contact_ids:
            group.members.add(contact_id)
            self.contacts[contact_id].groups.add(group_id)

    def member_ids(self, group_id: str) -> set[str]:
        """The contact ids in a group (KeyError for an unknown group)."""
        return set(self.groups[group_id].members)

    def client_options(self) -> dict[str, Any]:
        """The ``messagebird.Client`` keywords for this fake: its URL and access key."""
        return {"access_key": self.access_key, "base_url": self.url}

    def client(self, **kwargs: Unpack[ClientKeywords]) -> Client:
        """A client pointed at this fake with its access key (kwargs override or add)."""
        return Client(**{**self.client_options(), **kwargs})

    def fault_response(self, request: web.Request, status: int) -> web.Response:
        if status == 429:
            return error_response(429, 0, "Too many requests")
        if status >= 500:
            return error_response(status, 99, "internal error")
        return error_response(status, 0, f"injected {status}")

    # -- state ---------------------------------------------------------------------------------

    def _store_contact(
        self, number: int, first_name: str | None, last_name: str | None, created: str | None = None
    ) -> Contact:
        created = created or now()
        contact = Contact(
            id=new_id(),
            msisdn=number,
            created=created,
            updated=created,
            first_name=first_name,
            last_name=last_name,
        )
        self.contacts[contact.id] = contact
        self._contact_order.add(contact.id)
        self._by_msisdn.setdefault(number, OrderedIds()).add(contact.id)
        return contact

    def _get_group(self, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None:
            raise not_found("group")
        return group

    def _get_contact(self, contact_id: str) -> Contact:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise not_found("contact")
        return contact

    # -- answers -------------------------------------------------------------------------------

    def _render_group(self, group_id: str) -> dict[str, Any]:
        return render_group(self.url, self.groups[group_id])

    def _render_contact(self, contact_id: str) -> dict[str, Any]:
        return render_contact(self.url, self.contacts[contact_id])

    def _page(
        self,
        request: web.Request,
        path: str,
        keys: OrderedIds,
        render: Callable[[str], dict[str, Any]],
    ) -> web.Response:
        offset = int_param(request, "offset", 0, minimum=0)
        limit = int_param(request, "limit", self.default_limit, minimum=1)
        if limit > self.max_limit:
            raise reject(422, 10, f"limit must be at most {self.max_limit}", "limit")
        total = len(keys)
        served = limit if self.page_cap is None else min(limit, self.page_cap)
        items = [render(k) for k in keys.page(offset, served)]
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
                raise reject(401, 2, "Request not allowed (incorrect access_key)", "access_key")
            method = request.method
            override = request.query.get("_method")
            if method == "GET" and override:
                method = override.upper()
            return await handler(request, method, await read_body(request, method))

        return run

    # -- handlers ------------------------------------------------------------------------------

    async def _unknown(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        raise method_not_found()

    async def _groups(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        if method == "GET":
            return self._page(
                request,
                "/groups",
                self._group_order,
                self._render_group,
            )
        if method == "POST":
            name = group_name(body)
            group_id = self.seed_group(name)
            return json_response(self._render_group(group_id), status=201)
        raise method_not_found()

    async def _group(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        group = self._get_group(request.match_info["group_id"])
        if method == "GET":
            return json_response(self._render_group(group.id))
        if method == "PATCH":
            group.name = group_name(body)
            group.updated = now()
            if self.group_update_status == 204:
                return web.Response(status=204)
            return json_response(self._render_group(group.id))
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
        raise method_not_found()

    async def _group_contacts(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        group = self._get_group(request.match_info["group_id"])
        if method == "GET":
            return self._page(
                request,
                f"/groups/{group.id}/contacts",
                group.members,
                self._render_contact,
            )
        if method == "PUT":
            self._add(group, body.get("ids"))
            return web.Response(status=204)
        raise method_not_found()

    def _add(self, group: Group, ids: object) -> None:
        if not isinstance(ids, list) or not ids:
            raise reject(422, 9, "ids is required", "ids")
        if len(ids) > MAX_IDS_PER_ADD:
            raise reject(422, 10, f"ids may hold at most {MAX_IDS_PER_ADD} contact ids", "ids")
        if not all(isinstance(i, str) for i in ids):
            raise reject(422, 10, "ids is invalid", "ids")
        known = [i for i in ids if i in self.contacts]
        if len(known) != len(ids) and self.unknown_ids == "error":
            raise reject(422, 10, "ids contains unknown contact ids", "ids")
        for contact_id in known:
            if group.members.add(contact_id):
                self.contacts[contact_id].groups.add(group.id)

    async def _group_contact(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        group = self._get_group(request.match_info["group_id"])
        if method != "DELETE":
            raise method_not_found()
        contact_id = request.match_info["contact_id"]
        if not group.members.discard(contact_id):
            raise reject(404, 20, "contact not found in group")
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
                keys = self._by_msisdn.get(parse_msisdn(raw), OrderedIds())
            return self._page(
                request,
                "/contacts",
                keys,
                self._render_contact,
            )
        if method == "POST":
            if body.get("msisdn") in (None, ""):
                raise reject(422, 9, "msisdn is required", "msisdn")
            number = parse_msisdn(body["msisdn"])
            first = optional_str(body, "firstName")
            last = optional_str(body, "lastName")
            custom: dict[str, str | None] = {k: optional_str(body, k) for k in CUSTOM_FIELDS}
            contact = self._store_contact(number, first, last)
            contact.custom.update(custom)
            return json_response(self._render_contact(contact.id), status=201)
        raise method_not_found()

    async def _contact(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        contact = self._get_contact(request.match_info["contact_id"])
        if method == "GET":
            return json_response(self._render_contact(contact.id))
        if method == "PATCH":
            self._update_contact(contact, body)
            if self.contact_update_status == 204:
                return web.Response(status=204)
            return json_response(self._render_contact(contact.id))
        if method == "DELETE":
            for group_id in contact.groups:
                group = self.groups.get(group_id)
                if group is not None:
                    group.members.discard(contact.id)
            del self.contacts[contact.id]
            self._contact_order.discard(contact.id)
            self._by_msisdn[contact.msisdn].discard(contact.id)
            return web.Response(status=204)
        raise method_not_found()

    def _update_contact(self, contact: Contact, body: dict[str, Any]) -> None:
        # validate everything first, so a bad field changes nothing
        number = parse_msisdn(body["msisdn"]) if body.get("msisdn") not in (None, "") else None
        names = {k: optional_str(body, k) for k in ("firstName", "lastName") if k in body}
        custom: dict[str, str | None] = {
            k: optional_str(body, k) for k in CUSTOM_FIELDS if k in body
        }
        if number is not None and number != contact.msisdn:
            self._by_msisdn[contact.msisdn].discard(contact.id)
            self._by_msisdn.setdefault(number, OrderedIds()).add(contact.id)
            contact.msisdn = number
        if "firstName" in names:
            contact.first_name = names["firstName"]
        if "lastName" in names:
            contact.last_name = names["lastName"]
        contact.custom.update(custom)
        contact.updated = now()

    async def _contact_groups(
        self, request: web.Request, method: str, body: dict[str, Any]
    ) -> web.StreamResponse:
        contact = self._get_contact(request.match_info["contact_id"])
        if method != "GET":
            raise method_not_found()
        return self._page(
            request,
            f"/contacts/{contact.id}/groups",
            contact.groups,
            self._render_group,
        )
