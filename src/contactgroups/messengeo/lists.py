"""``client.lists``: Messengeo's contact lists (its word for groups) and their members.

Membership is by contact id, in bulk: ``POST /lists?action=contactadd|contactremove`` with the
list id and ``metaData={"contactIds": "1,2,3"}`` in the form body, answered by ``{"count": n}``,
the memberships that really changed (ids already in, and unknown ids, are skipped silently).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from typing import Any

import anyio

from .._http import POLL_FLOOR, Pager, Transport, require_text
from ..errors import InvalidRequestError, NotFoundError, TimeoutError
from .answers import contact_pager, page_fetcher, read_one_list, sort_param
from .models import Contact, ContactList, ImportResult
from .wire import (
    DEFAULT_PAGE_SIZE,
    IMPORT_EXTENSIONS,
    IMPORT_PROPERTIES,
    MAX_IDS_IN_BODY,
    MAX_IDS_IN_QUERY,
    MAX_IMPORT_BYTES,
    PROVIDER,
    id_filter,
    meta_data,
    one_id,
    properties_param,
    read_count,
)

__all__ = ["Lists", "multipart_file", "read_import_file"]


class Lists:
    """``/rest/lists``: the vendor's contact lists (groups) and their members."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

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
            params["id"] = id_filter(ids, "list id", MAX_IDS_IN_QUERY)
        params["properties"] = properties_param(properties)
        if sort is not None:
            params["sort"] = sort_param(sort)
        return Pager(
            page_fetcher(self._transport, "lists", params, ContactList),
            page_size=page_size,
            max_items=max_items,
            provider=PROVIDER,
        )

    async def get(self, list_id: str, *, properties: Iterable[str] | None = None) -> ContactList:
        """``GET /lists?id=<id>``: one list; ``NotFoundError`` if the answer holds none."""
        page = await self.list(ids=[one_id(list_id, "list id")], properties=properties, page_size=1)
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
        return read_one_list(response)

    async def update(
        self,
        list_ids: Iterable[str],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> int:
        """``PUT /lists?id=..``: rename or describe lists; returns how many lists matched."""
        ids = id_filter(list_ids, "list id", MAX_IDS_IN_QUERY)
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
            "PUT",
            ("lists",),
            params={"id": ids},
            form={"metaData": meta_data(meta)},
            idempotent=True,
        )
        return read_count(response)

    async def delete(self, list_ids: Iterable[str]) -> int:
        """``DELETE /lists?id=..``: delete lists (their contacts stay); returns how many matched."""
        ids = id_filter(list_ids, "list id", MAX_IDS_IN_QUERY)
        response = await self._transport.request(
            "DELETE", ("lists",), params={"id": ids}, idempotent=True
        )
        return read_count(response)

    async def merge(self, list_ids: Iterable[str], name: str) -> ContactList:
        """``POST /lists?action=merge``: a new list with the members of two or more lists.

        If one id is wrong the vendor creates nothing and answers an error naming it.
        """
        ids = id_filter(list_ids, "list id", MAX_IDS_IN_BODY)
        if ids.count(",") < 1:
            raise InvalidRequestError("merge takes at least two list ids", provider=PROVIDER)
        form = {"listIds": ids, "name": require_text(name, what="list name", provider=PROVIDER)}
        response = await self._transport.request(
            "POST", ("lists",), params={"action": "merge"}, form=form, idempotent=False
        )
        return read_one_list(response)

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
        data, shown_name = await read_import_file(file, filename)
        boundary = uuid.uuid4().hex
        body = multipart_file(boundary, "contactFile", shown_name, data)
        response = await self._transport.request(
            "POST",
            ("lists",),
            params={"action": "import", "name": list_name, "ignoreFirstLine": ignore_first_line},
            content=body,
            content_type=f"multipart/form-data; boundary={boundary}",
            idempotent=False,
        )
        return read_one_list(response)

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
        if not poll_interval >= POLL_FLOOR or not timeout >= 0:  # NaN fails both
            raise InvalidRequestError(
                f"poll_interval must be at least {POLL_FLOOR:g}s and timeout >= 0",
                provider=PROVIDER,
            )
        deadline = time.monotonic() + timeout
        while True:
            item = await self.get(list_id, properties=IMPORT_PROPERTIES)
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
        return await self._change_members("contactadd", list_id, contact_ids)

    async def remove_contacts(self, list_id: str, contact_ids: Iterable[str]) -> int:
        """``POST /lists?action=contactremove``: remove contacts; returns how many were removed."""
        return await self._change_members("contactremove", list_id, contact_ids)

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
        return contact_pager(
            self._transport,
            {"listId": one_id(list_id, "list id")},
            properties=properties,
            page_size=page_size,
            max_items=max_items,
            sort=sort,
        )

    async def _change_members(self, action: str, list_id: str, contact_ids: Iterable[str]) -> int:
        target = one_id(list_id, "list id")
        ids = id_filter(contact_ids, "contact id", MAX_IDS_IN_BODY)
        response = await self._transport.request(
            "POST",
            ("lists",),
            params={"action": action},
            form={"id": target, "metaData": meta_data({"contactIds": ids})},
            idempotent=True,
        )
        return read_count(response)


async def read_import_file(
    file: str | os.PathLike[str] | bytes, filename: str | None
) -> tuple[bytes, str]:
    """The bytes of an import file and the name to send, checked against the vendor's types
    (``IMPORT_EXTENSIONS``) and 20 MB limit before anything is read or sent."""
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


def multipart_file(boundary: str, field: str, filename: str, data: bytes) -> bytes:
    """A ``multipart/form-data`` body holding one file (its type from its extension); quotes
    and control characters in the file name are replaced so they cannot break the header."""
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
