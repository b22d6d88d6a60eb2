"""The governor's learnt pace on a controlled clock: a vendor's 429s measure its rate, the starts
are paced at it and the limit is what it needs; how the pace grows, falls and ends, and whom it
holds. Nothing here waits: the clock and the sleep are fakes (``test_governor.FakeClock``)."""

from __future__ import annotations

import heapq
import itertools
import math

import pytest
from test_governor import FakeClock, budget, governor

from contactgroups._http.governor import AccountGovernor, Slot


class Bucket:
    """A vendor refusing calls past ``rate`` a second (a token bucket holding ``burst``), each
    answered ``latency`` seconds after it arrived: 429 with the seconds until the next token
    (to the hundredth, rounded up) when the bucket was empty, as benchmarks/bench_governor.py's
    fake does."""

    def __init__(self, rate: float, burst: float, latency: float, now: float) -> None:
        self.rate, self.burst, self.latency = rate, burst, latency
        self.tokens, self.refilled = burst, now

    def call(self, now: float) -> tuple[float, int, dict[str, str]]:
        """When the answer comes, its status and headers."""
        self.tokens = min(self.burst, self.tokens + (now - self.refilled) * self.rate)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return now + self.latency, 200, {}
        wait = math.ceil((1 - self.tokens) / self.rate * 100) / 100
        return now + self.latency, 429, {"Retry-After": f"{wait:.2f}"}


async def bucket_job(
    gov: AccountGovernor, clock: FakeClock, vendor: Bucket, ids: int
) -> tuple[float, int, int]:
    """A bulk job on the fake clock, a call always waiting: a call starts as soon as a slot is
    free and the governor's pause and pace allow; a refused id is tried again. Its seconds, the
    calls made and the 429s."""
    began = clock.now
    in_flight: list[tuple[float, int, Slot, int, dict[str, str]]] = []
    added = calls = refused = 0
    while added < ids:
        while gov.in_flight < gov.capacity and gov.start_wait(clock.now) <= 0:
            slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)  # no wait: free
            calls += 1
            done, status, headers = vendor.call(clock.now)
            heapq.heappush(in_flight, (done, calls, slot, status, headers))
        can_start = gov.in_flight < gov.capacity
        next_start = clock.now + gov.start_wait(clock.now) if can_start else math.inf
        if not in_flight or next_start < in_flight[0][0]:
            clock.now = next_start
            continue
        clock.now, _, slot, status, headers = heapq.heappop(in_flight)
        with slot:
            slot.answered(status, headers)
        added += status == 200
        refused += status == 429
    return clock.now - began, calls, refused


@pytest.mark.parametrize(
    ("rate", "burst", "latency"),
    [(150.0, 10.0, 0.0213), (150.0, 10.0, 0.05), (150.0, 2.0, 0.0213), (1000.0, 50.0, 0.02)],
)
async def test_a_token_bucket_is_met_at_its_rate_with_few_429s(
    rate: float, burst: float, latency: float
) -> None:
    # at 150 calls/s and 21.3 ms, 3 calls at once are 141 calls/s and 4 are 188: a limit in
    # calls at once, cut on each 429, served 0.94, 0.89, 0.65 and 0.82 of these rates
    clock = FakeClock()
    gov = governor(clock, initial=16)
    ids = int(rate * 20)
    seconds, calls, refused = await bucket_job(
        gov, clock, Bucket(rate, burst, latency, clock.now), ids
    )
    assert ids / seconds >= 0.97 * rate
    assert refused <= 0.03 * calls
    # the calls in flight the pace needs (rate x latency, a fifth more, rounded up): no more
    assert gov.capacity <= math.ceil(rate * latency * 1.2) + 1


# -- the measure ---------------------------------------------------------------------------------


def answer(gov: AccountGovernor, clock: FakeClock, count: int, spacing: float) -> None:
    """``count`` answers (20 ms each, one call in flight), ``spacing`` seconds apart."""
    for _ in range(count):
        clock.now += spacing
        gov.on_success(0.02, started=clock.now - 0.02, busy=False, now=clock.now, in_flight=1)


def refuse(gov: AccountGovernor, clock: FakeClock, started: float | None = None) -> None:
    gov.on_overload(started=clock.now if started is None else started, now=clock.now, limited=True)


def pace(gov: AccountGovernor, clock: FakeClock) -> float | None:
    return gov._pace.learnt(clock.now)


async def test_the_answers_between_two_429s_are_the_rate_and_the_limit_what_it_needs() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    assert pace(gov, clock) is None  # one refusal measures nothing: cut as before
    assert gov.limit == pytest.approx(16 * 0.7)
    answer(gov, clock, 100, 0.01)  # 100 a second
    refuse(gov, clock)
    assert pace(gov, clock) == pytest.approx(100.0)
    assert gov.limit == math.ceil(100 * 0.02 * 1.2)  # 3: what 100 a second at 20 ms need
    # a call that was in flight when the pace was set: its refusal is counted already
    answer(gov, clock, 30, 0.02)
    refuse(gov, clock, started=clock.now - 0.7)
    assert pace(gov, clock) == pytest.approx(100.0, rel=0.01)
    assert gov.overloads == 3


async def test_429s_on_one_clock_tick_measure_nothing_and_count_on() -> None:
    # a coarse clock (Windows' monotonic ticks every ~16 ms): answers and two 429s on one tick
    clock = FakeClock()
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    answer(gov, clock, 30, 0.0)
    refuse(gov, clock)  # no time between the two: no rate (and no ZeroDivisionError)
    assert pace(gov, clock) is None
    answer(gov, clock, 10, 0.01)
    refuse(gov, clock)  # the count went on from the first: 40 answers over 0.1 s
    assert pace(gov, clock) == pytest.approx(400.0)


async def test_too_few_answers_between_429s_count_on_from_the_earlier_one() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    for _ in range(4):  # refusals 50 ms apart, 5 answers between: too coarse alone
        answer(gov, clock, 5, 0.01)
        refuse(gov, clock)
    assert pace(gov, clock) == pytest.approx(100.0)  # 20 answers over the 0.2 s since the first


async def test_a_measure_short_after_a_stall_keeps_most_of_the_pace() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    answer(gov, clock, 100, 0.01)
    refuse(gov, clock)  # 100 a second
    answer(gov, clock, 50, 0.01)
    clock.now += 0.5  # this host stalled: half a second of the vendor's tokens unused
    refuse(gov, clock)  # 50 answers in a second measure 50 a second
    assert pace(gov, clock) == pytest.approx(95.0)
    refuse(gov, clock, started=clock.now)  # and a 429 too soon to measure: 5% less again
    assert pace(gov, clock) == pytest.approx(95.0 * 0.95)


async def test_a_429_soon_after_the_pace_ended_takes_it_up_near_where_it_was() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    answer(gov, clock, 100, 0.01)
    refuse(gov, clock)  # 100 a second
    clock.now += 3.0
    assert pace(gov, clock) is None  # doubled without a 429: ended
    answer(gov, clock, 30, 0.1)  # 30 answers in 6 s since that 429 (a stalled host, a lull)
    refuse(gov, clock)
    assert pace(gov, clock) == pytest.approx(95.0)  # not 5 a second


async def test_the_pace_never_falls_below_min_concurrency_calls_at_once() -> None:
    # 429s that come whatever the pace (noise, not a rate) wear it down only that far
    clock = FakeClock()
    gov = governor(clock, initial=16, min_concurrency=2)
    refuse(gov, clock)
    for _ in range(200):
        answer(gov, clock, 20, 0.1)
        refuse(gov, clock)
    assert pace(gov, clock) == pytest.approx(2 / 0.02)  # two calls at 20 ms


# -- growth and the end of the pace ----------------------------------------------------------------


async def test_the_pace_grows_slowly_then_faster_and_ends_once_doubled() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    answer(gov, clock, 100, 0.01)
    refuse(gov, clock)
    start = clock.now
    seen = []
    for after in (0.5, 1.0, 2.0, 2.9):
        clock.now = start + after
        seen.append(pace(gov, clock))
    assert seen == pytest.approx([100 * (1 + (t / 3) ** 3) for t in (0.5, 1.0, 2.0, 2.9)])
    clock.now = start + 3.0
    assert pace(gov, clock) is None  # no 429 while it doubled: it no longer limits anything


async def test_while_paced_the_limit_follows_what_the_pace_needs_as_latency_grows() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    answer(gov, clock, 100, 0.01)
    refuse(gov, clock)
    assert gov.limit == 3.0  # 100 a second at 20 ms, a fifth more, rounded up
    for _ in range(30):  # answers now take 60 ms (a busy host), one every 10 ms
        clock.now += 0.01
        gov.on_success(0.06, started=clock.now - 0.06, busy=True, now=clock.now, in_flight=3)
    # the latency rule alone would keep it at 3: the pace, not the limit, holds the starts back
    assert gov.limit == math.ceil(100 * 0.06 * 1.2)


# -- the starts ----------------------------------------------------------------------------------


async def paced_governor(clock: FakeClock, rate: float = 100.0) -> AccountGovernor:
    gov = governor(clock, initial=16)
    refuse(gov, clock)
    answer(gov, clock, int(rate), 1 / rate)
    refuse(gov, clock)
    gov.limit = 16.0  # enough calls at once that only the pace holds them back
    return gov


async def test_governed_starts_are_spaced_by_the_pace() -> None:
    clock = FakeClock()
    gov = await paced_governor(clock)
    starts = []
    for _ in range(5):
        slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
        starts.append(slot.started)
        slot.release()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx([0.01] * 4, rel=0.01)


async def test_a_start_late_by_a_little_is_made_up_on_the_pace_s_grid() -> None:
    clock = FakeClock()
    gov = await paced_governor(clock)
    first = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    first.release()
    clock.now += 0.025  # woke 15 ms late for the second start: it starts now ...
    second = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    second.release()
    third = await gov.admit(budget(clock), "vendor", pause_cap=60.0)  # ... and so does the third
    third.release()
    assert third.started == second.started
    clock.slept.clear()
    fourth = await gov.admit(budget(clock), "vendor", pause_cap=60.0)  # back on the grid
    fourth.release()
    assert fourth.started == pytest.approx(first.started + 0.03, rel=1e-6)


async def test_after_a_pause_the_pace_resumes_from_its_end_without_a_burst() -> None:
    clock = FakeClock()
    gov = await paced_governor(clock)
    slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    with slot:
        slot.answered(429, {"Retry-After": "0.05"})  # a pause of five of the pace's intervals
    ends = clock.now + 0.05
    interval = 1 / 95  # that 429 came too soon to measure: 5% off the pace
    starts = []
    for _ in range(3):
        slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
        starts.append(slot.started)
        slot.release()
    assert starts == pytest.approx([ends, ends + interval, ends + 2 * interval], rel=1e-7)


async def test_the_pace_holds_only_governed_calls() -> None:
    # a fixed concurrency is the caller's choice: its calls are not paced (a pause holds all)
    clock = FakeClock()
    gov = AccountGovernor(clock=clock, sleep=clock.sleep)  # no policy: single calls ungoverned
    with gov.adaptive(16):
        await paced_governor_of(gov, clock)
        for _ in range(2):
            slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
            slot.release()
    assert clock.slept == pytest.approx([0.01])  # governed: held back by the pace
    begun = clock.now
    starts = []
    for _ in range(5):
        slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
        starts.append(slot.started)
        slot.release()
    assert starts == [begun] * 5  # ungoverned: at once


async def paced_governor_of(gov: AccountGovernor, clock: FakeClock) -> None:
    refuse(gov, clock)
    answer(gov, clock, 100, 0.01)
    refuse(gov, clock)
    assert pace(gov, clock) is not None
