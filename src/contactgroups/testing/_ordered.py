"""Ids in insertion order, as the fakes keep groups' members and their listings."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["OrderedIds"]


class OrderedIds:
    """Ids in insertion order: O(1) add/discard/contains, and pages sliced without a copy.

    A removal leaves a hole in the order; the next page (or holes outnumbering the ids) compacts
    it, so a 1,000,000-member group pages without copying the membership per page.
    """

    __slots__ = ("_holes", "_index", "_order")

    def __init__(self) -> None:
        self._order: list[str | None] = []
        self._index: dict[str, int] = {}
        self._holes = 0

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        """The ids in order (a live view: do not change this object while iterating)."""
        return iter(self._index)

    def add(self, key: str) -> bool:
        """Append ``key``; False if it was already there (then nothing changes)."""
        if key in self._index:
            return False
        self._index[key] = len(self._order)
        self._order.append(key)
        return True

    def discard(self, key: str) -> bool:
        """Remove ``key``; False if it was not there."""
        position = self._index.pop(key, None)
        if position is None:
            return False
        if position == len(self._order) - 1:
            self._order.pop()
        else:
            self._order[position] = None
            self._holes += 1
            if self._holes > len(self._index):
                self._compact()
        return True

    def page(self, offset: int, limit: int, *, descending: bool = False) -> list[str]:
        """At most ``limit`` ids from ``offset``, counted from the newest when ``descending``."""
        self._compact()
        order = self._order
        if not descending:
            return order[offset : offset + limit]  # type: ignore[return-value]
        stop = max(0, len(order) - offset)
        start = max(0, stop - limit)
        return order[start:stop][::-1]  # type: ignore[return-value]

    def ids(self) -> set[str]:
        """A copy of the ids, as a set."""
        return set(self._index)

    def _compact(self) -> None:
        if self._holes:
            live: list[str] = [key for key in self._order if key is not None]
            self._order = list(live)
            self._index = {key: i for i, key in enumerate(live)}
            self._holes = 0
