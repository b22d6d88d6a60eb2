"""Feeding and pacing one round's calls: the chunks cut from the ledger's pending slices, handed
to the round's workers without a wait, and an optional cap on call starts per second."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Sequence

import anyio

__all__ = ["Chunk", "Chunks", "RateLimiter"]

#: (target index, ids) of one call.
Chunk = tuple[int, Sequence[str]]


class RateLimiter:
    """At most ``rate`` call starts per second (evenly spaced)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_start = 0.0
        self.lock = anyio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.interval
        if start > now:
            await anyio.sleep(start - now)


class Chunks:
    """The calls of one round, for its workers: chunks cut from the ledger's pending slices,
    handed out in order without a wait (only reading the next slice waits, under a lock)."""

    def __init__(self, slices: AsyncIterator[tuple[int, list[str], int]]) -> None:
        self._slices = slices
        self._current: Iterator[Chunk] = iter(())
        self._reading = anyio.Lock()

    async def take(self) -> Chunk | None:
        """The next call's (target index, ids), or None once every slice is handed out."""
        chunk = next(self._current, None)
        if chunk is not None:
            return chunk
        async with self._reading:  # an async generator serves one caller at a time
            while True:
                chunk = next(self._current, None)  # another worker may have read a slice
                if chunk is not None:
                    return chunk
                read = await anext(self._slices, None)
                if read is None:
                    return None
                self._current = _cut(*read)


def _cut(index: int, ids: list[str], size: int) -> Iterator[Chunk]:
    for start in range(0, len(ids), size):
        yield index, ids[start : start + size]
