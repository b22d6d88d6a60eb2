"""The governor's queue rule: each round's throughput by Little's law, and the queue it reveals.

A vendor past its capacity queues what it cannot serve: more calls in flight only wait longer,
the answers a second stay the same. So calls in flight grown by ``_GREW`` since an earlier round
while the throughput grew by less than ``_GAIN`` of that (1: in proportion) is a queue, as TCP
Vegas, BBR and Netflix's Gradient2 read one; a throughput that fell instead (by more than
``_FELL``) is a stall or a collapse, for the governor's other rules. The governor
(``governor.AccountGovernor``) decides what to do about it; this module only measures.
"""

from __future__ import annotations

import collections
import itertools
import math

import attrs

__all__ = ["Measured", "QueueRule"]

# a round is this many times the limit of answers (about as many round trips)
_ROUND = 2
_GREW = 1.2
_GAIN = 0.5
_FELL = 0.8
# a try below the floor is kept if its first round's throughput is this share of the one before
_KEPT = 0.9
# rounds kept: at most _ROUNDS_KEPT, those of the last ``keep_seconds``, at least _ROUNDS_OLD
# (whatever their age: a slow vendor's rounds may be long)
_ROUNDS_KEPT = 64
_ROUNDS_OLD = 4


@attrs.frozen
class Measured:
    """One round: the mean calls in flight, the throughput (calls a second), when it ended."""

    in_flight: float
    rate: float
    at: float


@attrs.define
class _Round:
    """The answers of the round being measured (``size`` of them, set when it begins, so that
    a limit growing during the round does not stretch it): their calls in flight and latency."""

    size: int
    answers: int = 0
    in_flight: float = 0.0
    latency: float = 0.0

    def add(self, in_flight: int, latency: float, now: float) -> Measured | None:
        """Count one answer; at the last, the round measured."""
        self.answers += 1
        self.in_flight += in_flight
        self.latency += latency
        if self.answers < self.size or self.latency <= 0:
            return None
        # Little's law: throughput = calls in flight / latency, both as means of the round (the
        # calls in flight when each started: those ahead of it are what it waits for)
        return Measured(self.in_flight / self.answers, self.in_flight / self.latency, now)


class QueueRule:
    """The rounds of one governor: the one being measured, the recent ones, what they read as.

    ``seen``: the last round read as a queue (once may be a stall: growth stops; twice in a row
    is a queue). ``probe``: the limit and throughput before a try below the floor, if one is on.
    """

    def __init__(self, capacity: int, keep_seconds: float) -> None:
        self._keep = keep_seconds
        self._round = _Round(_ROUND * capacity)
        self._rounds: collections.deque[Measured] = collections.deque(maxlen=_ROUNDS_KEPT)
        self.seen = False
        self.probe: tuple[float, float] | None = None
        self._probe_after = -math.inf

    def restart(self, capacity: int) -> None:
        """Begin a new round for a limit of ``capacity`` (the limit was just set)."""
        self._round = _Round(_ROUND * capacity)
        self.seen = False

    def measure(self, in_flight: int, latency: float, now: float, capacity: int) -> Measured | None:
        """Count one busy answer (``in_flight`` calls in flight when it started, itself
        included); at the end of a round, that round (kept, and the next begun)."""
        measured = self._round.add(in_flight, latency, now)
        if measured is None:
            return None
        self._round = _Round(_ROUND * capacity)
        rounds = self._rounds
        while len(rounds) > _ROUNDS_OLD and now - rounds[0].at > self._keep:
            rounds.popleft()
        rounds.append(measured)
        return measured

    def confirms(self, measured: Measured) -> bool:
        """Whether ``measured`` (the last round) is the second in a row to read as a queue
        against the last earlier round with ``_GREW`` times fewer calls in flight."""
        earlier = next(
            (
                r
                for r in itertools.islice(reversed(self._rounds), 1, None)
                if r.in_flight * _GREW <= measured.in_flight
            ),
            None,
        )
        queue = earlier is not None and (
            earlier.rate * _FELL
            <= measured.rate
            < earlier.rate * (1 + _GAIN * (measured.in_flight / earlier.in_flight - 1))
        )
        confirmed = queue and self.seen
        self.seen = queue and not confirmed
        return confirmed

    def best(self) -> float:
        """The highest throughput of the recent rounds (0 if none)."""
        return max((r.rate for r in self._rounds), default=0.0)

    def may_try(self, now: float) -> float | None:
        """The last round's throughput, if a try below the floor may start now (none is on, and
        none failed in the last ``keep_seconds``)."""
        if self.probe is not None or now < self._probe_after or not self._rounds:
            return None
        return self._rounds[-1].rate

    def tried(self, rate: float, now: float) -> float | None:
        """The first round of a try below the floor measured ``rate``: None if the try is kept
        (fewer calls served as many), else the limit to go back to."""
        assert self.probe is not None
        before, rate_before = self.probe
        self.probe = None
        if rate >= rate_before * _KEPT:
            return None
        self._probe_after = now + self._keep
        return before
