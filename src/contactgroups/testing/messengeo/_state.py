"""What the Messengeo fake keeps: the account's lists and contacts, who is in which list, the
e-mail and mobile indexes its searches use, and the imports still running."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._wire import CONTACT_FIELDS

__all__ = ["Account", "ListRow", "PendingImport", "now"]


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@attrs.define
class PendingImport:
    rows: list[dict[str, str]]
    lines: int
    invalid: int
    started: float
    polls: int = 0


@attrs.define
class ListRow:
    id: str
    name: str
    description: str | None
    created: str
    updated: str
    members: dict[str, None] = attrs.field(factory=dict)  # an ordered set of contact ids
    import_status: str | None = None
    import_lines: int | None = None
    import_invalid: int | None = None
    import_errors: str | None = None
    pending: PendingImport | None = None


class Account:
    """One Messengeo account: lists and contacts by id (digit strings, as the vendor has them)."""

    def __init__(self) -> None:
        self.lists: dict[str, ListRow] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        #: list ids still importing
        self.importing: set[str] = set()
        self._contact_lists: dict[str, set[str]] = {}
        self._by_email: dict[str, set[str]] = {}
        self._by_mobile: dict[str, set[str]] = {}
        self._next_list = 7600
        self._next_contact = 81583700

    # -- lists -------------------------------------------------------------------------------------

    def new_list(self, name: str, description: str | None) -> ListRow:
        self._next_list += 1
        created = now()
        row = ListRow(
            id=str(self._next_list),
            name=name,
            description=description,
            created=created,
            updated=created,
        )
        self.lists[row.id] = row
        return row

    def delete_list(self, list_id: str) -> bool:
        row = self.lists.pop(list_id, None)
        if row is None:
            return False
        self.importing.discard(list_id)
        for cid in row.members:
            self._contact_lists.get(cid, set()).discard(list_id)
        return True

    def join(self, row: ListRow, cid: str) -> bool:
        """Put an existing contact into the list; False if it was already there."""
        if cid in row.members:
            return False
        row.members[cid] = None
        self._contact_lists.setdefault(cid, set()).add(row.id)
        return True

    def join_all(self, row: ListRow, cids: Iterable[str]) -> None:
        """Put existing contacts into the list (test seeding; unknown ids are a KeyError)."""
        for cid in cids:
            if cid not in self.contacts:
                raise KeyError(cid)
            self.join(row, cid)

    def leave(self, row: ListRow, cid: str) -> bool:
        """Take a contact out of the list; False if it was not in it."""
        if cid not in row.members:
            return False
        del row.members[cid]
        self._contact_lists.get(cid, set()).discard(row.id)
        return True

    def stats(self, row: ListRow) -> dict[str, str]:
        """The list's ``stats`` property: reachable members per channel."""
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

    def advance_imports(
        self, clock: float, polls: int, delay: float, errors_url: Callable[[ListRow], str]
    ) -> None:
        """Finish the imports whose list was read ``polls`` times and that started ``delay``
        seconds before ``clock``."""
        for list_id in list(self.importing):
            row = self.lists[list_id]
            pending = row.pending
            if pending is not None and pending.polls >= polls and clock - pending.started >= delay:
                self.complete_import(row, errors_url(row))

    def complete_import(self, row: ListRow, errors_url: str) -> None:
        """Finish the list's import: its rows become contacts (matched by e-mail, then mobile)
        in the list; ``errors_url`` is where the invalid rows would be read."""
        pending = row.pending
        self.importing.discard(row.id)
        row.pending = None
        if pending is None:
            return
        for fields in pending.rows:
            existing = None
            if fields.get("email"):
                existing = next(iter(self.with_email(fields["email"])), None)
            if existing is None and fields.get("mobile"):
                existing = next(iter(self.with_mobile(fields["mobile"])), None)
            cid = existing or self.new_contact_id()
            self.store_contact(cid, fields)
            self.join(row, cid)
        row.import_status = "ok"
        row.import_lines = pending.lines
        row.import_invalid = pending.invalid
        row.import_errors = errors_url if pending.invalid else None
        row.updated = now()

    # -- contacts ----------------------------------------------------------------------------------

    def new_contact_id(self) -> str:
        self._next_contact += 1
        return str(self._next_contact)

    def seed_contacts(self, n: int) -> list[str]:
        """``n`` new contacts with an e-mail and a mobile; their ids."""
        ids = []
        created = now()
        for _ in range(n):
            cid = self.new_contact_id()
            email = f"contact{cid}@example.com"
            mobile = f"+336{int(cid) % 10**8:08d}"
            self.contacts[cid] = {
                "email": email,
                "mobile": mobile,
                "dateCreated": created,
                "dateUpdated": created,
            }
            self._contact_lists[cid] = set()
            self._by_email.setdefault(email, set()).add(cid)
            self._by_mobile.setdefault(mobile, set()).add(cid)
            ids.append(cid)
        return ids

    def store_contact(self, cid: str, fields: Mapping[str, Any]) -> None:
        """Create the contact or update its known fields (empty values clear a field)."""
        updated = now()
        contact = self.contacts.get(cid)
        if contact is None:
            contact = {"dateCreated": updated}
            self.contacts[cid] = contact
            self._contact_lists.setdefault(cid, set())
        else:
            self._unindex(cid, contact)
        for key, value in fields.items():
            if key in CONTACT_FIELDS:
                contact[key] = None if value in (None, "") else str(value)
        contact["dateUpdated"] = updated
        if contact.get("email"):
            self._by_email.setdefault(str(contact["email"]).lower(), set()).add(cid)
        if contact.get("mobile"):
            self._by_mobile.setdefault(str(contact["mobile"]), set()).add(cid)

    def delete_contact(self, cid: str) -> bool:
        contact = self.contacts.pop(cid, None)
        if contact is None:
            return False
        self._unindex(cid, contact)
        for list_id in self._contact_lists.pop(cid, set()):
            row = self.lists.get(list_id)
            if row is not None:
                row.members.pop(cid, None)
        return True

    def with_email(self, email: str) -> set[str]:
        """Ids of the contacts with this e-mail (case-insensitive)."""
        return self._by_email.get(email.lower(), set())

    def with_mobile(self, mobile: str) -> set[str]:
        return self._by_mobile.get(mobile, set())

    def contact_view(self, cid: str, props: Iterable[str]) -> dict[str, Any]:
        """The contact as the API shows it, with these properties."""
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

    def _unindex(self, cid: str, contact: Mapping[str, Any]) -> None:
        if contact.get("email"):
            self._by_email.get(str(contact["email"]).lower(), set()).discard(cid)
        if contact.get("mobile"):
            self._by_mobile.get(str(contact["mobile"]), set()).discard(cid)
