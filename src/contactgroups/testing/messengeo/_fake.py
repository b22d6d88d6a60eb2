"""The Messengeo fake's server: options, the OAuth token endpoint, and the API's handlers."""

from __future__ import annotations

import functools
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ...messengeo import Client, ClientKeywords
from ...messengeo.models import LIST_DEFAULT_PROPERTIES, LIST_PROPERTIES
from .._server import FakeRejection, FakeServer, Faults, json_response
from ._imports import read_upload
from ._state import Account, ListRow, PendingImport, now
from ._wire import (
    CONTACT_ALL,
    CONTACT_DEFAULT,
    EMAIL_RE,
    LazyStats,
    contacts_param,
    envelope,
    meta,
    optional_text,
    properties,
    read_params,
    reject,
    required,
    sort_views,
    split,
    truthy,
    window,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["MessengeoFake"]

_Handler = Callable[[dict[str, Any], web.Request], Awaitable[Any]]


class MessengeoFake(FakeServer):
    """Messengeo on 127.0.0.1: ``token_url = fake.origin + "/token"``, ``base_url = fake.url``.

    Options:
        client_id, client_secret: the credentials the token endpoint accepts.
        token_lifetime: seconds a token lives (sent as the string ``expires_in``).
        default_limit, max_limit: page size without ``limit``, and the silent cap on ``limit``.
        max_ids_per_call: most contact ids one ``contactadd``/``contactremove`` takes (400 above;
            None = no limit, as documented).
        import_polls, import_delay: an import stays ``"on"`` until the list was read this many
            times and this many seconds passed.
        errors_as_200: answer API errors (not 401) with HTTP 200 and the status in the body.
        clock: the fake's monotonic clock (token expiry, import delay).

    State: ``lists`` and ``contacts`` (by id). Test hooks: ``token_requests`` (token calls
    handled), ``unauthorized`` (401s answered), ``expire_tokens()``, ``finish_imports()``.
    """

    prefix = "/rest"

    def __init__(
        self,
        *,
        faults: Faults | None = None,
        client_id: str = "messengeo-test-client-id",
        client_secret: str = "messengeo-test-client-secret",
        token_lifetime: int = 3600,
        default_limit: int = 100,
        max_limit: int = 1000,
        max_ids_per_call: int | None = None,
        import_polls: int = 1,
        import_delay: float = 0.0,
        errors_as_200: bool = False,
        clock: Callable[[], float] = time.monotonic,
        record: bool = True,
    ) -> None:
        super().__init__(faults=faults, record=record)
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.max_ids_per_call = max_ids_per_call
        self.import_polls = import_polls
        self.import_delay = import_delay
        self.errors_as_200 = errors_as_200
        self.clock = clock
        self.token_requests = 0
        self.unauthorized = 0
        self.tokens: dict[str, float] = {}
        self.account = Account()
        self.app.router.add_post("/token", self._token)
        lists = (self._read_lists, self._post_lists, self._update_lists, self._delete_lists)
        contacts = (
            self._read_contacts, self._create_contacts, self._update_contacts, self._delete_contacts
        )  # fmt: skip
        for path, handlers in (("/rest/lists", lists), ("/rest/contacts", contacts)):
            for method, handler in zip(("GET", "POST", "PUT", "DELETE"), handlers, strict=True):
                self.app.router.add_route(method, path, self._api(handler))

    @property
    def lists(self) -> dict[str, ListRow]:
        """The account's lists by id."""
        return self.account.lists

    @property
    def contacts(self) -> dict[str, dict[str, Any]]:
        """The account's contacts by id (wire field names)."""
        return self.account.contacts

    # -- helpers for tests, benchmarks and the demo ----------------------------------------------

    def seed_group(self, name: str = "Seeded list", *, description: str | None = None) -> str:
        """A new list, straight into state; its id."""
        return self.account.new_list(name, description).id

    def seed_contacts(self, n: int) -> list[str]:
        """``n`` new contacts (with e-mail and mobile), straight into state; their ids."""
        return self.account.seed_contacts(n)

    def seed_members(self, group_id: str, contact_ids: Iterable[str]) -> None:
        """Put existing contacts into list ``group_id``, straight into state."""
        self.account.join_all(self.lists[group_id], contact_ids)

    def member_ids(self, group_id: str) -> set[str]:
        """The contact ids in list ``group_id`` (empty if there is no such list)."""
        found = self.lists.get(group_id)
        return set(found.members) if found else set()

    def client_options(self) -> dict[str, Any]:
        """The ``messengeo.Client`` keywords for this fake: its URLs and credentials."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "base_url": self.url,
            "token_url": self.origin + "/token",
        }

    def client(self, **kwargs: Unpack[ClientKeywords]) -> Client:
        """A ``messengeo.Client`` pointed at this fake with its credentials."""
        return Client(**{**self.client_options(), **kwargs})

    def expire_tokens(self) -> None:
        """Every token issued so far now gets a 401."""
        self.tokens.clear()

    def finish_imports(self) -> None:
        """Complete every running import now."""
        for list_id in list(self.account.importing):
            self._complete_import(self.lists[list_id])

    def fault_response(self, request: web.Request, status: int) -> web.Response:
        return json_response({"status": status, "message": f"injected fault {status}"}, status)

    # -- OAuth ------------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form: Mapping[str, Any]
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            form = body if isinstance(body, dict) else {}
        else:
            form = await request.post()
        grant = str(form.get("grant_type", ""))
        if grant != "client_credentials":
            return _oauth_error(
                "unsupported_grant_type", f"The grant type {grant!r} is not supported"
            )
        if (
            str(form.get("client_id", "")) != self.client_id
            or str(form.get("client_secret", "")) != self.client_secret
        ):
            return _oauth_error("invalid_client", "The client credentials are invalid")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.clock() + self.token_lifetime
        return json_response(
            {
                "access_token": token,
                "expires_in": str(self.token_lifetime),
                "token_type": "bearer",
                "scope": "basic",
            }
        )

    # -- the API wrapper ---------------------------------------------------------------------------

    def _api(self, handler: _Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def wrapped(request: web.Request) -> web.Response:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                self.unauthorized += 1
                return json_response({"status": 401, "message": "Missing access token"}, 401)
            expires = self.tokens.get(header[len("Bearer ") :])
            if expires is None or self.clock() >= expires:
                self.unauthorized += 1
                return json_response(
                    {"status": 401, "message": "The access token is invalid or has expired"}, 401
                )
            self._advance_imports()
            try:
                data = await handler(await read_params(request), request)
            except FakeRejection as rejection:
                if self.errors_as_200:
                    rejection.response.set_status(200)
                return rejection.response
            return json_response(data)

        return wrapped

    # -- lists ------------------------------------------------------------------------------------

    async def _read_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = split(params.get("id"))
        rows: Iterable[ListRow] = (
            [self.lists[i] for i in dict.fromkeys(ids) if i in self.lists]
            if ids
            else self.lists.values()
        )
        props = properties(params.get("properties"), LIST_DEFAULT_PROPERTIES, LIST_PROPERTIES)
        items = sort_views([self._list_view(row) for row in rows], params.get("sort"))
        page, total = self._page(items, params)
        for item in page:
            row = self.lists.get(item["id"])
            if row is not None and row.pending is not None:
                row.pending.polls += 1
        return envelope([{k: v for k, v in item.items() if k in props} for item in page], total)

    async def _post_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        action = params.get("action")
        if action in (None, ""):
            name = required(params, "name")
            row = self.account.new_list(name, optional_text(params.get("description")))
            return envelope([{"id": row.id, "name": row.name}], None)
        if action == "merge":
            return self._merge(params)
        if action == "import":
            return self._import(params)
        if action in ("contactadd", "contactremove"):
            return {"count": self._membership(params, add=action == "contactadd")}
        raise reject(400, "Bad Request", f"unknown action {action!r}")

    async def _update_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = split(params.get("id"))
        if not ids:
            raise reject(400, "Bad Request", "Parameter id is required")
        changes = meta(params)
        count = 0
        for list_id in dict.fromkeys(ids):
            row = self.lists.get(list_id)
            if row is None:
                continue
            count += 1
            if "name" in changes:
                name = str(changes["name"]).strip()
                if not name:
                    raise reject(400, "Bad Request", "name must not be empty")
                row.name = name
            if "description" in changes:
                row.description = optional_text(changes["description"])
            row.updated = now()
        return {"count": count}

    async def _delete_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = split(params.get("id"))
        if not ids:
            raise reject(400, "Bad Request", "Parameter id is required")
        return {"count": sum(self.account.delete_list(i) for i in dict.fromkeys(ids))}

    def _merge(self, params: dict[str, Any]) -> Any:
        ids = split(params.get("listIds"))
        name = required(params, "name")
        if not ids:
            raise reject(400, "Bad Request", "Parameter listIds is required")
        unknown = [i for i in ids if i not in self.lists]
        if unknown:
            raise reject(400, "Unknown list ids", ",".join(unknown))
        row = self.account.new_list(name, None)
        for list_id in ids:
            for cid in self.lists[list_id].members:
                self.account.join(row, cid)
        return envelope([{"id": row.id, "name": row.name}], None)

    def _import(self, params: dict[str, Any]) -> Any:
        name = required(params, "name")
        rows, invalid = read_upload(params)
        row = self.account.new_list(name, None)
        row.import_status = "on"
        row.pending = PendingImport(
            rows=rows, lines=len(rows) + invalid, invalid=invalid, started=self.clock()
        )
        self.account.importing.add(row.id)
        return envelope([{"id": row.id, "name": row.name}], None)

    def _membership(self, params: dict[str, Any], *, add: bool) -> int:
        list_id = str(params.get("id", "")).strip()
        if not list_id:
            raise reject(400, "Bad Request", "Parameter id is required")
        contact_ids = split(meta(params).get("contactIds"))
        if not contact_ids:
            raise reject(400, "Bad Request", "metaData.contactIds is required")
        if self.max_ids_per_call is not None and len(contact_ids) > self.max_ids_per_call:
            raise reject(400, "Bad Request", f"at most {self.max_ids_per_call} contactIds per call")
        row = self.lists.get(list_id)
        if row is None:
            return 0  # a filter that matches nothing changes nothing
        count = 0
        for cid in contact_ids:
            if add:
                count += cid in self.contacts and self.account.join(row, cid)
            else:
                count += self.account.leave(row, cid)
        if count:
            row.updated = now()
        return count

    def _list_view(self, row: ListRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "importErrors": row.import_errors,
            "importLines": None if row.import_lines is None else str(row.import_lines),
            "importInvalid": None if row.import_invalid is None else str(row.import_invalid),
            "importStatus": row.import_status,
            "dateUpdated": row.updated,
            "dateCreated": row.created,
            "stats": LazyStats(functools.partial(self.account.stats, row)),
        }

    # -- contacts ---------------------------------------------------------------------------------

    async def _read_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        candidates: Iterable[str] | None = None
        list_ids = split(params.get("listId")) or split(params.get("listIds"))
        if list_ids:
            merged: dict[str, None] = {}
            for list_id in list_ids:
                row = self.lists.get(list_id)
                if row is not None:
                    merged.update(row.members)
            candidates = merged
        checks: list[Callable[[str], bool]] = []
        for key, lookup in (
            ("email", self.account.with_email),
            ("mobile", self.account.with_mobile),
        ):
            wanted = split(params.get(key))
            if wanted:
                found: set[str] = set()
                for value in wanted:
                    found |= lookup(value)
                checks.append(found.__contains__)
        ids = split(params.get("id"))
        if ids:
            checks.append(set(ids).__contains__)
            if candidates is None:
                candidates = [i for i in dict.fromkeys(ids) if i in self.contacts]
        if candidates is None:
            candidates = self.contacts
        props = properties(params.get("properties"), CONTACT_DEFAULT, CONTACT_ALL)
        view = self.account.contact_view
        sort = params.get("sort")
        if sort:
            matching = [cid for cid in candidates if all(c(cid) for c in checks)]
            views = sort_views([view(cid, CONTACT_ALL) for cid in matching], sort)
            page, total = self._page(views, params)
            page = [{k: v for k, v in item.items() if k in props} for item in page]
        elif not checks and isinstance(candidates, dict):
            # a whole list or the whole account: slice without copying (members stay O(page))
            limit, offset = self._window(params)
            window = itertools.islice(candidates, offset, offset + limit)
            total = len(candidates) if truthy(params.get("total", "")) else None
            page = [view(cid, props) for cid in window]
        else:
            matching = [cid for cid in candidates if all(c(cid) for c in checks)]
            page_ids, total = self._page(matching, params)
            page = [view(cid, props) for cid in page_ids]
        return envelope(page, total)

    async def _create_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        entries = contacts_param(params)
        if not entries:
            raise reject(400, "Bad Request", "Parameter contacts is required")
        for index, entry in enumerate(entries):
            email = entry.get("email")
            if email not in (None, "") and not EMAIL_RE.match(str(email)):
                raise reject(417, f"Invalid email: {email}", f"contacts[{index}][email]")
        created = []
        for entry in entries:
            cid = self.account.new_contact_id()
            self.account.store_contact(cid, entry)
            created.append(self.account.contact_view(cid, CONTACT_ALL))
        return envelope(created, None)

    async def _update_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = split(params.get("id"))
        if not ids:
            raise reject(400, "Bad Request", "Parameter id is required")
        changes = meta(params)
        email = changes.get("email")
        if email not in (None, "") and not EMAIL_RE.match(str(email)):
            raise reject(417, f"Invalid email: {email}", "metaData[email]")
        count = 0
        for cid in dict.fromkeys(ids):
            if cid in self.contacts:
                self.account.store_contact(cid, changes)
                count += 1
        return {"count": count}

    async def _delete_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = split(params.get("id"))
        if not ids:
            raise reject(400, "Bad Request", "Parameter id is required")
        return {"count": sum(self.account.delete_contact(cid) for cid in dict.fromkeys(ids))}

    # -- imports ----------------------------------------------------------------------------------

    def _advance_imports(self) -> None:
        if self.account.importing:
            self.account.advance_imports(
                self.clock(), self.import_polls, self.import_delay, self._import_errors_url
            )

    def _complete_import(self, row: ListRow) -> None:
        self.account.complete_import(row, self._import_errors_url(row))

    def _import_errors_url(self, row: ListRow) -> str:
        return f"{self.url}/lists.csv?id={row.id}&importErrors=1"

    def _window(self, params: Mapping[str, Any]) -> tuple[int, int]:
        return window(params, self.default_limit, self.max_limit)

    def _page(self, items: list[Any], params: Mapping[str, Any]) -> tuple[list[Any], int | None]:
        limit, offset = self._window(params)
        total = len(items) if truthy(params.get("total", "")) else None
        return items[offset : offset + limit], total


def _oauth_error(error: str, description: str) -> web.Response:
    """An OAuth 2 error answer of the token endpoint (RFC 6749 5.2)."""
    return json_response({"error": error, "error_description": description}, 400)
