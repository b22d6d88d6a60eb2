"""What the MessageFlow fake keeps: groups with their members and count jobs, and the contacts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import attrs

from .._ordered import OrderedIds

__all__ = [
    "MEMBER_ORDER",
    "SEARCH_FIELDS",
    "ContactBook",
    "CountJob",
    "Fields",
    "Group",
    "as_id",
    "now_seconds",
]

#: a contact's (externalId, email, phoneNumber)
Fields = tuple[str | None, str | None, str | None]
#: the searchable contact fields, in ``Fields`` order
SEARCH_FIELDS = ("externalId", "email", "phoneNumber")


#: the fields a group's member listing sorts by (``orderBy``), as the seed page lists them
MEMBER_ORDER = ("id", "createdAt")


def now_seconds() -> int:
    """``createdAt`` as the captured vendor page shows it: an integer (epoch seconds)."""
    return int(time.time())


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
    created_at: int
    dynamic: bool = False
    members: OrderedIds = attrs.field(factory=OrderedIds)
    count_job: CountJob | None = None
    # the members sorted by id, and the membership revision they were sorted at
    _sorted: list[str] = attrs.field(factory=list, init=False)
    _sorted_at: int = attrs.field(default=-1, init=False)
    _revision: int = attrs.field(default=0, init=False)

    def join(self, contact_id: str) -> None:
        if self.members.add(contact_id):
            self._revision += 1

    def leave(self, contact_id: str) -> None:
        if self.members.discard(contact_id):
            self._revision += 1

    def member_page(self, offset: int, limit: int, *, descending: bool) -> list[str]:
        """A page of members sorted by contact id (``orderBy=id``, the vendor's default).

        ``orderBy=createdAt`` gives the same order: the fake numbers contacts in the order they
        are created, so the older contact always has the smaller id. The sort is kept until the
        membership changes, so walking a large group page by page sorts it once.
        """
        if self._sorted_at != self._revision or len(self._sorted) != len(self.members):
            self._sorted = sorted(self.members, key=int)
            self._sorted_at = self._revision
        ordered = self._sorted
        if not descending:
            return ordered[offset : offset + limit]
        stop = max(0, len(ordered) - offset)
        return ordered[max(0, stop - limit) : stop][::-1]

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
