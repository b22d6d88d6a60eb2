"""The throughput governor of one vendor account: how many of its requests are in flight, learnt
from its answers, and the account-wide pause a ``Retry-After`` asks for.

No vendor documents a rate limit, so the number of calls in flight is learnt (in the spirit of
TCP congestion control, Netflix's concurrency-limits and botocore's adaptive retry mode):

- **growth** while the account is healthy: before the first overload, +1 per success (the
  limit grows by half or more each round trip, "slow start"); after one, along a cubic curve
  back to the limit where it happened and, if nothing happens there, past it (TCP CUBIC). Only
  a request that found at least half the limit in use makes it grow, only while latency stays
  flat (its smoothed value within ``latency_tolerance`` times the lowest of the last
  ``baseline_seconds``, plus ``latency_slack``) and only while the throughput grows with it.
- **queue** (measured and explained in the ``queue`` module): calls in flight that grew while
  the throughput (Little's law, per round) did not grow with them are a queue at the vendor:
  growth stops, and a second such round sets the limit to the calls that throughput needs
  without one (as Vegas, BBR and Gradient2 settle near the knee). A fall is a stall, not a queue.
- **cut** on an overload (429, 503 or a timeout, as ``retry.is_overload`` says): the limit times
  ``backoff``. Latency past the tolerance stops growth at once and, if requests started after it
  was first seen are slow too (a queue, not a stall), cuts by ``latency_backoff``. Latency and
  the queue rule never cut below the start (the floor) outright: below it fewer calls are only
  tried, for one round, and kept if the throughput held (the start was past the vendor's
  capacity; the floor comes down with them), else undone and not tried again for
  ``baseline_seconds``: latency alone never makes a job slower than a fixed default would be. A
  burst of overloads from requests that were already in flight when the limit was cut counts
  once.
- **pace** (measured in the ``pace`` module): a 429 with enough answers since an earlier one
  measures the vendor's rate (those answers over the time between); the governed requests'
  starts are paced at it (growing along a cubic curve until the next 429 measures again) and
  the limit becomes the calls in flight that rate needs, instead of a cut (fewer would not keep
  up with it: calls in flight are too coarse a knob for a rate). After a pause the pace resumes
  from its end.
- **pause**: a 429 or 503 with ``Retry-After`` stops every request of the account (single calls
  and bulk alike) until the time given, if that is within the retry policy's
  ``retry_after_max`` (the SDK waits no longer on its own: a longer one is the caller's to
  schedule, from the error's ``retry_after``).
  A request whose call budget would end during the pause fails at once with the usual
  ``TimeoutError`` (``never_sent``), never waiting past its budget.

A request takes a slot only where concurrency is governed: every request of a client made with
``governor=GovernorPolicy(...)``, and the requests ``multi`` makes with ``concurrency="adaptive"``
(inside ``AccountGovernor.adaptive()``); only those are paced. The pause applies to every
request. Every slot is returned on success, error and cancellation. Times come from an injected
clock (``clock``, ``sleep``), so the rules are tested without waiting.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import math
import operator
import time
from collections.abc import Awaitable, Callable, Iterator

import anyio

from ..errors import InvalidRequestError
from .governor_policy import DEFAULT_GOVERNOR, GovernorPolicy
from .pace import Pace
from .queue import QueueRule
from .slot import Slot, Waiter
from .timeouts import CallBudget

__all__ = ["DEFAULT_GOVERNOR", "AccountGovernor", "GovernorPolicy", "Slot"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# the governor whose slots the requests of this task (and the tasks it starts) take: set by
# ``AccountGovernor.adaptive`` for a ``multi`` job
_GOVERNED: contextvars.ContextVar[AccountGovernor | None] = contextvars.ContextVar(
    "contactgroups_governed", default=None
)
# cubic growth constant (limit units per second cubed), as botocore's adaptive mode
_CUBIC_C = 0.4
# the smoothed latency follows each new sample by this share
_SMOOTHING = 0.2
# past a queue the limit goes back to the calls in flight its throughput needs without one (times
# the lowest latency), times this: the lowest latency is the fastest answer, not the usual one
_HEADROOM = 1.2
_LOW = operator.itemgetter(1)  # the low of one (start, low) bucket of the latency window


class AccountGovernor:
    """The governor of one client (vendor account), shared by its ``with_options`` views.

    ``policy`` given: every request takes a slot (a service's single calls queue here instead of
    earning 429s). Not given: only the requests of ``multi`` in ``adaptive()`` do, under the
    default policy; the pause applies either way.
    """

    def __init__(
        self,
        policy: GovernorPolicy | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if policy is not None and not isinstance(policy, GovernorPolicy):
            raise InvalidRequestError(
                f"governor must be a GovernorPolicy or None, not {type(policy).__name__}"
            )
        self.policy = DEFAULT_GOVERNOR if policy is None else policy
        self.limits_single_calls = policy is not None
        self._clock = clock
        self._sleep = sleep
        initial = self.policy.initial
        start = min(8, self.policy.max_concurrency) if initial is None else initial
        self.limit = self.policy.clamp(start)
        self.seeded = initial is not None
        self._floor = self.limit  # latency alone never cuts below the start
        self.in_flight = 0
        self.paused_until = -math.inf
        self.overloads = 0  # cuts on 429/503/timeout, for the curious (benchmarks, logs)
        self._w_max: float | None = None  # the limit at the last cut (None: never cut)
        self._epoch = 0.0  # when the limit was last cut
        self._cut_share = self.policy.backoff  # what that cut kept
        self._slow_since: float | None = None  # when latency was first seen past the tolerance
        self._cut_at = -math.inf
        self._pace = Pace(self.policy.rate, self.policy.baseline_seconds)
        self._baseline: collections.deque[tuple[float, float]] = collections.deque()
        self._lowest: float | None = None  # the lowest of the window, kept as it changes
        self._smoothed: float | None = None
        self._queue = QueueRule(self.capacity, self.policy.baseline_seconds)
        self._waiters: collections.deque[Waiter] = collections.deque()

    # -- the rules (pure: every time is passed in) ---------------------------------------------

    @property
    def capacity(self) -> int:
        """Requests allowed in flight now: the limit, rounded down."""
        return int(self.limit)

    def seed(self, start: int) -> None:
        """Start at ``start`` requests in flight unless a start was given or learnt already."""
        if not self.seeded:
            self.seeded = True
            self.limit = self._floor = self.policy.clamp(start)
            self._wake()

    def pause(self, seconds: float, now: float) -> None:
        """Stop every request of the account until ``now + seconds`` (the pace resumes from
        there: the starts the pause held back are not made up)."""
        self.paused_until = max(self.paused_until, now + seconds)
        self._pace.next_start = max(self._pace.next_start, self.paused_until)

    def pause_left(self, now: float) -> float:
        return max(0.0, self.paused_until - now)

    def baseline(self) -> float | None:
        """The lowest latency of the last ``baseline_seconds``."""
        return self._lowest

    def on_latency(self, latency: float, now: float) -> None:
        """Record one answer's latency (the window of lows, and the smoothed value)."""
        bucket = self.policy.baseline_seconds / 10
        if self._baseline and now - self._baseline[-1][0] < bucket:
            start, low = self._baseline[-1]
            self._baseline[-1] = (start, min(low, latency))
        else:
            self._baseline.append((now, latency))
        lowest = self._lowest
        self._lowest = latency if lowest is None or latency < lowest else lowest
        if now - self._baseline[0][0] > self.policy.baseline_seconds:
            while self._baseline and now - self._baseline[0][0] > self.policy.baseline_seconds:
                self._baseline.popleft()
            self._lowest = min(map(_LOW, self._baseline), default=None)  # a low may have left
        smoothed = self._smoothed
        self._smoothed = (
            latency if smoothed is None else smoothed + _SMOOTHING * (latency - smoothed)
        )

    def latency_flat(self, latency: float | None = None) -> bool:
        """Whether the smoothed latency (or ``latency``) is within the tolerance."""
        baseline = self.baseline()
        latency = self._smoothed if latency is None else latency
        if baseline is None or latency is None:
            return True
        return latency <= baseline * self.policy.latency_tolerance + self.policy.latency_slack

    def on_success(
        self, latency: float, *, started: float, busy: bool, now: float, in_flight: int
    ) -> None:
        """A request started at ``started`` with ``in_flight`` calls in flight (itself included)
        was answered after ``latency`` seconds; ``busy``: it held a slot and found at least half
        of them in use (no growth for a limit nobody needs, as TCP grows only a window that is
        used)."""
        self.on_latency(latency, now)
        self._pace.answered()
        paced = self._pace.learnt(now)
        if paced is not None and self._needs(paced) > self.limit:
            # the pace holds the starts back: the limit must not (latency grew, say, on a busy
            # host), and more calls in flight do not start more calls a second
            self.limit = self.policy.clamp(self._needs(paced))
            self._wake()
        if started < self._cut_at:
            return  # it was in flight when the limit was cut: it says nothing about the new one
        if busy and self._queued(in_flight, latency, now):
            return
        if not self.latency_flat():
            # a queue at the vendor lasts; a stall (a busy host, a lost packet) passes: cut only
            # if requests started after latency was first seen high are slow too
            if self._slow_since is None:
                self._slow_since = now
            elif started >= self._slow_since and not self.latency_flat(latency):
                self._slow_since = None
                if self.limit > self._floor:
                    self._cut(self.policy.latency_backoff, now, floor=self._floor)
                else:
                    self._try_below_floor(now)
            return
        self._slow_since = None
        if not busy:
            return
        self.seeded = True
        if self._w_max is None:
            grown = self.limit + 1.0
        else:
            k = (self._w_max * (1 - self._cut_share) / _CUBIC_C) ** (1 / 3)
            grown = max(self.limit, _CUBIC_C * (now - self._epoch - k) ** 3 + self._w_max)
            grown = min(grown, self.limit + 1.0)  # never more than one slot per answer
        self.limit = self.policy.clamp(grown)
        self._wake()

    def _queued(self, in_flight: int, latency: float, now: float) -> bool:
        """Count one busy answer into the queue rule's round; whether growth stops.

        A round read as a queue (``queue`` module) stops growth; the next one too sets the limit
        to the calls in flight its throughput needs without a queue (``_knee``), where growth
        resumes along the cubic curve's plateau; below the floor only as a try, which the next
        round decides.
        """
        rule = self._queue
        measured = rule.measure(in_flight, latency, now, self.capacity)
        if measured is None:
            return rule.seen
        if rule.probe is not None:
            before = rule.tried(measured.rate, now)
            if before is not None:
                self._settle(before, now)
                return False
            self._floor = self.limit  # as many answers from fewer calls: the floor follows
            return self._try_below_floor(now, measured.rate)  # and fewer still, if need be
        if not rule.confirms(measured):
            return rule.seen
        # below the floor only as a try, measured (a starved host reads as a queue too)
        if not self._try_below_floor(now, measured.rate):
            target = max(self._knee(measured.rate), self._floor)
            if target < self.limit:
                self._settle(target, now)
        return True

    def _knee(self, rate: float) -> float:
        """The calls in flight ``rate`` answers a second need without a queue (times the lowest
        latency), with ``_HEADROOM``; no fewer than the best rate of the recent rounds needs
        (on a starved host the rate falls with the limit: no ratchet down), nor than half the
        limit (TCP's deepest cut)."""
        baseline = self.baseline()
        assert baseline is not None  # a round has answers, each recorded first
        rate = max(rate, self._queue.best())
        return self.policy.clamp(max(rate * baseline * _HEADROOM, self.limit / 2))

    def _settle(self, limit: float, now: float) -> None:
        """Set the limit where the cubic curve's plateau starts: growth past it is slow."""
        self.limit = limit
        self._w_max = limit
        self._cut_share = 1.0
        self._epoch = self._cut_at = now
        self._queue.restart(self.capacity)
        self._wake()

    def _try_below_floor(self, now: float, rate: float | None = None) -> bool:
        """Try the calls in flight ``rate`` (or the last round's throughput) needs without a
        queue, if that is below the floor (the start, which may be past the vendor's capacity)
        and no try failed in the last ``baseline_seconds``; the next round decides (kept if the
        throughput held). Whether a try began."""
        last = self._queue.may_try(now)
        if last is None:
            return False
        rate = last if rate is None else rate
        target = self._knee(rate)
        before = min(self.limit, self._floor)
        if target >= before:
            return False
        self._queue.probe = (before, rate)
        self._settle(target, now)
        return True

    def on_overload(self, *, started: float, now: float, limited: bool = False) -> None:
        """A request started at ``started`` met a 429 (``limited``), 503 or timeout: cut the
        limit once; or, a 429 that measured the vendor's rate, pace the starts at it and set the
        limit to what it needs."""
        self.seeded = True
        self.overloads += 1
        rate = None
        if limited:  # no slower than min_concurrency calls at once (refusals may be noise)
            floor = self.policy.min_concurrency / (self._smoothed or math.inf)
            rate = self._pace.refused(started=started, now=now, floor=floor)
        if rate is not None:
            self._settle(self.policy.clamp(self._needs(rate)), now)
        elif started >= self._cut_at:
            self._cut(self.policy.backoff, now)

    def _needs(self, rate: float) -> float:
        """The calls in flight ``rate`` starts a second need at the smoothed latency, with
        ``_HEADROOM``, rounded up (the limit counts whole calls)."""
        return float(math.ceil(rate * (self._smoothed or 0.0) * _HEADROOM))

    def _cut(self, share: float, now: float, floor: float = 0.0) -> None:
        before = self.limit
        self.limit = self.policy.clamp(max(floor, before * share))
        self._cut_share = min(1.0, self.limit / before)
        if self._w_max is not None and before < self._w_max:
            before = before * (1 + share) / 2  # still falling: aim lower next time (CUBIC)
        self._w_max = before
        self._epoch = self._cut_at = now

    def start_wait(self, now: float, paced: bool = True) -> float:
        """Seconds before the next request may start: the pause, then (``paced``) the pace."""
        return max(self.pause_left(now), self._pace.next_start - now if paced else 0.0)

    # -- taking and returning slots --------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    def gates(self) -> bool:
        """Whether a request made now takes a slot."""
        return self.limits_single_calls or _GOVERNED.get() is self

    @contextlib.contextmanager
    def adaptive(self, start: int) -> Iterator[int]:
        """Within the block, requests of this task and of the tasks it starts take slots of this
        governor, which starts at ``start`` unless it knows better; gives the ceiling."""
        self.seed(start)
        token = _GOVERNED.set(self)
        try:
            yield self.policy.max_concurrency
        finally:
            _GOVERNED.reset(token)

    async def admit(
        self, budget: CallBudget, provider: str, *, pause_cap: float, maybe_landed: bool = False
    ) -> Slot:
        """Wait for the account's pause to end and, where governed, for a free slot; the slot
        returned must be used as ``with slot:`` (which returns it). Waits fit ``budget``."""
        gated = self.gates()
        slot = Slot(self, gated, pause_cap)
        if gated:
            remaining = budget.remaining()
            with anyio.move_on_after(math.inf if remaining is None else max(0.0, remaining)):
                await self._take()
                slot.held = True
                slot.busy = 2 * (self.in_flight + self.waiting()) >= self.capacity
                slot.in_flight = self.in_flight
            if not slot.held:
                raise budget.out_of_time("waiting for a free slot", provider, maybe_landed)
        try:
            now = self._clock()
            # a pause holds every request; the pace only governed ones (a fixed concurrency is
            # the caller's to choose)
            if now < self.paused_until or (gated and now < self._pace.next_start):
                while (wait := self.start_wait(self._clock(), gated)) > 0:
                    blocker = budget.blocks(wait)
                    if blocker is not None:
                        raise budget.out_of_time(
                            "during the account's pause (the vendor's Retry-After)",
                            provider,
                            maybe_landed,
                            blocker,
                        )
                    await self._sleep(wait)
                now = self._clock()
            if gated:
                self._pace.started(now)
            slot.started = now
        except BaseException:
            slot.release()
            raise
        return slot

    async def _take(self) -> None:
        if self.in_flight < self.capacity and not self._waiters:
            self.in_flight += 1
            return
        waiter = Waiter()
        self._waiters.append(waiter)
        try:
            await waiter.event.wait()
        except BaseException:
            if waiter.granted:
                self.give_back()  # granted while being cancelled: pass it on
            else:
                self._waiters.remove(waiter)
            raise

    def give_back(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.capacity:
            waiter = self._waiters.popleft()
            waiter.granted = True
            self.in_flight += 1  # handed over: the waiter owns it from here
            waiter.event.set()

    def waiting(self) -> int:
        return len(self._waiters)
