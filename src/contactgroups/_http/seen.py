"""Telling "not a member" from "no such group" where a vendor answers both with one 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

__all__ = ["GroupsSeen"]


class GroupsSeen:
    """``confirm(group_id)`` fetches the group once (``fetch`` raises ``NotFoundError`` when it is
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
