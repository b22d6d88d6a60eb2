"""The Messengeo (Digitaleo) contacts API client: lists and their members, and contacts.

Resources live under ``https://contacts.messengeo.net/rest``; writes are form-encoded, structured
values travel as a JSON string in a ``metaData`` field, non-CRUD operations add ``?action=``, and
writes other than creates answer ``{"count": n}``.
"""

from __future__ import annotations

import builtins
import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import anyio
import cattrs

from .._http import ClientOptions, Response, Transport
from .._http.client import BaseClient
from .._http.convert import to_camel
from .._http.pager import Page, Pager
from .._http.validate import id_list, require_e164, require_text
from ..errors import InvalidRequestError, NotFoundError, TimeoutError
from .auth import ClientCredentials
from .errors import is_error, parse_error
from .membership import MessengeoMembership
from .models import Contact, ContactList, ImportResult, NewContact, converter

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TOKEN_URL",
    "IMPORT_EXTENSIONS",
    "MAX_IDS_IN_BODY",
    "MAX_IDS_IN_QUERY",
    "MAX_IMPORT_BYTES",
    "MAX_NEW_CONTACTS",
    "Client",
    "Contacts",
    "Lists",
]

PROVIDER = "messengeo"
DEFAULT_BASE_URL = "https://contacts.messengeo.net/rest"
DEFAULT_TOKEN_URL = "https://oauth.messengeo.net/token"

#: Ids per ``contactadd``/``contactremove`` call (sent in the form body). The vendor documents
#: no limit; this SDK stops at 1000 to keep one call's body and server work bounded.
MAX_IDS_IN_BODY = 1000
#: Ids per ``id=`` filter on a read, update or delete (sent in the URL, so kept well under the
#: usual 8 KB request-line limits).
MAX_IDS_IN_QUERY = 200
#: Contacts per ``POST /contacts`` (no vendor limit documented; kept bounded the same way).
MAX_NEW_CONTACTS = 500
#: The vendor's limit on an import file: "The file cannot exceed a size of 20Mb".
MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: File types ``action=import`` accepts.
IMPORT_EXTENSIONS: Mapping[str, str] = {
    ".csv": "text/csv",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}

DEFAULT_PAGE_SIZE = 100
_IMPORT_PROPERTIES = ("DEFAULT", "importStatus", "importLines", "importInvalid", "importErrors")

T = TypeVar("T")


def _properties(properties: Iterable[str] | None) -> str | None:
    if properties is None:
        return None
    if isinstance(properties, str):
        names = [p.strip() for p in properties.split(",")]
    else:
        names = [
            require_text(p, what="property name", provider=PROVIDER).strip() for p in properties
        ]
    names = [n if n == "DEFAULT" else to_camel(n) for n in names if n]
    if not names:
        raise InvalidRequestError("properties must name at least one property", provider=PROVIDER)
    return ",".join(dict.fromkeys(names))


def _ids(ids: Iterable[object], what: str, max_items: int) -> str:
    values = id_list(ids, what=what, max_items=max_items, provider=PROVIDER)
    for value in values:
        if "," in value:
            raise InvalidRequestError(
                f"{what} {value!r} must not contain a comma", provider=PROVIDER
            )
    return ",".join(dict.fromkeys(values))


def _one_id(value: object, what: str) -> str:
    return _ids([value], what, 1)


def _count(response: Response) -> int:
    data = response.json()
    if not isinstance(data, Mapping) or "count" not in data:
        raise response.malformed("no count in the answer")
    count = data["count"]
    if isinstance(count, bool):
        raise response.malformed(f"count is {count!r}")
    if isinstance(count, int):
        return count
    if isinstance(count, str) and count.strip().isdigit():
        return int(count)
    raise response.malformed(f"count is {count!r}")


def _envelope(response: Response) -> tuple[builtins.list[Any], int | None]:
    """``{"list": [...], "size": n, "total": t|null}`` -> (items, total)."""
    data = response.json()
    if not isinstance(data, Mapping):
        raise response.malformed("expected an object with a list")
    items = data.get("list")
    if not isinstance(items, builtins.list):
        raise response.malformed("list is not an array")
    total = data.get("total")
    if total is not None:
        try:
            total = converter.structure(total, int)
        except (TypeError, ValueError, cattrs.BaseValidationError):
            raise response.malformed(f"total is {total!r}") from None
    return items, total


def _structure_items(
    response: Response, items: builtins.list[Any], cls: type[T]
) -> builtins.list[T]:
    return [response.structure(converter, item, cls) for item in items]


def _meta(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _vendor_not_found(error: NotFoundError) -> bool:
    """A real 404 in the vendor's JSON error shape, not a proxy's HTML page (a wrong base URL
    must not look like an empty listing) nor a 200 whose body says 404."""
    if error.status != 404 or not error.body:
        return False
    try:
        data = json.loads(error.body)
    except ValueError:
        return False
    return isinstance(data, Mapping) and str(data.get("status")) == "404"


def _page_fetcher(
    transport: Transport, resource: str, params: Mapping[str, Any], cls: type[T]
) -> Any:
    async def fetch(offset: int, limit: int) -> Page[T]:
        query = {**params, "limit": limit, "offset": offset, "total": 1}
        try:
            response = await transport.request("GET", (resource,), params=query, idempotent=True)
        except NotFoundError as exc:
            if not _vendor_not_found(exc):
                raise
            # the vendor's own 404 on a read means "nothing matched"
            return Page(items=(), offset=offset, limit=limit, next_offset=None, total=0)
        items, total = _envelope(response)
        structured = _structure_items(response, items, cls)
        end = offset + len(structured)
        # walk until an empty page or the total: a page shorter than asked may only mean the
        # server caps limit lower than we asked (its cap is not documented)
        done = not structured or (total is not None and end >= total)
        return Page(
            items=tuple(structured),
            offset=offset,
            limit=limit,
            next_offset=None if done else end,
            total=total,
            request_id=response.request_id,
        )

    return fetch


class Lists:
    """``/rest/lists``: the vendor's contact lists (groups) and their members."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._converter = converter

    def list(
        self,
        *,
        ids: Iterable[str] | None = None,
        properties: Iterable[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        sort: str | None = None,
    ) -> Pager[ContactList]:
        """``GET /lists``: every list of the account (or those in ``ids``), paged by offset.

        Only ``id``, ``name`` and ``description`` come back unless ``properties`` asks for more,
        e.g. ``("DEFAULT", "stats", "dateCreated")`` (the vendor's ``DEFAULT`` alias); properties
        left out stay None. ``sort`` is ``"<property> ASC|DESC"``.
        """
        params: dict[str, Any] = {}
        if ids is not None:
            params["id"] = _ids(ids, "list id", MAX_IDS_IN_QUERY)
        params["properties"] = _properties(properties)
        if sort is not None:
            params["sort"] = require_text(sort, what="sort", provider=PROVIDER)
        return Pager(
            _page_fetcher(self._transport, "lists", params, ContactList),
            page_size=page_size,
            max_items=max_items,
            provider=PROVIDER,
        )

    async def get(self, list_id: str, *, properties: Iterable[str] | None = None) -> ContactList:
        """``GET /lists?id=<id>``: one list; ``NotFoundError`` if the answer holds none."""
        page = await self.list(
            ids=[_one_id(list_id, "list id")], properties=properties, page_size=1
        )
        for item in page.items:
            if item.id == str(list_id):
                return item
        raise NotFoundError(
            f"list {list_id} not found (the answer listed no such list)",
            status=404,
            provider=PROVIDER,
            request_id=page.request_id,
        )

    async def create(self, name: str, *, description: str | None = None) -> ContactList:
        """``POST /lists``: a new list; the answer carries its ``id`` and ``name``."""
        form = {"name": require_text(name, what="list name", provider=PROVIDER)}
        if description is not None:
            form["description"] = require_text(description, what="description", provider=PROVIDER)
        response = await self._transport.request("POST", ("lists",), form=form, idempotent=False)
        return self._one(response)

    async def update(
        self,
        list_ids: Iterable[str],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> int:
        """``PUT /lists?id=..``: rename or describe lists; returns how many lists matched."""
        ids = _ids(list_ids, "list id", MAX_IDS_IN_QUERY)
        meta: dict[str, str] = {}
        if name is not None:
            meta["name"] = require_text(name, what="list name", provider=PROVIDER)
        if description is not None:
            if not isinstance(description, str):
                raise InvalidRequestError("description must be a string", provider=PROVIDER)
            meta["description"] = description
        if not meta:
            raise InvalidRequestError("give name and/or description to update", provider=PROVIDER)
        response = await self._transport.request(
            "PUT", ("lists",), params={"id": ids}, form={"metaData": _meta(meta)}, idempotent=True
        )
        return _count(response)

    async def delete(self, list_ids: Iterable[str]) -> int:
        """``DELETE /lists?id=..``: delete lists (their contacts stay); returns how many matched."""
        ids = _ids(list_ids, "list id", MAX_IDS_IN_QUERY)
        response = await self._transport.request(
            "DELETE", ("lists",), params={"id": ids}, idempotent=True
        )
        return _count(response)

    async def merge(self, list_ids: Iterable[str], name: str) -> ContactList:
        """``POST /lists?action=merge``: a new list with the members of two or more lists.

        If one id is wrong the vendor creates nothing and answers an error naming it.
        """
        ids = _ids(list_ids, "list id", MAX_IDS_IN_BODY)
        if ids.count(",") < 1:
            raise InvalidRequestError("merge takes at least two list ids", provider=PROVIDER)
        form = {"listIds": ids, "name": require_text(name, what="list name", provider=PROVIDER)}
        response = await self._transport.request(
            "POST", ("lists",), params={"action": "merge"}, form=form, idempotent=False
        )
        return self._one(response)

    async def import_file(
        self,
        name: str,
        file: str | os.PathLike[str] | bytes,
        *,
        ignore_first_line: bool = False,
        filename: str | None = None,
    ) -> ContactList:
        """``POST /lists?action=import``: a new list filled from a CSV, XLS, XLSX or ZIP file.

        ``file`` is a path, or the bytes with ``filename`` naming the type. At most 20 MB; both
        type and size are checked before anything is sent. The vendor answers once the file is
        uploaded and imports it afterwards: see ``wait_for_import``. ``ignore_first_line`` says
        the first line holds column headers. ``name`` and ``ignoreFirstLine`` go in the query
        string because the vendor does not read them from a multipart body.
        """
        list_name = require_text(name, what="list name", provider=PROVIDER)
        if not isinstance(ignore_first_line, bool):
            raise InvalidRequestError("ignore_first_line must be a bool", provider=PROVIDER)
        data, shown_name = await _read_import_file(file, filename)
        boundary = uuid.uuid4().hex
        body = _multipart(boundary, "contactFile", shown_name, data)
        response = await self._transport.request(
            "POST",
            ("lists",),
            params={"action": "import", "name": list_name, "ignoreFirstLine": ignore_first_line},
            content=body,
            content_type=f"multipart/form-data; boundary={boundary}",
            idempotent=False,
        )
        return self._one(response)

    async def wait_for_import(
        self,
        list_id: str,
        *,
        poll_interval: float = 2.0,
        timeout: float = 600.0,  # noqa: ASYNC109 - a deadline over many polls, not one call
    ) -> ImportResult:
        """Poll the list's ``importStatus`` until ``"ok"``; its counts and error-file link.

        Raises ``contactgroups.TimeoutError`` if the import is not done within ``timeout``.
        """
        if poll_interval < 0 or timeout < 0:
            raise InvalidRequestError("poll_interval and timeout must be >= 0", provider=PROVIDER)
        deadline = time.monotonic() + timeout
        while True:
            item = await self.get(list_id, properties=_IMPORT_PROPERTIES)
            if (item.import_status or "").strip().lower() == "ok":
                return ImportResult(
                    list=item,
                    lines=item.import_lines,
                    invalid=item.import_invalid,
                    errors=item.import_errors,
                )
            if time.monotonic() + poll_interval > deadline:
                raise TimeoutError(
                    f"the import into list {list_id} was not done after {timeout:g}s "
                    f"(importStatus {item.import_status!r})",
                    provider=PROVIDER,
                )
            await anyio.sleep(poll_interval)

    async def add_contacts(self, list_id: str, contact_ids: Iterable[str]) -> int:
        """``POST /lists?action=contactadd``: add contacts by id; returns how many were added.

        Ids already in the list (and, it seems, unknown ids) are skipped and not counted.
        """
        return await self._membership("contactadd", list_id, contact_ids)

    async def remove_contacts(self, list_id: str, contact_ids: Iterable[str]) -> int:
        """``POST /lists?action=contactremove``: remove contacts; returns how many were removed."""
        return await self._membership("contactremove", list_id, contact_ids)

    def list_contacts(
        self,
        list_id: str,
        *,
        properties: Iterable[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        sort: str | None = None,
    ) -> Pager[Contact]:
        """``GET /contacts?listId=<id>``: the contacts of one list, paged by offset."""
        return _contacts_pager(
            self._transport,
            {"listId": _one_id(list_id, "list id")},
            properties=properties,
            page_size=page_size,
            max_items=max_items,
            sort=sort,
        )

    async def _membership(self, action: str, list_id: str, contact_ids: Iterable[str]) -> int:
        target = _one_id(list_id, "list id")
        ids = _ids(contact_ids, "contact id", MAX_IDS_IN_BODY)
        response = await self._transport.request(
            "POST",
            ("lists",),
            params={"action": action},
            form={"id": target, "metaData": _meta({"contactIds": ids})},
            idempotent=True,
        )
        return _count(response)

    def _one(self, response: Response) -> ContactList:
        items, _ = _envelope(response)
        if not items:
            raise response.malformed("the answer lists no list")
        return response.structure(converter, items[0], ContactList)


def _contacts_pager(
    transport: Transport,
    params: dict[str, Any],
    *,
    properties: Iterable[str] | None,
    page_size: int,
    max_items: int | None,
    sort: str | None,
) -> Pager[Contact]:
    params = dict(params)
    params["properties"] = _properties(properties)
    if sort is not None:
        params["sort"] = require_text(sort, what="sort", provider=PROVIDER)
    return Pager(
        _page_fetcher(transport, "contacts", params, Contact),
        page_size=page_size,
        max_items=max_items,
        provider=PROVIDER,
    )


def _filter_values(value: str | Iterable[str], what: str) -> str:
    values = [value] if isinstance(value, str) else builtins.list(value)
    checked = [require_text(v, what=what, provider=PROVIDER).strip() for v in values]
    if not checked:
        raise InvalidRequestError(f"at least one {what} is required", provider=PROVIDER)
    if len(checked) > MAX_IDS_IN_QUERY:
        raise InvalidRequestError(
            f"{len(checked)} {what}s given; at most {MAX_IDS_IN_QUERY} per call", provider=PROVIDER
        )
    if any("," in v for v in checked):
        raise InvalidRequestError(f"a {what} must not contain a comma", provider=PROVIDER)
    return ",".join(dict.fromkeys(checked))


_CONTACT_FIELDS = {to_camel(a.name) for a in NewContact.__attrs_attrs__} - {"fields"}
_CONTACT_FIELDS |= {f"field{n:02d}" for n in range(1, 16)}
_CONTACT_FIELDS |= {"facebookId", "twitterId", "longitude", "latitude"}
_CONTACT_FIELDS |= {"smsOptout", "emailOptout", "voiceOptout", "voicemailOptout"}
_PHONE_FIELDS = {"mobile", "phone", "fax"}


def _contact_fields(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise InvalidRequestError(f"{where}: field names must be strings", provider=PROVIDER)
        wire = to_camel(key)
        if wire not in _CONTACT_FIELDS:
            raise InvalidRequestError(f"{where}: unknown contact field {key!r}", provider=PROVIDER)
        if value is None:
            continue
        if wire in _PHONE_FIELDS:
            value = require_e164(value, provider=PROVIDER)
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidRequestError(
                f"{where}: {key} must be text or a number, not {type(value).__name__}",
                provider=PROVIDER,
            )
        fields[wire] = value
    return fields


class Contacts:
    """``/rest/contacts``: create and find contacts (membership is by contact id)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._converter = converter

    async def create(
        self, contacts: Sequence[NewContact | Mapping[str, Any]]
    ) -> builtins.list[Contact]:
        """``POST /contacts``: create contacts (sent as ``contacts[i][field]=``); the created ones.

        The vendor creates a duplicate when the e-mail or mobile already exists: ``find`` first
        if that matters. One invalid e-mail fails the whole call with 417 (``ValidationError``).
        """
        if isinstance(contacts, (str, bytes, Mapping, NewContact)):
            raise InvalidRequestError("pass a list of contacts", provider=PROVIDER)
        items = builtins.list(contacts)
        if not items:
            raise InvalidRequestError("at least one contact is required", provider=PROVIDER)
        if len(items) > MAX_NEW_CONTACTS:
            raise InvalidRequestError(
                f"{len(items)} contacts given; at most {MAX_NEW_CONTACTS} per call",
                provider=PROVIDER,
            )
        form: builtins.list[tuple[str, Any]] = []
        for index, item in enumerate(items):
            if isinstance(item, NewContact):
                raw = item.to_wire()
            elif isinstance(item, Mapping):
                raw = dict(item)
            else:
                raise InvalidRequestError(
                    f"contact {index} must be a NewContact or a mapping", provider=PROVIDER
                )
            fields = _contact_fields(raw, f"contact {index}")
            if not fields:
                raise InvalidRequestError(f"contact {index} has no fields", provider=PROVIDER)
            form.extend((f"contacts[{index}][{key}]", value) for key, value in fields.items())
        response = await self._transport.request("POST", ("contacts",), form=form, idempotent=False)
        data, _ = _envelope(response)
        return _structure_items(response, data, Contact)

    def list(
        self,
        *,
        ids: Iterable[str] | None = None,
        email: str | Iterable[str] | None = None,
        mobile: str | Iterable[str] | None = None,
        list_id: str | None = None,
        properties: Iterable[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        sort: str | None = None,
    ) -> Pager[Contact]:
        """``GET /contacts``: contacts matching every filter given (several values: any of)."""
        params: dict[str, Any] = {}
        if ids is not None:
            params["id"] = _ids(ids, "contact id", MAX_IDS_IN_QUERY)
        if email is not None:
            params["email"] = _filter_values(email, "email")
        if mobile is not None:
            mobiles = [mobile] if isinstance(mobile, str) else builtins.list(mobile)
            params["mobile"] = _filter_values(
                [require_e164(m, provider=PROVIDER) for m in mobiles], "mobile"
            )
        if list_id is not None:
            params["listId"] = _one_id(list_id, "list id")
        return _contacts_pager(
            self._transport,
            params,
            properties=properties,
            page_size=page_size,
            max_items=max_items,
            sort=sort,
        )

    def find(
        self,
        *,
        ids: Iterable[str] | None = None,
        email: str | Iterable[str] | None = None,
        mobile: str | Iterable[str] | None = None,
        properties: Iterable[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
    ) -> Pager[Contact]:
        """Contacts by id, e-mail or mobile (at least one filter): ``list`` that insists on one.

        ``[c.id async for c in client.contacts.find(email=emails)]`` turns e-mails into ids.
        """
        if ids is None and email is None and mobile is None:
            raise InvalidRequestError("find needs ids, email or mobile", provider=PROVIDER)
        return self.list(
            ids=ids,
            email=email,
            mobile=mobile,
            properties=properties,
            page_size=page_size,
            max_items=max_items,
        )

    async def update(self, ids: Iterable[str], **fields: Any) -> int:
        """``PUT /contacts?id=..``: set fields (snake_case or wire names); how many matched."""
        id_filter = _ids(ids, "contact id", MAX_IDS_IN_QUERY)
        meta = _contact_fields(fields, "update")
        if not meta:
            raise InvalidRequestError("give at least one field to update", provider=PROVIDER)
        response = await self._transport.request(
            "PUT",
            ("contacts",),
            params={"id": id_filter},
            form={"metaData": _meta(meta)},
            idempotent=True,
        )
        return _count(response)

    async def delete(self, ids: Iterable[str]) -> int:
        """``DELETE /contacts?id=..``: delete contacts; returns how many matched."""
        id_filter = _ids(ids, "contact id", MAX_IDS_IN_QUERY)
        response = await self._transport.request(
            "DELETE", ("contacts",), params={"id": id_filter}, idempotent=True
        )
        return _count(response)


async def _read_import_file(
    file: str | os.PathLike[str] | bytes, filename: str | None
) -> tuple[bytes, str]:
    if isinstance(file, (bytes, bytearray, memoryview)):
        if filename is None:
            raise InvalidRequestError(
                "pass filename= (e.g. contacts.csv) with file bytes", provider=PROVIDER
            )
        name = filename
        size = len(file)
    elif isinstance(file, (str, os.PathLike)):
        path = anyio.Path(os.fspath(file))
        name = filename if filename is not None else path.name
        try:
            size = (await path.stat()).st_size
        except OSError as exc:
            raise InvalidRequestError(
                f"cannot read the import file: {exc}", provider=PROVIDER
            ) from None
    else:
        raise InvalidRequestError(
            "file must be a path or bytes, not " + type(file).__name__, provider=PROVIDER
        )
    require_text(name, what="file name", provider=PROVIDER)
    extension = os.path.splitext(name)[1].lower()
    if extension not in IMPORT_EXTENSIONS:
        raise InvalidRequestError(
            f"the vendor imports {', '.join(IMPORT_EXTENSIONS)} files, not {name!r}",
            provider=PROVIDER,
        )
    if size > MAX_IMPORT_BYTES:
        raise InvalidRequestError(
            f"the import file is {size} bytes; the vendor's limit is 20 MB ({MAX_IMPORT_BYTES})",
            provider=PROVIDER,
        )
    if size == 0:
        raise InvalidRequestError("the import file is empty", provider=PROVIDER)
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file), name
    data = await path.read_bytes()
    if len(data) > MAX_IMPORT_BYTES:  # it grew since stat()
        raise InvalidRequestError(
            f"the import file is over the vendor's 20 MB limit ({MAX_IMPORT_BYTES})",
            provider=PROVIDER,
        )
    return data, name


def _multipart(boundary: str, field: str, filename: str, data: bytes) -> bytes:
    extension = os.path.splitext(filename)[1].lower()
    safe_name = "".join(
        "_" if ch in '"\\' or ord(ch) < 32 or ord(ch) == 127 else ch for ch in filename
    )
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{safe_name}"\r\n'
        f"Content-Type: {IMPORT_EXTENSIONS[extension]}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode()


class Client(BaseClient):
    """Messengeo (Digitaleo) contacts API: ``client.lists`` and ``client.contacts``.

    Authenticates with OAuth client credentials: the bearer token is fetched on the first call,
    shared by concurrent calls, renewed before it expires and once on a 401.
    ``membership_chunk_size`` sets the ids per ``multi`` call (1..1000, default 500).
    """

    provider: ClassVar[str] = PROVIDER

    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_url: str = DEFAULT_TOKEN_URL,
        membership_chunk_size: int | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        self.auth = ClientCredentials(client_id, client_secret, token_url)
        self._membership_chunk_size = membership_chunk_size
        super().__init__(self.auth, parse_error=parse_error, is_error=is_error, **options)
        self.auth.bind(self._transport)

    def _bind(self, transport: Transport) -> None:
        self.lists = Lists(transport)
        self.contacts = Contacts(transport)
        self._membership = MessengeoMembership(
            self.lists, self.contacts, chunk_size=self._membership_chunk_size
        )

    @property
    def membership(self) -> MessengeoMembership:
        """The adapter ``contactgroups.multi`` uses for this client."""
        return self._membership
