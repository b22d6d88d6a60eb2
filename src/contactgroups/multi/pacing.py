"""Feeding and pacing one round's calls: the chunks cut from the ledger's pending slices, handed
to the round's workers without a wait, and an optional cap on call starts per second."""

from __future__ import annotations

import collections
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import anyio

from .handout import Run

__all__ = ["Chunk", "Chunks", "Marked", "RateLimiter"]

#: (target index, ids) of one call.
Chunk = tuple[int, Sequence[str]]
#: (target index, ids, ticket of the journal's mark: 0 where nothing is marked) of one call.
Marked = tuple[int, Sequence[str], int]


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
    handed out in order without a wait (only reading the next slice waits, under a lock).

    With ``mark`` (a journal's ``sending``), each chunk is marked in flight ``ahead`` chunks
    before it is taken, so that its mark is usually committed by then and the call need not
    wait for the journal; ``unsent`` gives back the chunks marked and never taken."""

    def __init__(
        self,
        slices: AsyncIterator[tuple[int, list[str], int]],
        mark: Callable[[int, Sequence[str]], int] | None = None,
        ahead: int = 0,
    ) -> None:
        self._slices = slices
        self._current: Iterator[Chunk] = iter(())
        self._reading = anyio.Lock()
        self._mark = mark
        self._ahead = ahead if mark is not None else 0
        self._ready: collections.deque[Marked] = collections.deque()
        self._read_all = False  # every slice read (and cut)

    async def take(self) -> Marked | None:
        """The next call's (target index, ids, ticket of its mark), or None once every slice is
        handed out. With marks, the next slice is read before the marked chunks run out (one
        worker reads it while the others go on): a call never waits for a mark made late."""
        ready = self._ready
        if not ready or (
            len(ready) <= self._ahead and not self._read_all and not self._reading.locked()
        ):
            await self.fill()
            if not ready:
                return None
        chunk = ready.popleft()
        self._top_up()
        return chunk

    async def fill(self) -> None:
        """Cut (and mark) the calls to come, reading slices as needed: ``ahead`` of them and the
        next one (a job fills them before its workers start, so that the first marks are
        committed while nothing else runs)."""
        async with self._reading:  # an async generator serves one caller at a time
            while len(self._ready) <= self._ahead and not self._read_all:
                self._top_up()
                if len(self._ready) > self._ahead:
                    break
                read = await anext(self._slices, None)
                if read is None:
                    self._read_all = True
                else:
                    self._current = _cut(*read)

    def _top_up(self) -> None:
        mark = self._mark
        while len(self._ready) <= self._ahead:
            chunk = next(self._current, None)
            if chunk is None:
                return
            index, ids = chunk
            self._ready.append((index, ids, 0 if mark is None else mark(index, ids)))

    def unsent(self) -> list[Chunk]:
        """The chunks marked in flight and never taken (the round stopped first)."""
        unsent = [(index, ids) for index, ids, _ in self._ready]
        self._ready.clear()
        return unsent


def _cut(index: int, ids: list[str], size: int) -> Iterator[Chunk]:
    if type(ids) is Run:  # its chunks keep their places (a journal records them by bounds)
        for start in range(0, len(ids), size):
            yield index, ids.part(start, start + size)
        return
    for start in range(0, len(ids), size):
        yield index, ids[start : start + size]
