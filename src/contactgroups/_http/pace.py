"""The governor's learnt pace: the start rate a vendor's 429s teach (as botocore's adaptive retry
mode measures the rate at which throttles come and paces its calls with a bucket of its own).

A vendor that refuses calls past a rate (a token bucket) makes calls in flight a coarse knob: at
20 ms a call, 3 calls at once are about 140 calls/s and 4 are 190 against a limit of 150, so a
limit in calls at once saws between too few and too many (and each cut lands on too few). The
refusals measure the rate instead: the bucket is empty at each one, so the calls answered between
two refusals, over the time between them, are what it let through (its burst neither counted nor
missed). A refusal with at least ``_ANSWERS`` answers since an earlier one (within
``keep_seconds``) sets the pace to that rate, never below ``_KEEP`` of the pace set last (a
stalled host leaves tokens unused, which the count misses); a refusal too soon after another
takes the pace down by that share alone. The pace grows along a cubic curve (slow near where the
refusal came, faster past it, as TCP CUBIC) until the next refusal measures again; one that
doubled (``_DOUBLING`` seconds without a refusal) no longer limits anything and is dropped.
The governor (``governor.AccountGovernor``) decides which calls it holds and the calls in flight
it needs; this module only measures and spaces the starts.
"""

from __future__ import annotations

import math

__all__ = ["Pace"]

# the fewest answers between two refusals that measure a rate (fewer: too coarse)
_ANSWERS = 20
# seconds for the pace to double without a refusal (and be dropped)
_DOUBLING = 3.0
# a refusal keeps at least this share of the pace last set (within ``keep_seconds``, even if it
# was dropped since; not of what it grew to: the pace may have grown past what the calls in
# flight sent): the measure falls short of the vendor's rate when this host stalled (a busy
# machine: tokens the vendor offered went unused)
_KEEP = 0.95
# starts missed by up to this many seconds (a sleep that woke late, a stalled process) are made
# up, as far as the calls in flight allow: the vendor's bucket kept their tokens too
_LATE = 0.05


class Pace:
    """The refusals of one account, the rate they measured, and when the next call may start
    (under that rate, or the policy's ``rate`` if lower)."""

    def __init__(self, fixed: float | None, keep_seconds: float) -> None:
        self._fixed = fixed
        self._keep = keep_seconds
        self._rate: float | None = None
        self._set_at = -math.inf  # when the rate was last measured
        self._refused_at: float | None = None  # the last refusal that began a count
        self._answers = 0  # answers since that refusal
        self.next_start = -math.inf

    def answered(self) -> None:
        """Count one answer that was not refused."""
        self._answers += 1

    def refused(self, *, started: float, now: float, floor: float) -> float | None:
        """A call started at ``started`` was refused (429) ``now``: the new pace (never below
        ``floor``), or None: no pace and nothing measured (the first refusal, too few answers
        since the one before, or too long ago), or a call in flight when the pace was last set
        (its refusal is counted already)."""
        if started < self._set_at:
            return None
        last, answers = self._refused_at, self._answers
        measured = None
        if last is None or now - last > self._keep:
            self._refused_at, self._answers = now, 0  # a new count from here
        elif answers >= _ANSWERS and now > last:  # a coarse clock may not have ticked since
            measured = answers / (now - last)
            self._refused_at, self._answers = now, 0
        # else too few answers (or no time) since: the count goes on (the bucket was empty at
        # both refusals)
        kept = 0.0
        if self._rate is not None and now - self._set_at <= self._keep:  # even if dropped since
            kept = self._rate * _KEEP
        if measured is None and not kept:
            return None
        self._rate = max(measured or 0.0, kept, floor)
        self._set_at = now
        return self._rate

    def learnt(self, now: float) -> float | None:
        """The measured rate, grown since (None: none, or dropped)."""
        grown = (now - self._set_at) / _DOUBLING
        if self._rate is None or grown >= 1:  # no refusal while it doubled: it limits nothing
            return None
        return self._rate * (1 + grown**3)

    def started(self, now: float) -> None:
        """A call starts ``now``: the next may start one interval later. Under the policy's
        rate, one interval after ``now`` (at most that rate, strictly); under the learnt pace,
        on the pace's grid if this start was late by less than ``_LATE`` (a sleep wakes up
        late, a busy host stalls: starts spaced from their actual times fall behind the pace)."""
        learnt, fixed = self.learnt(now), self._fixed
        if learnt is not None and (fixed is None or learnt < fixed):
            rate, late = learnt, _LATE
        elif fixed is not None:
            rate, late = fixed, 0.0
        else:
            return
        due = self.next_start
        self.next_start = (due if due > now - late else now) + 1.0 / rate
