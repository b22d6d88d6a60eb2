"""A journaled target's ids handed out to calls and not yet recorded, by position.

The usual first round hands out each slice of a target as one run of consecutive positions: a
``Run`` knows where it starts, so a chunk cut from it (a ``Run`` too) is marked in flight and
recorded by its bounds, without looking up a single id. Any other ids (a retry round's scattered
failures, the ids a vendor answered on one by one) are looked up by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["HandedOut", "Run"]


class Run(list[str]):
    """Ids at consecutive positions of their target, from position ``first``."""

    __slots__ = ("first",)

    def __init__(self, ids: Iterable[str], first: int) -> None:
        super().__init__(ids)
        self.first = first

    def part(self, start: int, end: int) -> Run:
        """``self[start:end]``, still knowing where it starts."""
        return Run(self[start:end], self.first + start)


class HandedOut:
    """One target's ids handed out and not yet recorded (recording an id that is not handed out
    is a ``KeyError``: a bug of the job)."""

    def __init__(self, size: int) -> None:
        self._out = bytearray(size)  # 1 where the id at that position is handed out
        # the runs handed out and not yet wholly recorded, each with its table of ids once an id
        # of it is looked up (one or two per target at a time: the job reads a slice at a time)
        self._runs: list[tuple[Run, dict[str, int]]] = []
        self._loose: dict[str, int] = {}  # ids handed out outside a run: id -> position

    def run(self, ids: Iterable[str], first: int) -> Run:
        """Hand out ``ids``, the ids at positions ``first`` onwards (copied once, into the run)."""
        run = Run(ids, first)
        self._out[first : first + len(run)] = b"\x01" * len(run)
        self._forget_runs()
        self._runs.append((run, {}))
        return run

    def some(self, ids: Sequence[str], positions: Iterable[int]) -> None:
        """Hand out ``ids``, each at its position."""
        for key, position in zip(ids, positions, strict=True):
            self._out[position] = 1
            self._loose[key] = position

    def positions(self, ids: Sequence[str], *, release: bool) -> Sequence[int]:
        """The positions of ``ids``, all handed out (else ``KeyError``); ``release``: handed out
        no longer (their outcome is recorded, or they were not sent after all)."""
        out = self._out
        if type(ids) is Run:
            first, end = ids.first, _end(ids)
            if out.count(1, first, end) != len(ids):
                raise KeyError(f"positions {first} to {end - 1} are not all handed out")
            if release:  # a run handed out has no table to free: forgotten at the next one
                out[first:end] = bytes(len(ids))
            return range(first, end)
        positions = [self._find(key) for key in ids]
        if release:
            for key, position in zip(ids, positions, strict=True):
                out[position] = 0
                self._loose.pop(key, None)
            self._forget_runs()
        return positions

    def held(self) -> int:
        """How many ids this keeps in memory (the runs not wholly recorded, loose ids)."""
        return len(self._loose) + sum(len(run) + len(table) for run, table in self._runs)

    def _forget_runs(self) -> None:
        """Drop the runs wholly recorded (or put back)."""
        out = self._out
        if self._runs:
            self._runs = [r for r in self._runs if out.find(1, r[0].first, _end(r[0])) != -1]

    def withdraw(self, ids: Iterable[str]) -> None:
        """Whichever of ``ids`` are still handed out (loose ones), handed out no longer."""
        for key in ids:
            position = self._loose.pop(key, None)
            if position is not None:
                self._out[position] = 0

    def _find(self, key: str) -> int:
        position = self._loose.get(key)
        if position is None:
            for run, table in self._runs:
                if not table:  # built once, the first time an id of this run is looked up
                    table.update(zip(run, range(run.first, _end(run)), strict=True))
                position = table.get(key)
                if position is not None:
                    break
        if position is None or not self._out[position]:
            raise KeyError(key)
        return position


def _end(run: Run) -> int:
    return run.first + len(run)
