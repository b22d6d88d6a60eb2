"""Every slot comes back: 10,000 governed requests meeting random faults (answers, 429s with and
without a pause, timeouts, other errors, exceptions of any kind, cancellation while queued, while
paused and while in flight) leave no slot taken and no waiter queued, and never more in flight
than the limit allowed. Then the same through the transport, against a hostile server."""

from __future__ import annotations

import contextlib
import random

import anyio
import pytest
from aiohttp import web

from contactgroups import GovernorPolicy, errors
from contactgroups._http import NO_AUTH, RetryPolicy, Timeout, Transport
from contactgroups._http.governor import AccountGovernor
from contactgroups._http.timeouts import CallBudget
from contactgroups.testing import FakeServer


class FakeClock:
    """A clock that moves only when told to, and a sleep that moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await anyio.lowlevel.checkpoint()


FAULTS = ("ok", "429", "429-pause", "503", "500", "timeout", "error", "crash", "cancel")


async def test_ten_thousand_random_faults_leak_no_slot() -> None:
    rng = random.Random(16)
    clock = FakeClock()
    gov = AccountGovernor(
        GovernorPolicy(initial=8, max_concurrency=32), clock=clock, sleep=clock.sleep
    )
    peak = 0
    queued: list[anyio.CancelScope] = []
    outcomes = {fault: 0 for fault in FAULTS}

    async def request(fault: str, budget_seconds: float | None) -> None:
        nonlocal peak
        outcomes[fault] += 1
        with anyio.CancelScope() as scope:
            if fault == "cancel" and rng.random() < 0.3:
                scope.cancel()  # cancelled before it asks
            elif fault == "cancel":
                queued.append(scope)  # cancelled by another task while queued, maybe granted
            try:
                slot = await gov.admit(CallBudget(budget_seconds), "vendor", pause_cap=0.5)
            except errors.TimeoutError:
                return  # its budget ended in the pause: nothing taken
            finally:
                if scope in queued:
                    queued.remove(scope)
            peak = max(peak, gov.in_flight)
            try:
                with slot:
                    await anyio.lowlevel.checkpoint()
                    clock.now += rng.random() * 0.05
                    if queued and rng.random() < 0.5:
                        # cancelled in the same step as the release that hands it this slot
                        queued[0].cancel()  # the oldest: likely first in line
                    if fault == "cancel":
                        scope.cancel()
                        await anyio.lowlevel.checkpoint()  # cancelled in flight
                    elif fault == "ok":
                        slot.answered(200, {})
                    elif fault == "429":
                        slot.answered(429, {})
                    elif fault == "429-pause":
                        slot.answered(429, {"Retry-After": f"{rng.random() * 0.4:.3f}"})
                    elif fault in ("503", "500"):
                        slot.answered(int(fault), {})
                    elif fault == "timeout":
                        raise errors.ReadTimeoutError("slow", provider="vendor")
                    elif fault == "error":
                        raise errors.TransportError("lost", provider="vendor")
                    else:
                        raise KeyError("a bug in the caller")
            except (errors.ContactGroupsError, KeyError):
                pass

    async with anyio.create_task_group() as group:
        for n in range(10_000):
            fault = rng.choice(FAULTS)
            budget_seconds = rng.choice((None, None, 0.0001, 30.0))
            group.start_soon(request, fault, budget_seconds)
            if n % 50 == 0:
                await anyio.lowlevel.checkpoint()  # let some run while more arrive
                for scope in rng.sample(queued, min(len(queued), 5)):
                    scope.cancel()
    assert gov.in_flight == 0
    assert gov.waiting() == 0
    assert sum(outcomes.values()) == 10_000
    assert min(outcomes.values()) > 900  # every kind of fault happened, many times
    assert 1 < peak <= 32  # the limit was used, and its ceiling held


class Hostile(FakeServer):
    """Answers at random: 200, 429 with a short Retry-After, 503, a stall, a dropped
    connection."""

    def __init__(self, seed: int) -> None:
        super().__init__(record=False)
        self.rng = random.Random(seed)
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        pick = self.rng.random()
        if pick < 0.5:
            return web.json_response({"ok": True})
        if pick < 0.6:
            return web.json_response({}, status=429, headers={"Retry-After": "0.01"})
        if pick < 0.7:
            return web.json_response({}, status=503)
        if pick < 0.8:
            await anyio.sleep(0.3)  # past the read limit
            return web.json_response({"ok": True})
        if pick < 0.9 and request.transport is not None:
            request.transport.abort()
        return web.json_response({}, status=404)


@pytest.mark.parametrize("governed", ["client policy", "multi's adaptive block"])
async def test_calls_through_the_transport_return_every_slot(governed: str) -> None:
    rng = random.Random(7)
    async with Hostile(seed=3) as server:
        policy = (
            GovernorPolicy(initial=4, max_concurrency=8) if governed == "client policy" else None
        )
        transport = Transport(
            provider="vendor",
            base_url=server.url,
            auth=NO_AUTH,
            timeout=Timeout(total=0.1, call=0.5),
            retry=RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.01),
            governor=AccountGovernor(policy),
        )
        gov = transport.governor
        peak = 0

        async def call(n: int) -> None:
            nonlocal peak
            with anyio.move_on_after(rng.choice((0.01, 0.05, 10.0))):  # some are cancelled
                with contextlib.suppress(errors.ContactGroupsError):
                    await transport.request("GET", ["x", n], idempotent=True)
            peak = max(peak, gov.in_flight)

        try:
            with gov.adaptive(4) if policy is None else contextlib.nullcontext():
                async with anyio.create_task_group() as group:
                    for n in range(300):
                        group.start_soon(call, n)
        finally:
            await transport.aclose()
        assert gov.in_flight == 0
        assert gov.waiting() == 0
        assert gov.overloads > 0  # the 429s, 503s and stalls were seen
        assert peak <= gov.policy.max_concurrency


async def test_a_waiter_cancelled_as_its_slot_is_handed_to_it_passes_the_slot_on() -> None:
    gov = AccountGovernor(GovernorPolicy(initial=1))
    held = await gov.admit(CallBudget(None), "vendor", pause_cap=1.0)
    got: list[str] = []

    async def wait(name: str, scope: anyio.CancelScope) -> None:
        with scope:
            slot = await gov.admit(CallBudget(None), "vendor", pause_cap=1.0)
            got.append(name)
            slot.release()

    first, second = anyio.CancelScope(), anyio.CancelScope()
    async with anyio.create_task_group() as group:
        group.start_soon(wait, "first", first)
        group.start_soon(wait, "second", second)
        await anyio.wait_all_tasks_blocked()
        assert gov.waiting() == 2
        first.cancel()  # in the same step as the release that hands "first" the slot
        held.release()
    assert got == ["second"]  # the slot went on to the next in line
    assert gov.in_flight == 0
    assert gov.waiting() == 0
