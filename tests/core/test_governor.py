"""The governor's rules on a controlled clock: growth while healthy, the cut on 429/503/timeout,
the account-wide pause, the ceilings. Nothing here waits: the clock and the sleep are fakes."""

from __future__ import annotations

import heapq
import math
import statistics

import anyio
import pytest

from contactgroups import GovernorPolicy, errors
from contactgroups._http.governor import AccountGovernor, Slot
from contactgroups._http.retry import is_overload
from contactgroups._http.timeouts import CallBudget


class FakeClock:
    """A clock that moves only when told to, and a sleep that moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()


def governor(clock: FakeClock, **policy: object) -> AccountGovernor:
    return AccountGovernor(GovernorPolicy(**policy), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def budget(clock: FakeClock, seconds: float | None = None) -> CallBudget:
    # a budget runs on the real monotonic clock, which barely moves during these tests
    return CallBudget(seconds)


async def one_call(gov: AccountGovernor, clock: FakeClock, *, took: float, status: int) -> None:
    slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    with slot:
        clock.now += took
        slot.answered(status, {})


async def round_trip(gov: AccountGovernor, clock: FakeClock, *, took: float = 0.02) -> None:
    """Every slot taken at once, then all answered 200 after ``took`` (one round trip)."""
    slots = [await gov.admit(budget(clock), "vendor", pause_cap=60.0) for _ in range(gov.capacity)]
    clock.now += took
    for slot in slots:
        with slot:
            slot.answered(200, {})


# -- classification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "overload"),
    [
        (429, True),
        (503, True),
        (500, False),
        (502, False),
        (504, False),
        (200, False),
        (errors.RateLimitError("x", status=429, provider="v"), True),
        (errors.ServerError("x", status=503, provider="v"), True),
        (errors.ServerError("x", status=500, provider="v"), False),
        (errors.TimeoutError("x"), True),
        (errors.ReadTimeoutError("x"), True),
        (errors.ConnectTimeoutError("x"), True),
        (errors.TransportError("x"), False),
        (errors.NotFoundError("x", status=404, provider="v"), False),
    ],
)
def test_is_overload_names_429_503_and_timeouts_only(
    outcome: errors.ContactGroupsError | int, overload: bool
) -> None:
    assert is_overload(outcome) is overload


# -- growth ----------------------------------------------------------------------------------------


async def test_the_limit_grows_while_latency_stays_flat_and_nothing_is_refused() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=4, max_concurrency=1000)
    seen = [gov.capacity]
    for _ in range(4):
        await round_trip(gov, clock)
        seen.append(gov.capacity)
    # slow start: +1 per answer that found at least half the slots taken (the later half of
    # each round trip's starts, and the one taking the middle slot): about x1.6 per round trip
    assert seen == [4, 7, 11, 17, 26]


async def test_the_limit_does_not_grow_when_it_is_not_used() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=8)
    for _ in range(50):
        await one_call(gov, clock, took=0.02, status=200)  # one call at a time: 7 slots idle
    assert gov.capacity == 8


async def test_the_limit_never_grows_past_max_concurrency() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16, max_concurrency=64)
    for _ in range(20):
        await round_trip(gov, clock)
    assert gov.capacity == 64
    assert gov.limit == 64.0


async def test_rising_latency_stops_growth_and_cuts_gently() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=10, max_concurrency=1000, latency_tolerance=2.0)
    await round_trip(gov, clock, took=0.02)
    grown = gov.limit
    assert grown > 10
    for _ in range(5):
        await round_trip(gov, clock, took=0.2)  # ten times the lowest latency seen
    assert gov.limit < grown
    assert gov.overloads == 0  # slow answers are not counted as refusals


async def test_one_slow_round_trip_is_a_stall_not_a_queue() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=10, max_concurrency=1000)
    await round_trip(gov, clock, took=0.02)
    grown = gov.limit
    await round_trip(gov, clock, took=0.5)  # every answer of one round trip held up at once
    assert gov.limit == grown  # growth stopped, nothing cut
    for _ in range(10):
        await round_trip(gov, clock, took=0.02)
    assert gov.limit > grown  # and it grows again once latency is back


async def test_latency_alone_keeps_no_cut_below_the_start_that_answers_fewer() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=10, max_concurrency=1000)
    await round_trip(gov, clock, took=0.02)  # the latency when all is well
    assert gov.limit > 10
    seen = []
    for _ in range(17):  # 8.5 s: the fast answers are still in the 10 s baseline
        await round_trip(gov, clock, took=0.5)
        seen.append(gov.limit)
    # cut to the start, then fewer calls tried (the start may be past the vendor's capacity):
    # as slow with fewer calls is fewer answers a second, so back to the start
    assert min(seen) < 10
    assert gov.limit == 10.0
    await one_call(gov, clock, took=0.02, status=429)  # a refusal does cut below
    assert gov.limit == 7.0


# -- a vendor that queues past a capacity it does not tell ----------------------------------------


class Vendor:
    """Serves ``capacity`` calls at once, ``service`` seconds each, the rest wait their turn, so
    latency grows with the calls in flight past it (None: no limit). ``slowdown``: the latency
    also grows by this share at 64 calls in flight, as a host's does under load (while the
    answers a second still grow with the calls)."""

    def __init__(self, capacity: int | None, service: float = 0.02, slowdown: float = 0.0) -> None:
        self.capacity = capacity
        self.service = service
        self.slowdown = slowdown
        self.busy_until: list[float] = []  # a heap: when each of the busy servers is free

    def done_at(self, now: float, in_flight: int) -> float:
        took = self.service * (1 + self.slowdown * in_flight / 64)
        if self.capacity is None:
            return now + took
        start = now
        if len(self.busy_until) >= self.capacity:
            start = max(now, heapq.heappop(self.busy_until))
        heapq.heappush(self.busy_until, start + took)
        return start + took


async def bulk_job(
    gov: AccountGovernor, clock: FakeClock, vendor: Vendor, answers: int
) -> list[float]:
    """A bulk job that always has a call waiting (every slot given is used at once) until
    ``answers`` came; the limit after each."""
    in_flight: list[tuple[float, int, Slot]] = []
    limits = []
    for _ in range(answers):
        while gov.in_flight < gov.capacity:
            slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
            done = vendor.done_at(clock.now, gov.in_flight)
            heapq.heappush(in_flight, (done, id(slot), slot))
        clock.now, _, slot = heapq.heappop(in_flight)
        with slot:
            slot.answered(200, {})
        limits.append(gov.limit)
    for _, _, slot in in_flight:
        slot.release()
    return limits


def settled(limits: list[float]) -> float:
    """The median limit over the second half of the job."""
    return statistics.median(limits[len(limits) // 2 :])


@pytest.mark.parametrize(
    ("capacity", "service", "start"),
    [(24, 0.02, 16), (40, 0.02, 10), (8, 0.05, 4), (100, 0.02, 16), (3, 0.02, 1)],
)
async def test_growth_stops_near_the_capacity_of_a_vendor_that_queues(
    capacity: int, service: float, start: int
) -> None:
    clock = FakeClock()
    gov = governor(clock, initial=start, max_concurrency=1000)
    limits = await bulk_job(gov, clock, Vendor(capacity, service), answers=40 * capacity + 2000)
    # past the capacity more calls only wait: the throughput stopped growing with them; the
    # latency tolerance alone (1.5 times the lowest, plus 5 ms) let them reach about 1.8 times
    assert capacity <= settled(limits) <= 1.4 * capacity
    assert max(limits[len(limits) // 2 :]) <= 1.6 * capacity + 1  # one call more, probing
    assert gov.overloads == 0


@pytest.mark.parametrize(
    ("capacity", "service"), [(8, 0.02), (8, 0.05), (3, 0.02), (5, 0.02), (12, 0.03)]
)
async def test_a_start_past_the_capacity_comes_down_to_it(capacity: int, service: float) -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16, max_concurrency=1000)
    limits = await bulk_job(gov, clock, Vendor(capacity, service), answers=3000)
    # fewer calls than the start were tried, answered as many a second and were kept
    assert capacity <= settled(limits) <= 1.4 * capacity
    assert max(limits[len(limits) // 2 :]) <= 1.6 * capacity + 1  # one call more, probing


@pytest.mark.parametrize("slowdown", [0.0, 0.5])
async def test_the_limit_still_grows_while_the_throughput_grows_with_it(slowdown: float) -> None:
    # flat latency; or latency 1.5 times as long at 64 calls in flight, answers a second still
    # growing with the calls (a host a little slower under load is no queue)
    clock = FakeClock()
    gov = governor(clock, initial=16, max_concurrency=64)
    limits = await bulk_job(gov, clock, Vendor(None, slowdown=slowdown), answers=3000)
    assert limits[-1] == 64.0
    assert min(limits[len(limits) // 4 :]) == 64.0


# -- the cut -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
async def test_a_429_or_503_cuts_the_limit_multiplicatively(status: int) -> None:
    clock = FakeClock()
    gov = governor(clock, initial=20, backoff=0.5)
    await one_call(gov, clock, took=0.02, status=status)
    assert gov.limit == 10.0
    assert gov.overloads == 1


async def test_a_500_or_a_404_does_not_cut() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=20)
    await one_call(gov, clock, took=0.02, status=500)
    await one_call(gov, clock, took=0.02, status=404)
    assert gov.limit == 20.0


@pytest.mark.parametrize(
    "error",
    [errors.ReadTimeoutError("slow"), errors.TimeoutError("slow"), errors.ConnectTimeoutError("x")],
)
async def test_a_timeout_cuts_the_limit(error: errors.ContactGroupsError) -> None:
    clock = FakeClock()
    gov = governor(clock, initial=20, backoff=0.5)
    slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    with pytest.raises(type(error)), slot:
        raise error
    assert gov.limit == 10.0
    assert gov.in_flight == 0


@pytest.mark.parametrize(
    "error",
    [
        errors.TransportError("connection lost", provider="v"),
        errors.MalformedResponseError("answer too large", status=200, provider="v"),
    ],
)
async def test_a_failure_without_an_answer_neither_cuts_nor_grows(
    error: errors.ContactGroupsError,
) -> None:
    clock = FakeClock()
    gov = governor(clock, initial=4)
    for _ in range(20):
        slots = [await gov.admit(budget(clock), "vendor", pause_cap=60.0) for _ in range(4)]
        clock.now += 0.02
        for slot in slots:
            with pytest.raises(type(error)), slot:
                raise error
    assert gov.limit == 4.0
    assert gov.in_flight == 0


async def test_a_burst_of_429s_from_calls_already_in_flight_cuts_once() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=16, backoff=0.5)
    slots = [await gov.admit(budget(clock), "vendor", pause_cap=60.0) for _ in range(16)]
    clock.now += 0.02
    for slot in slots:
        with slot:
            slot.answered(429, {})
    assert gov.limit == 8.0  # not 16 * 0.5 ** 16
    assert gov.overloads == 16
    await one_call(gov, clock, took=0.02, status=429)  # started after the cut: cuts again
    assert gov.limit == 4.0


async def test_after_a_cut_the_limit_climbs_back_slowly_then_past_it() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=40, backoff=0.5, max_concurrency=1000)
    await one_call(gov, clock, took=0.02, status=429)
    assert gov.limit == 20.0
    limits = []
    for _ in range(150):  # 150 round trips of 20 ms: 3 s
        await round_trip(gov, clock)
        limits.append(gov.limit)
    # cubic: no jump back to 40 (slow start would be there within two round trips), ...
    assert limits[10] < 30
    # ... a plateau near the limit where the 429 came, ...
    k = (40 * 0.5 / 0.4) ** (1 / 3)  # seconds to get back to it: 3.68
    assert max(limits) < 40
    for _ in range(int((k + 2) / 0.02)):
        await round_trip(gov, clock)
    # ... and past it once nothing more happens there
    assert gov.limit > 40


async def test_the_cut_never_goes_below_min_concurrency() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=4, min_concurrency=2, backoff=0.1)
    for _ in range(5):
        await one_call(gov, clock, took=0.02, status=429)
    assert gov.limit == 2.0


# -- the pause ---------------------------------------------------------------------------------


async def test_a_429_with_retry_after_pauses_every_call_of_the_account() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=4)
    slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    with slot:
        slot.answered(429, {"Retry-After": "3"})
    assert gov.pause_left(clock.now) == 3.0
    started = clock.now
    # the next call, governed or not, starts only when the pause is over
    ungoverned = AccountGovernor(clock=clock, sleep=clock.sleep)
    ungoverned.pause(3.0, clock.now)
    for gate in (gov, ungoverned):
        clock.now = started
        clock.slept.clear()
        slot = await gate.admit(budget(clock, 60.0), "vendor", pause_cap=60.0)
        slot.release()
        assert clock.now - started == 3.0
        assert clock.slept == [3.0]


async def test_a_pause_only_ever_lengthens() -> None:
    clock = FakeClock()
    gov = governor(clock)
    gov.pause(5.0, clock.now)
    gov.pause(1.0, clock.now)
    assert gov.pause_left(clock.now) == 5.0


async def test_a_retry_after_above_the_cap_pauses_nothing() -> None:
    # the SDK waits no longer on its own: the error's retry_after is the caller's to schedule
    clock = FakeClock()
    gov = governor(clock)
    slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    with slot:
        slot.answered(429, {"Retry-After": "120"})
    assert gov.pause_left(clock.now) == 0.0
    assert gov.overloads == 1


async def test_a_call_whose_budget_ends_during_the_pause_fails_at_once_with_a_timeout() -> None:
    clock = FakeClock()
    gov = governor(clock)
    gov.pause(10.0, clock.now)
    with pytest.raises(errors.TimeoutError, match="pause") as caught:
        await gov.admit(budget(clock, 5.0), "vendor", pause_cap=60.0)
    assert caught.value.never_sent
    assert clock.slept == []  # it never waited past its budget
    assert gov.in_flight == 0


async def test_a_call_past_the_callers_deadline_fails_at_once_too() -> None:
    clock = FakeClock()
    gov = governor(clock)
    gov.pause(10.0, clock.now)
    with anyio.fail_after(1.0), pytest.raises(errors.TimeoutError):
        await gov.admit(budget(clock), "vendor", pause_cap=60.0)
    assert gov.in_flight == 0


# -- the ceilings ------------------------------------------------------------------------------


async def test_rate_spaces_the_starts() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=50, rate=10.0)
    slots = [await gov.admit(budget(clock), "vendor", pause_cap=60.0) for _ in range(5)]
    for slot in slots:
        slot.release()
    assert clock.slept == pytest.approx([0.1, 0.1, 0.1, 0.1])


async def test_calls_past_the_limit_queue_and_start_in_order_as_slots_free() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=2)
    first = [await gov.admit(budget(clock), "vendor", pause_cap=60.0) for _ in range(2)]
    order: list[int] = []

    async def queued(n: int) -> None:
        slot = await gov.admit(budget(clock), "vendor", pause_cap=60.0)
        order.append(n)
        slot.release()

    async with anyio.create_task_group() as group:
        for n in range(3):
            group.start_soon(queued, n)
        await anyio.wait_all_tasks_blocked()
        assert order == []  # all three wait: both slots are taken
        assert gov.waiting() == 3
        for slot in first:
            slot.release()
    assert order == [0, 1, 2]
    assert gov.in_flight == 0


async def test_a_call_queued_past_its_budget_fails_with_a_timeout() -> None:
    gov = AccountGovernor(GovernorPolicy(initial=1))
    held = await gov.admit(CallBudget(None), "vendor", pause_cap=60.0)
    with pytest.raises(errors.TimeoutError, match="free slot"):
        await gov.admit(CallBudget(0.01), "vendor", pause_cap=60.0)
    held.release()
    assert gov.in_flight == 0
    assert gov.waiting() == 0


# -- seeding and settings -------------------------------------------------------------------------


def test_multi_seeds_the_start_only_of_a_governor_that_has_none() -> None:
    clock = FakeClock()
    fresh = AccountGovernor(clock=clock)
    fresh.seed(16)
    assert fresh.capacity == 16
    fresh.seed(4)  # a second job keeps what the first one set (or learnt)
    assert fresh.capacity == 16
    given = governor(clock, initial=3)
    given.seed(16)
    assert given.capacity == 3


def test_only_a_client_with_a_policy_governs_single_calls() -> None:
    assert AccountGovernor(GovernorPolicy()).gates()
    plain = AccountGovernor()
    assert not plain.gates()
    with plain.adaptive(16) as ceiling:
        assert plain.gates()
        assert ceiling == 64
        assert not AccountGovernor().gates()  # another account's calls are not governed here
    assert not plain.gates()


@pytest.mark.parametrize(
    "bad",
    [
        {"max_concurrency": 0},
        {"min_concurrency": 5, "max_concurrency": 4},
        {"initial": 0},
        {"rate": 0},
        {"rate": math.inf},
        {"backoff": 1.0},
        {"latency_tolerance": 1.0},
    ],
)
def test_bad_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(errors.InvalidRequestError):
        GovernorPolicy(**bad)  # type: ignore[arg-type]


def test_a_governor_must_be_a_policy() -> None:
    with pytest.raises(errors.InvalidRequestError, match="GovernorPolicy"):
        AccountGovernor(8)  # type: ignore[arg-type]


def test_a_slot_reports_once() -> None:
    clock = FakeClock()
    gov = governor(clock, initial=4, backoff=0.5)
    slot = Slot(gov, gated=False, pause_cap=60.0)
    slot.answered(429, {})
    slot.answered(429, {})
    assert gov.overloads == 1
