"""A stateful fake of the Messengeo (Digitaleo) contacts API and its OAuth token endpoint.

One aiohttp app serves both: ``POST /token`` (client credentials, form body, ``expires_in`` as a
string) and the contacts API under ``/rest`` (``/rest/lists``, ``/rest/contacts``) with a bearer
check on every call. Parameters are merged from the query string, a form body and a JSON body;
``metaData`` is a JSON string; non-CRUD operations take ``?action=``. Ids and counters are written
as strings, as the vendor's examples do. File imports finish asynchronously: ``importStatus`` is
``"on"`` until the list has been read ``import_polls`` times and ``import_delay`` seconds passed.

Unconfirmed vendor behaviours are constructor options: the page size cap (``max_limit``), a cap on
ids per membership call (``max_ids_per_call``), answering errors with HTTP 200 and the status in
the body (``errors_as_200``, as older gateways did), and the import timing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import secrets
import time
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

from ..messengeo.models import CONTACT_PROPERTIES, LIST_DEFAULT_PROPERTIES, LIST_PROPERTIES
from ._server import FakeServer, Faults, json_response

if TYPE_CHECKING:
    from ..messengeo import Client

__all__ = ["MessengeoFake"]

# The contacts DEFAULT set is not documented; this is the fake's choice.
_CONTACT_DEFAULT = ("id", "email", "mobile", "phone", "civility", "firstName", "lastName")
# every documented property but the ones the vendor sets itself
_CONTACT_FIELDS = tuple(
    p for p in CONTACT_PROPERTIES if p not in ("id", "listIds", "dateCreated", "dateUpdated")
)
_CONTACT_ALL = ("id", "listIds", "dateCreated", "dateUpdated", *_CONTACT_FIELDS)
# Column order of a CSV import without a header line, as the vendor documents it.
_IMPORT_COLUMNS = (
    "civility",
    "firstName",
    "lastName",
    "email",
    "phone",
    "mobile",
    "fax",
    "address1",
    "address2",
    "zipcode",
    "city",
    "state",
    "country",
    "birthDate",
    "company",
    "reference",
    *(f"field{n:02d}" for n in range(1, 16)),
)
_HEADER_ALIASES = {
    "firstname": "firstName",
    "lastname": "lastName",
    "fixedtelephone": "phone",
    "telephone": "phone",
    "postalcode": "zipcode",
    "dateofbirth": "birthDate",
    "birthdate": "birthDate",
    **{f"field{n}": f"field{n:02d}" for n in range(1, 16)},
    **{name.lower(): name for name in _CONTACT_FIELDS},
}
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_BRACKET = re.compile(r"^contacts\[(\d+)\]\[([A-Za-z0-9_]+)\]$")
_IMPORT_TYPES = (".csv", ".xls", ".xlsx", ".zip")
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class _Fail(Exception):
    def __init__(self, status: int, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


@attrs.define
class _Import:
    rows: list[dict[str, str]]
    lines: int
    invalid: int
    started: float
    polls: int = 0


@attrs.define
class _List:
    id: str
    name: str
    description: str | None
    created: str
    updated: str
    members: dict[str, None] = attrs.field(factory=dict)
    import_status: str | None = None
    import_lines: int | None = None
    import_invalid: int | None = None
    import_errors: str | None = None
    pending: _Import | None = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _split(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


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

    Test hooks: ``token_requests`` (token calls handled), ``unauthorized`` (401s answered),
    ``expire_tokens()``, ``finish_imports()``.
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
        self.lists: dict[str, _List] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self._contact_lists: dict[str, set[str]] = {}
        self._by_email: dict[str, set[str]] = {}
        self._by_mobile: dict[str, set[str]] = {}
        self._importing: set[str] = set()
        self._next_list = 7600
        self._next_contact = 81583700
        self.app.router.add_post("/token", self._token)
        for path, methods in (
            ("/rest/lists", {"GET": self._read_lists, "POST": self._post_lists}),
            ("/rest/contacts", {"GET": self._read_contacts, "POST": self._create_contacts}),
        ):
            for method, handler in methods.items():
                self.app.router.add_route(method, path, self._api(handler))
        self.app.router.add_put("/rest/lists", self._api(self._update_lists))
        self.app.router.add_delete("/rest/lists", self._api(self._delete_lists))
        self.app.router.add_put("/rest/contacts", self._api(self._update_contacts))
        self.app.router.add_delete("/rest/contacts", self._api(self._delete_contacts))

    # -- helpers for tests, benchmarks and the demo ----------------------------------------------

    def seed_group(self, name: str = "Seeded list", *, description: str | None = None) -> str:
        """A new list, straight into state; its id."""
        return self._new_list(name, description).id

    def seed_contacts(self, n: int) -> list[str]:
        """``n`` new contacts (with e-mail and mobile), straight into state; their ids."""
        ids = []
        now = _now()
        for _ in range(n):
            cid = self._new_contact_id()
            email = f"contact{cid}@example.com"
            mobile = f"+336{int(cid) % 10**8:08d}"
            self.contacts[cid] = {
                "email": email,
                "mobile": mobile,
                "dateCreated": now,
                "dateUpdated": now,
            }
            self._contact_lists[cid] = set()
            self._by_email.setdefault(email, set()).add(cid)
            self._by_mobile.setdefault(mobile, set()).add(cid)
            ids.append(cid)
        return ids

    def member_ids(self, group_id: str) -> set[str]:
        """The contact ids in list ``group_id`` (empty if there is no such list)."""
        found = self.lists.get(group_id)
        return set(found.members) if found else set()

    def client(self, **kwargs: Any) -> Client:
        """A ``messengeo.Client`` pointed at this fake with its credentials."""
        from ..messengeo import Client

        return Client(
            client_id=kwargs.pop("client_id", self.client_id),
            client_secret=kwargs.pop("client_secret", self.client_secret),
            base_url=kwargs.pop("base_url", self.url),
            token_url=kwargs.pop("token_url", self.origin + "/token"),
            **kwargs,
        )

    def expire_tokens(self) -> None:
        """Every token issued so far now gets a 401."""
        self.tokens.clear()

    def finish_imports(self) -> None:
        """Complete every running import now."""
        for list_id in list(self._importing):
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
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"The grant type {grant!r} is not supported",
                },
                400,
            )
        if (
            str(form.get("client_id", "")) != self.client_id
            or str(form.get("client_secret", "")) != self.client_secret
        ):
            return json_response(
                {
                    "error": "invalid_client",
                    "error_description": "The client credentials are invalid",
                },
                400,
            )
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

    def _api(
        self, handler: Callable[[dict[str, Any], web.Request], Awaitable[Any]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
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
                params = await self._params(request)
                data = await handler(params, request)
            except _Fail as fail:
                body: dict[str, Any] = {"status": fail.status, "message": fail.message}
                if fail.details:
                    body["details"] = fail.details
                return json_response(body, 200 if self.errors_as_200 else fail.status)
            return json_response(data)

        return wrapped

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if ctype == "application/x-www-form-urlencoded":
            params.update((k, v) for k, v in (await request.post()).items() if isinstance(v, str))
        elif ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _Fail(400, "Bad Request", "the body is not JSON") from None
            if not isinstance(body, dict):
                raise _Fail(400, "Bad Request", "the JSON body must be an object")
            params.update(body)
        elif ctype == "multipart/form-data":
            # the vendor reads only files from a multipart body: other fields go in the query
            params["_files"] = _multipart_files(
                request.headers.get("Content-Type", ""), await request.read()
            )
        return params

    # -- lists ------------------------------------------------------------------------------------

    async def _read_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = _split(params.get("id"))
        rows: Iterable[_List] = (
            [self.lists[i] for i in dict.fromkeys(ids) if i in self.lists]
            if ids
            else self.lists.values()
        )
        props = _properties(params.get("properties"), LIST_DEFAULT_PROPERTIES, LIST_PROPERTIES)
        items = _sort([self._list_view(row) for row in rows], params.get("sort"))
        page, total = self._page(items, params)
        for item in page:
            row = self.lists.get(item["id"])
            if row is not None and row.pending is not None:
                row.pending.polls += 1
        return self._envelope(
            [{k: v for k, v in item.items() if k in props} for item in page], total
        )

    async def _post_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        action = params.get("action")
        if action in (None, ""):
            name = _required(params, "name")
            row = self._new_list(name, _optional_text(params.get("description")))
            return self._envelope([{"id": row.id, "name": row.name}], None, created=True)
        if action == "merge":
            return self._merge(params)
        if action == "import":
            return self._import(params)
        if action in ("contactadd", "contactremove"):
            return {"count": self._membership(params, add=action == "contactadd")}
        raise _Fail(400, "Bad Request", f"unknown action {action!r}")

    async def _update_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = _split(params.get("id"))
        if not ids:
            raise _Fail(400, "Bad Request", "Parameter id is required")
        meta = _meta(params)
        count = 0
        for list_id in dict.fromkeys(ids):
            row = self.lists.get(list_id)
            if row is None:
                continue
            count += 1
            if "name" in meta:
                name = str(meta["name"]).strip()
                if not name:
                    raise _Fail(400, "Bad Request", "name must not be empty")
                row.name = name
            if "description" in meta:
                row.description = _optional_text(meta["description"])
            row.updated = _now()
        return {"count": count}

    async def _delete_lists(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = _split(params.get("id"))
        if not ids:
            raise _Fail(400, "Bad Request", "Parameter id is required")
        count = 0
        for list_id in dict.fromkeys(ids):
            row = self.lists.pop(list_id, None)
            if row is None:
                continue
            count += 1
            self._importing.discard(list_id)
            for cid in row.members:
                self._contact_lists.get(cid, set()).discard(list_id)
        return {"count": count}

    def _merge(self, params: dict[str, Any]) -> Any:
        ids = _split(params.get("listIds"))
        name = _required(params, "name")
        if not ids:
            raise _Fail(400, "Bad Request", "Parameter listIds is required")
        unknown = [i for i in ids if i not in self.lists]
        if unknown:
            raise _Fail(400, "Unknown list ids", ",".join(unknown))
        row = self._new_list(name, None)
        for list_id in ids:
            for cid in self.lists[list_id].members:
                if cid not in row.members:
                    row.members[cid] = None
                    self._contact_lists.setdefault(cid, set()).add(row.id)
        return self._envelope([{"id": row.id, "name": row.name}], None, created=True)

    def _import(self, params: dict[str, Any]) -> Any:
        name = _required(params, "name")
        files = params.get("_files") or {}
        upload = files.get("contactFile")
        if upload is None:
            raise _Fail(400, "Bad Request", "Parameter contactFile is required")
        filename, data = upload
        extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension not in _IMPORT_TYPES:
            raise _Fail(400, "Bad Request", f"unsupported file type {filename!r}")
        if len(data) > MAX_IMPORT_BYTES:
            raise _Fail(400, "Bad Request", "the file exceeds 20Mb")
        if extension == ".zip":
            data = _first_csv_in_zip(data)
        elif extension != ".csv":
            raise _Fail(400, "Bad Request", "this fake reads CSV files (plain or zipped) only")
        rows, invalid = _parse_csv(data, _truthy(params.get("ignoreFirstLine", "")))
        row = self._new_list(name, None)
        row.import_status = "on"
        row.pending = _Import(
            rows=rows, lines=len(rows) + invalid, invalid=invalid, started=self.clock()
        )
        self._importing.add(row.id)
        return self._envelope([{"id": row.id, "name": row.name}], None, created=True)

    def _membership(self, params: dict[str, Any], *, add: bool) -> int:
        list_id = str(params.get("id", "")).strip()
        if not list_id:
            raise _Fail(400, "Bad Request", "Parameter id is required")
        meta = _meta(params)
        contact_ids = _split(meta.get("contactIds"))
        if not contact_ids:
            raise _Fail(400, "Bad Request", "metaData.contactIds is required")
        if self.max_ids_per_call is not None and len(contact_ids) > self.max_ids_per_call:
            raise _Fail(400, "Bad Request", f"at most {self.max_ids_per_call} contactIds per call")
        row = self.lists.get(list_id)
        if row is None:
            return 0  # a filter that matches nothing changes nothing
        count = 0
        members = row.members
        for cid in contact_ids:
            if add:
                if cid in self.contacts and cid not in members:
                    members[cid] = None
                    self._contact_lists.setdefault(cid, set()).add(list_id)
                    count += 1
            elif cid in members:
                del members[cid]
                self._contact_lists.get(cid, set()).discard(list_id)
                count += 1
        if count:
            row.updated = _now()
        return count

    def _list_view(self, row: _List) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "importErrors": row.import_errors,
            "importLines": None if row.import_lines is None else str(row.import_lines),
            "importInvalid": None if row.import_invalid is None else str(row.import_invalid),
            "importStatus": row.import_status,
            "dateUpdated": row.updated,
            "dateCreated": row.created,
        }
        view["stats"] = _LazyStats(self, row)
        return view

    def _stats(self, row: _List) -> dict[str, str]:
        sms = email = voice = 0
        for cid in row.members:
            contact = self.contacts.get(cid, {})
            if contact.get("mobile") and not contact.get("smsOptout"):
                sms += 1
            if contact.get("email") and not contact.get("emailOptout"):
                email += 1
            if (contact.get("mobile") or contact.get("phone")) and not contact.get("voiceOptout"):
                voice += 1
        return {
            "subscribers": str(len(row.members)),
            "sms": str(sms),
            "email": str(email),
            "voice": str(voice),
            "voicemail": str(voice),
        }

    # -- contacts ---------------------------------------------------------------------------------

    async def _read_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        candidates: Iterable[str] | None = None
        list_ids = _split(params.get("listId")) or _split(params.get("listIds"))
        if list_ids:
            merged: dict[str, None] = {}
            for list_id in list_ids:
                row = self.lists.get(list_id)
                if row is not None:
                    merged.update(row.members)
            candidates = merged
        checks: list[Callable[[str], bool]] = []
        for key, index in (("email", self._by_email), ("mobile", self._by_mobile)):
            wanted = _split(params.get(key))
            if wanted:
                found: set[str] = set()
                for value in wanted:
                    found |= index.get(value.lower() if key == "email" else value, set())
                checks.append(found.__contains__)
        ids = _split(params.get("id"))
        if ids:
            checks.append(set(ids).__contains__)
            if candidates is None:
                candidates = [i for i in dict.fromkeys(ids) if i in self.contacts]
        if candidates is None:
            candidates = self.contacts
        props = _properties(params.get("properties"), _CONTACT_DEFAULT, _CONTACT_ALL)
        sort = params.get("sort")
        if sort:
            matching = [cid for cid in candidates if all(c(cid) for c in checks)]
            views = _sort([self._contact_view(cid, _CONTACT_ALL) for cid in matching], sort)
            page, total = self._page(views, params)
            page = [{k: v for k, v in item.items() if k in props} for item in page]
        elif not checks and isinstance(candidates, dict):
            # a whole list or the whole account: slice without copying (members stay O(page))
            limit, offset = self._window(params)
            window = itertools.islice(candidates, offset, offset + limit)
            total = len(candidates) if _truthy(params.get("total", "")) else None
            page = [self._contact_view(cid, props) for cid in window]
        else:
            matching = [cid for cid in candidates if all(c(cid) for c in checks)]
            page_ids, total = self._page(matching, params)
            page = [self._contact_view(cid, props) for cid in page_ids]
        return self._envelope(page, total)

    async def _create_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        entries = _contacts_param(params)
        if not entries:
            raise _Fail(400, "Bad Request", "Parameter contacts is required")
        for index, entry in enumerate(entries):
            email = entry.get("email")
            if email not in (None, "") and not _EMAIL.match(str(email)):
                raise _Fail(417, f"Invalid email: {email}", f"contacts[{index}][email]")
        created = []
        for entry in entries:
            cid = self._new_contact_id()
            self._store_contact(cid, entry)
            created.append(self._contact_view(cid, _CONTACT_ALL))
        return self._envelope(created, None, created=True)

    async def _update_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = _split(params.get("id"))
        if not ids:
            raise _Fail(400, "Bad Request", "Parameter id is required")
        meta = _meta(params)
        email = meta.get("email")
        if email not in (None, "") and not _EMAIL.match(str(email)):
            raise _Fail(417, f"Invalid email: {email}", "metaData[email]")
        count = 0
        for cid in dict.fromkeys(ids):
            if cid in self.contacts:
                self._store_contact(cid, meta)
                count += 1
        return {"count": count}

    async def _delete_contacts(self, params: dict[str, Any], request: web.Request) -> Any:
        ids = _split(params.get("id"))
        if not ids:
            raise _Fail(400, "Bad Request", "Parameter id is required")
        count = 0
        for cid in dict.fromkeys(ids):
            contact = self.contacts.pop(cid, None)
            if contact is None:
                continue
            count += 1
            self._unindex(cid, contact)
            for list_id in self._contact_lists.pop(cid, set()):
                row = self.lists.get(list_id)
                if row is not None:
                    row.members.pop(cid, None)
        return {"count": count}

    def _contact_view(self, cid: str, props: Iterable[str]) -> dict[str, Any]:
        contact = self.contacts[cid]
        view: dict[str, Any] = {}
        for key in props:
            if key == "id":
                view[key] = cid
            elif key == "listIds":
                view[key] = sorted(self._contact_lists.get(cid, ()), key=int)
            else:
                view[key] = contact.get(key)
        return view

    # -- state ------------------------------------------------------------------------------------

    def _new_list(self, name: str, description: str | None) -> _List:
        self._next_list += 1
        now = _now()
        row = _List(
            id=str(self._next_list), name=name, description=description, created=now, updated=now
        )
        self.lists[row.id] = row
        return row

    def _new_contact_id(self) -> str:
        self._next_contact += 1
        return str(self._next_contact)

    def _store_contact(self, cid: str, fields: Mapping[str, Any]) -> None:
        now = _now()
        contact = self.contacts.get(cid)
        if contact is None:
            contact = {"dateCreated": now}
            self.contacts[cid] = contact
            self._contact_lists.setdefault(cid, set())
        else:
            self._unindex(cid, contact)
        for key, value in fields.items():
            if key in _CONTACT_FIELDS:
                contact[key] = None if value in (None, "") else str(value)
        contact["dateUpdated"] = now
        if contact.get("email"):
            self._by_email.setdefault(str(contact["email"]).lower(), set()).add(cid)
        if contact.get("mobile"):
            self._by_mobile.setdefault(str(contact["mobile"]), set()).add(cid)

    def _unindex(self, cid: str, contact: Mapping[str, Any]) -> None:
        if contact.get("email"):
            self._by_email.get(str(contact["email"]).lower(), set()).discard(cid)
        if contact.get("mobile"):
            self._by_mobile.get(str(contact["mobile"]), set()).discard(cid)

    def _advance_imports(self) -> None:
        if not self._importing:
            return
        now = self.clock()
        for list_id in list(self._importing):
            row = self.lists[list_id]
            pending = row.pending
            if (
                pending is not None
                and pending.polls >= self.import_polls
                and now - pending.started >= self.import_delay
            ):
                self._complete_import(row)

    def _complete_import(self, row: _List) -> None:
        pending = row.pending
        self._importing.discard(row.id)
        row.pending = None
        if pending is None:
            return
        for fields in pending.rows:
            existing = None
            if fields.get("email"):
                existing = next(iter(self._by_email.get(fields["email"].lower(), ())), None)
            if existing is None and fields.get("mobile"):
                existing = next(iter(self._by_mobile.get(fields["mobile"], ())), None)
            cid = existing or self._new_contact_id()
            self._store_contact(cid, fields)
            if cid not in row.members:
                row.members[cid] = None
                self._contact_lists.setdefault(cid, set()).add(row.id)
        row.import_status = "ok"
        row.import_lines = pending.lines
        row.import_invalid = pending.invalid
        row.import_errors = (
            f"{self.url}/lists.csv?id={row.id}&importErrors=1" if pending.invalid else None
        )
        row.updated = _now()

    # -- envelopes --------------------------------------------------------------------------------

    def _window(self, params: Mapping[str, Any]) -> tuple[int, int]:
        limit = _non_negative(params.get("limit"), self.default_limit, "limit")
        offset = _non_negative(params.get("offset"), 0, "offset")
        return min(limit, self.max_limit), offset

    def _page(self, items: list[Any], params: Mapping[str, Any]) -> tuple[list[Any], int | None]:
        limit, offset = self._window(params)
        total = len(items) if _truthy(params.get("total", "")) else None
        return items[offset : offset + limit], total

    @staticmethod
    def _envelope(items: list[Any], total: int | None, *, created: bool = False) -> Any:
        rendered = [
            {k: (v.render() if isinstance(v, _LazyStats) else v) for k, v in item.items()}
            for item in items
        ]
        return {"list": rendered, "size": len(rendered), "total": total}


class _LazyStats:
    """List stats are computed only when the caller asked for them."""

    def __init__(self, fake: MessengeoFake, row: _List) -> None:
        self._fake = fake
        self._row = row

    def render(self) -> dict[str, str]:
        return self._fake._stats(self._row)

    def __lt__(self, other: object) -> bool:  # pragma: no cover - sorting by stats is not offered
        return False


def _properties(value: object, default: tuple[str, ...], known: tuple[str, ...]) -> set[str]:
    names = _split(value)
    if not names:
        return set(default)
    chosen: set[str] = {"id"}
    for name in names:
        if name == "DEFAULT":
            chosen.update(default)
        elif name in known:
            chosen.add(name)
    return chosen


def _sort(items: list[dict[str, Any]], sort: object) -> list[dict[str, Any]]:
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


def _non_negative(value: object, default: int, what: str) -> int:
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit():
        raise _Fail(400, "Bad Request", f"{what} must be a non-negative integer")
    return int(text)


def _required(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or not str(value).strip():
        raise _Fail(400, "Bad Request", f"Parameter {name} is required")
    return str(value).strip()


def _optional_text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _meta(params: Mapping[str, Any]) -> dict[str, Any]:
    raw = params.get("metaData")
    if raw is None:
        raise _Fail(400, "Bad Request", "Parameter metaData is required")
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(str(raw))
    except ValueError:
        raise _Fail(400, "Bad Request", "metaData must be a JSON object") from None
    if not isinstance(data, dict):
        raise _Fail(400, "Bad Request", "metaData must be a JSON object")
    return data


def _contacts_param(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = params.get("contacts")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _Fail(400, "Bad Request", "contacts must be a JSON array") from None
    if isinstance(raw, list):
        return [dict(item) for item in raw if isinstance(item, dict)]
    by_index: dict[int, dict[str, Any]] = {}
    for key, value in params.items():
        match = _BRACKET.match(key)
        if match:
            by_index.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [by_index[i] for i in sorted(by_index)]


def _multipart_files(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise _Fail(400, "Bad Request", "multipart body without a boundary")
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


def _first_csv_in_zip(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename.lower().endswith(".csv"):
                    return archive.read(info)
    except zipfile.BadZipFile:
        raise _Fail(400, "Bad Request", "the zip file is damaged") from None
    raise _Fail(400, "Bad Request", "the zip file holds no CSV file")


def _parse_csv(data: bytes, has_header: bool) -> tuple[list[dict[str, str]], int]:
    """Valid rows as contact fields, and the number of invalid rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return [], 0
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    columns: list[str | None] = list(_IMPORT_COLUMNS)
    if has_header:
        header = next(reader, [])
        columns = [_HEADER_ALIASES.get(re.sub(r"[\s_\-]", "", h).lower()) for h in header]
    rows: list[dict[str, str]] = []
    invalid = 0
    for record in reader:
        fields = {
            column: value.strip()
            for column, value in zip(columns, record, strict=False)
            if column is not None and value.strip()
        }
        email = fields.get("email")
        if not (email or fields.get("mobile")) or (email and not _EMAIL.match(email)):
            invalid += 1
            continue
        rows.append(fields)
    return rows, invalid
