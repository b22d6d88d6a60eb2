"""What the MessageFlow fake keeps: groups with their members and count jobs, and the contacts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import attrs

from .._ordered import OrderedIds

__all__ = ["SEARCH_FIELDS", "ContactBook", "CountJob", "Fields", "Group", "as_id", "now_text"]

#: a contact's (externalId, email, phoneNumber)
Fields = tuple[str | None, str | None, str | None]
#: the searchable contact fields, in ``Fields`` order
SEARCH_FIELDS = ("externalId", "email", "phoneNumber")


def now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def as_id(value: object) -> str | None:
    """An id from a body (number or digit string) as its canonical string, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return str(int(value))
    return None


@attrs.define
class CountJob:
    left: int | None  # 202 answers still to give; None = never finishes
    expires_at: float | None


@attrs.define
class Group:
    id: str
    name: str
    description: str | None
    external_id: str | None
    created_at: str
    dynamic: bool = False
    members: OrderedIds = attrs.field(factory=OrderedIds)
    count_job: CountJob | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "createdAt": self.created_at,
            "id": int(self.id),
            "name": self.name,
            "description": self.description if self.description is not None else "",
        }
        if self.external_id is not None:
            out["externalId"] = self.external_id
        return out


class ContactBook:
    """The account's contacts, by id (digits). Seeded contacts store nothing: their fields are
    derived from the id, which keeps a million of them small."""

    def __init__(self, first_id: int = 100001) -> None:
        self._fields: dict[str, Fields | None] = {}
        self._indexes: dict[int, dict[str, str]] = {}
        self._next = first_id

    def __contains__(self, cid: object) -> bool:
        return cid in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def seed(self, n: int) -> list[str]:
        """``n`` new contacts; their ids."""
        start = self._next
        self._next += n
        ids = [str(i) for i in range(start, start + n)]
        self._fields.update(dict.fromkeys(ids))
        self._indexes.clear()
        return ids

    def fields(self, cid: str) -> Fields:
        stored = self._fields[cid]
        if stored is not None:
            return stored
        return f"CRM-{cid}", f"contact{cid}@example.com", f"48{500000000 + int(cid) % 10**8:09d}"

    def wire(self, cid: str) -> dict[str, Any]:
        external_id, mail, phone = self.fields(cid)
        return {"email": mail, "externalId": external_id, "id": cid, "phoneNumber": phone}

    def find(self, field: str, value: str) -> str | None:
        """The first contact whose ``field`` (one of ``SEARCH_FIELDS``) is ``value``."""
        position = SEARCH_FIELDS.index(field)
        index = self._indexes.get(position)
        if index is None:
            index = {}
            for cid in self._fields:
                found = self.fields(cid)[position]
                if found is not None:
                    index.setdefault(found, cid)
            self._indexes[position] = index
        return index.get(value)
