"""A stateful fake of Messente's Phonebook API (``/v1/phonebook``) for tests, benchmarks, demos.

It checks HTTP basic auth, keeps groups and contacts in memory, and answers with Messente's
status codes and ``{"errors": [{"title", "detail", "code"}]}`` bodies: 404 when a group or contact
is missing (or, on remove, the contact is not in the group), 409 when the contact is already a
member or already exists, 400 for an invalid phone number, an empty group name or a bad update
body. Path segments are percent-decoded, so ``/contacts/%2B37251000000`` is ``+37251000000``.

Unconfirmed vendor behaviours are constructor options (see ``MessenteFake``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from .._http.validate import E164_RE
from ..messente import Client, ClientKeywords
from ..messente.errors import TITLES, code_for_status
from ..messente.models import CONTACT_FIELDS
from ._server import FakeRejection, FakeServer, Faults, Handler, json_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["MessenteFake"]


def _error_body(status: int, detail: str) -> dict[str, Any]:
    code = code_for_status(status)
    return {"errors": [{"title": TITLES[code], "detail": detail, "code": code}]}


def _problem(status: int, detail: str) -> FakeRejection:
    """Messente's error answer, to raise inside a handler."""
    return FakeRejection(json_response(_error_body(status, detail), status))


class _Group:
    __slots__ = ("created_on", "id", "members", "name")

    def __init__(self, group_id: str, name: str, created_on: str) -> None:
        self.id = group_id
        self.name = name
        self.created_on = created_on
        self.members: dict[str, None] = {}  # phone -> None: a set that keeps insertion order

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "createdOn": self.created_on,
            "contactsCount": len(self.members),
        }


class _Contact:
    __slots__ = ("deletion", "fields", "groups", "phone")

    def __init__(self, phone: str, fields: dict[str, str | None], deletion: dt.date | None):
        self.phone = phone
        self.fields = fields
        self.groups: set[str] = set()
        self.deletion = deletion

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"phoneNumber": self.phone}
        for name in CONTACT_FIELDS:
            body[name] = self.fields.get(name)
        body["scheduledDeletionDate"] = self.deletion.isoformat() if self.deletion else None
        return body


class MessenteFake(FakeServer):
    """Messente's Phonebook API on 127.0.0.1 (``url`` ends in ``/v1``, like the real base URL).

    Options for what Messente does not document:

    - ``non_uuid_group_id_status``: the answer to a group id in a path that is not a UUID
      (404, as for an unknown id, or 400).
    - ``unknown_group_filter``: ``GET /phonebook/contacts?groupIds=<unknown UUID>`` gives an
      empty list (``"empty"``) or 400 (``"error"``). A ``groupIds`` value that is not a UUID is
      always 400.
    - ``group_filter``: several ``groupIds`` give the ``"union"`` (no duplicates) or the
      ``"intersection"`` of the groups' contacts.
    - ``max_group_name_length``: longer names give 400 (None: no limit).
    - ``list_cap``: ``GET /phonebook/contacts`` answers at most this many contacts and says
      nothing of the rest (unconfirmed hostile case; None, the default, answers whole).
    - ``deletion_days`` and ``today``: ``scheduledDeletionDate`` is ``today() + deletion_days``
      from the day a contact is in no group (created without one, or left its last group), and
      null while it is in a group. This reading of the vendor's field is our inference.
    """

    prefix = "/v1"

    def __init__(
        self,
        *,
        faults: Faults | None = None,
        username: str = "fake-messente-user",
        password: str = "fake-messente-password",
        non_uuid_group_id_status: Literal[400, 404] = 404,
        unknown_group_filter: Literal["empty", "error"] = "empty",
        group_filter: Literal["union", "intersection"] = "union",
        max_group_name_length: int | None = None,
        list_cap: int | None = None,
        deletion_days: int = 30,
        today: Callable[[], dt.date] | None = None,
        record: bool = True,
    ) -> None:
        super().__init__(faults=faults, record=record)
        self.username = username
        self.password = password
        self.non_uuid_group_id_status = non_uuid_group_id_status
        self.unknown_group_filter = unknown_group_filter
        self.group_filter = group_filter
        self.max_group_name_length = max_group_name_length
        self.list_cap = list_cap
        self.deletion_days = deletion_days
        self.today = today or (lambda: dt.datetime.now(dt.timezone.utc).date())
        self.groups: dict[str, _Group] = {}
        self.contacts: dict[str, _Contact] = {}
        self._next_phone = 1_000_000
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._authorization = f"Basic {token}"

        self.app.middlewares.append(self._vendor_middleware)
        r = self.app.router
        base = self.prefix + "/phonebook"
        r.add_get(base + "/groups", self._list_groups)
        r.add_post(base + "/groups", self._create_group)
        r.add_get(base + "/groups/{groupId}", self._get_group)
        r.add_put(base + "/groups/{groupId}", self._update_group)
        r.add_delete(base + "/groups/{groupId}", self._delete_group)
        r.add_post(base + "/groups/{groupId}/contacts/{phone}", self._add_member)
        r.add_delete(base + "/groups/{groupId}/contacts/{phone}", self._remove_member)
        r.add_get(base + "/contacts", self._list_contacts)
        r.add_post(base + "/contacts", self._create_contact)
        r.add_get(base + "/contacts/{phone}", self._get_contact)
        r.add_patch(base + "/contacts/{phone}", self._update_contact)
        r.add_delete(base + "/contacts/{phone}", self._delete_contact)
        r.add_get(base + "/contacts/{phone}/groups", self._contact_groups)

    # -- helpers for tests, benchmarks and the demo ------------------------------------------------

    def client_options(self) -> dict[str, Any]:
        """The ``messente.Client`` keywords for this fake: its URL and credentials."""
        return {"base_url": self.url, "username": self.username, "password": self.password}

    def client(self, **kwargs: Unpack[ClientKeywords]) -> Client:
        """A ``messente.Client`` pointed at this fake, with its credentials."""
        return Client(**{**self.client_options(), **kwargs})

    def seed_group(self, name: str = "Seeded group") -> str:
        """Create a group directly in state; return its id (a UUID string)."""
        return self._new_group(name).id

    def seed_contacts(self, n: int) -> list[str]:
        """Create ``n`` new contacts directly in state; return their phone numbers."""
        phones: list[str] = []
        while len(phones) < n:
            phone = f"+3725{self._next_phone:07d}"
            self._next_phone += 1
            if phone not in self.contacts:
                self._new_contact(phone, {})
                phones.append(phone)
        return phones

    def seed_contact(self, phone: str, **fields: str | None) -> str:
        """Create one contact directly in state (wire field names: ``firstName=...``)."""
        if not E164_RE.fullmatch(phone) or phone in self.contacts:
            raise ValueError(f"{phone!r} is not a new E.164 phone number")
        unknown = set(fields) - set(CONTACT_FIELDS)
        if unknown:
            raise ValueError(f"unknown contact fields: {sorted(unknown)}")
        self._new_contact(phone, dict(fields))
        return phone

    def seed_members(self, group_id: str, phones: list[str]) -> None:
        """Put existing contacts into a group directly in state."""
        group = self.groups[group_id]
        for phone in phones:
            self._join(group, self.contacts[phone])

    def member_ids(self, group_id: str) -> set[str]:
        """The phone numbers currently in the group."""
        return set(self.groups[group_id].members)

    # -- plumbing ----------------------------------------------------------------------------------

    def fault_response(self, request: web.Request, status: int) -> web.Response:
        return json_response(_error_body(status, f"injected {status}"), status=status)

    @web.middleware
    async def _vendor_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        if request.headers.get("Authorization") != self._authorization:
            return json_response(
                _error_body(401, "Invalid username or password"),
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="Messente API"'},
            )
        try:
            return await handler(request)
        except web.HTTPException as exc:  # no route, wrong method
            if exc.status < 400:
                raise
            return json_response(_error_body(exc.status, exc.reason), exc.status)

    def _now(self) -> str:
        return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _deletion_date(self) -> dt.date:
        return self.today() + dt.timedelta(days=self.deletion_days)

    def _new_group(self, name: str) -> _Group:
        group = _Group(str(uuid.uuid4()), name, self._now())
        self.groups[group.id] = group
        return group

    def _new_contact(self, phone: str, fields: dict[str, str | None]) -> _Contact:
        contact = _Contact(phone, fields, self._deletion_date())
        self.contacts[phone] = contact
        return contact

    def _join(self, group: _Group, contact: _Contact) -> None:
        group.members[contact.phone] = None
        contact.groups.add(group.id)
        contact.deletion = None

    def _leave(self, group: _Group, contact: _Contact) -> None:
        group.members.pop(contact.phone, None)
        contact.groups.discard(group.id)
        if not contact.groups:
            contact.deletion = self._deletion_date()

    @staticmethod
    def _is_uuid(value: str) -> bool:
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True

    def _group(self, request: web.Request) -> _Group:
        group_id = request.match_info["groupId"]
        group = self.groups.get(group_id)
        if group is None:
            status = 404 if self._is_uuid(group_id) else self.non_uuid_group_id_status
            raise _problem(status, f"Group {group_id} not found")
        return group

    @staticmethod
    def _phone(request: web.Request) -> str:
        phone = request.match_info["phone"]
        if not E164_RE.fullmatch(phone):
            raise _problem(400, "Invalid phone number")
        return phone

    def _contact(self, phone: str) -> _Contact:
        contact = self.contacts.get(phone)
        if contact is None:
            raise _problem(404, f"Contact with phone number {phone} not found")
        return contact

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        try:
            data = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise _problem(400, "Request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise _problem(400, "Request body must be a JSON object")
        return data

    def _name(self, data: dict[str, Any]) -> str:
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise _problem(400, "Field 'name' is required and must be a non-empty string")
        if self.max_group_name_length is not None and len(name) > self.max_group_name_length:
            raise _problem(400, f"Field 'name' is longer than {self.max_group_name_length}")
        return name

    @staticmethod
    def _fields(data: dict[str, Any], *, strict: bool) -> dict[str, str | None]:
        fields: dict[str, str | None] = {}
        for key, value in data.items():
            if key not in CONTACT_FIELDS:
                if strict:
                    raise _problem(400, f"Unknown field {key!r}")
                continue
            if value is not None and not isinstance(value, str):
                raise _problem(400, f"Field {key!r} must be a string or null")
            fields[key] = value
        return fields

    # -- groups ------------------------------------------------------------------------------------

    async def _list_groups(self, request: web.Request) -> web.Response:
        return json_response({"groups": [g.wire() for g in self.groups.values()]})

    async def _create_group(self, request: web.Request) -> web.Response:
        name = self._name(await self._body(request))
        return json_response({"group": self._new_group(name).wire()}, status=201)

    async def _get_group(self, request: web.Request) -> web.Response:
        return json_response({"group": self._group(request).wire()})

    async def _update_group(self, request: web.Request) -> web.Response:
        group = self._group(request)
        group.name = self._name(await self._body(request))
        return json_response({"group": group.wire()})

    async def _delete_group(self, request: web.Request) -> web.Response:
        group = self._group(request)
        for phone in list(group.members):
            self._leave(group, self.contacts[phone])
        del self.groups[group.id]
        return web.Response(status=204)

    async def _add_member(self, request: web.Request) -> web.Response:
        phone = self._phone(request)
        group = self._group(request)
        contact = self.contacts.get(phone)
        if contact is None:
            raise _problem(404, "Contact or group is missing")
        if phone in group.members:
            raise _problem(409, f"Contact {phone} is already in group {group.id}")
        self._join(group, contact)
        return json_response({}, status=201)

    async def _remove_member(self, request: web.Request) -> web.Response:
        phone = self._phone(request)
        group = self._group(request)
        contact = self.contacts.get(phone)
        if contact is None or phone not in group.members:
            raise _problem(404, f"Contact {phone} is not in group {group.id}")
        self._leave(group, contact)
        return web.Response(status=204)

    # -- contacts ----------------------------------------------------------------------------------

    async def _list_contacts(self, request: web.Request) -> web.Response:
        group_ids = request.query.getall("groupIds", [])
        if not group_ids:
            return self._contacts_answer(list(self.contacts))
        groups: list[_Group] = []
        for group_id in group_ids:
            if not self._is_uuid(group_id):
                raise _problem(400, f"Invalid groupIds value {group_id!r}")
            group = self.groups.get(group_id)
            if group is None:
                if self.unknown_group_filter == "error":
                    raise _problem(400, f"Group {group_id} does not exist")
                if self.group_filter == "intersection":
                    return json_response({"contacts": []})
                continue
            groups.append(group)
        phones: dict[str, None] = {}
        if self.group_filter == "union":
            for group in groups:
                phones.update(group.members)
        elif groups:
            first, *rest = groups
            phones = {p: None for p in first.members if all(p in g.members for g in rest)}
        return self._contacts_answer(list(phones))

    def _contacts_answer(self, phones: list[str]) -> web.Response:
        shown = phones if self.list_cap is None else phones[: self.list_cap]
        return json_response({"contacts": [self.contacts[p].wire() for p in shown]})

    async def _create_contact(self, request: web.Request) -> web.Response:
        data = await self._body(request)
        phone = data.get("phoneNumber")
        if not isinstance(phone, str) or not E164_RE.fullmatch(phone):
            raise _problem(400, "Field 'phoneNumber' must be a phone number in E.164 format")
        if phone in self.contacts:
            raise _problem(409, f"Contact with phone number {phone} already exists")
        contact = self._new_contact(phone, self._fields(data, strict=False))
        return json_response({"contact": contact.wire()}, status=201)

    async def _get_contact(self, request: web.Request) -> web.Response:
        return json_response({"contact": self._contact(self._phone(request)).wire()})

    async def _update_contact(self, request: web.Request) -> web.Response:
        contact = self._contact(self._phone(request))
        data = await self._body(request)
        if not data:
            raise _problem(400, "Nothing to update")
        contact.fields.update(self._fields(data, strict=True))
        return json_response({"contact": contact.wire()})

    async def _delete_contact(self, request: web.Request) -> web.Response:
        contact = self._contact(self._phone(request))
        for group_id in contact.groups:
            self.groups[group_id].members.pop(contact.phone, None)
        del self.contacts[contact.phone]
        return web.Response(status=204)

    async def _contact_groups(self, request: web.Request) -> web.Response:
        contact = self._contact(self._phone(request))
        groups = [g.wire() for g in self.groups.values() if g.id in contact.groups]
        return json_response({"groups": groups})
