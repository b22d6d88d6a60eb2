"""The small protocol ``multi`` speaks: add/remove members in vendor-sized calls, list members.

Every provider client offers ``client.membership`` (a ``MembershipAdapter``). ``multi`` knows no
vendor: it chunks ids to ``max_add_per_call`` / ``max_remove_per_call``, runs up to
``default_concurrency`` calls at once, and reads one ``BatchResult`` per call.

Rules for an adapter:
- ``add``/``remove`` take 1..max ids (already de-duplicated and validated by ``multi``);
- a vendor answer meaning "already a member" (add) or "not a member" (remove) goes in ``already``;
- a per-item failure the vendor reports (MessageFlow 207) goes in ``failed``;
- a failure of the whole call raises (``multi`` then marks every id of the call failed);
- every id passed in appears in exactly one of ``done``, ``already``, ``failed``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

import anyio
import attrs

from ..errors import ContactGroupsError

__all__ = ["BatchResult", "GroupsSeen", "HasMembership", "MembershipAdapter"]


@attrs.frozen
class BatchResult:
    """What one add/remove call did, per id."""

    done: tuple[str, ...] = ()
    already: tuple[str, ...] = ()
    failed: Mapping[str, ContactGroupsError] = attrs.field(factory=dict)

    @classmethod
    def all_done(cls, ids: Sequence[str]) -> BatchResult:
        return cls(done=tuple(ids))

    @classmethod
    def all_already(cls, ids: Sequence[str]) -> BatchResult:
        return cls(already=tuple(ids))


@runtime_checkable
class MembershipAdapter(Protocol):
    """One vendor's membership calls, as ``multi`` uses them."""

    @property
    def provider(self) -> str: ...

    @property
    def max_add_per_call(self) -> int: ...

    @property
    def max_remove_per_call(self) -> int: ...

    @property
    def default_concurrency(self) -> int: ...

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult: ...

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult: ...

    def members(self, group_id: str) -> AsyncIterator[str]: ...


@runtime_checkable
class HasMembership(Protocol):
    """A provider client: ``client.membership`` is its adapter."""

    @property
    def membership(self) -> MembershipAdapter: ...


class GroupsSeen:
    """Tells "not a member" from "no such group" where a vendor answers both with 404.

    ``confirm(group_id)`` fetches the group once (``fetch`` raises ``NotFoundError`` when it is
    gone) and remembers it, so a remove of many non-members costs one extra call per group.
    """

    def __init__(self, fetch: Callable[[str], Awaitable[object]]) -> None:
        self._fetch = fetch
        self._known: set[str] = set()
        self._locks: dict[str, anyio.Lock] = {}

    async def confirm(self, group_id: str) -> None:
        if group_id in self._known:
            return
        async with self._locks.setdefault(group_id, anyio.Lock()):  # one look-up at a time
            if group_id not in self._known:
                await self._fetch(group_id)
                self._known.add(group_id)
