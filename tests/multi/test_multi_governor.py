"""``multi`` and the governor: ``concurrency="adaptive"`` (the default) lets the account's governor
decide how many calls go at once, starting at the adapter's ``default_concurrency``, within
``max_concurrency``; a number fixes it as before; an adapter without a governor runs its
``default_concurrency``. Counted at a fake that holds every request until told to answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import anyio
import pytest
from aiohttp import web

from contactgroups import errors, multi
from contactgroups.membership import AdaptiveConcurrency, BatchResult
from contactgroups.multi import JobOptions, Outcome, Target
from contactgroups.testing import Faults
from contactgroups.testing.messente import MessenteFake

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Gate:
    """A middleware holding every POST until ``open`` is set; counts those it holds."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.held = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST":
            self.held += 1
            await self.open.wait()
        return await handler(request)


async def first_wave(
    fake: MessenteFake, gate: Gate, client: Any, expected: int, **options: Any
) -> int:
    """Start a 60-phone job, count the calls that reach the fake before any is answered, then
    let the job finish (every phone added)."""
    group = fake.seed_group()
    phones = fake.seed_contacts(60)
    job = asyncio.create_task(multi.add([Target(client, group, phones)], verify=False, **options))
    for _ in range(200):  # until the expected calls have crossed the loopback
        await anyio.wait_all_tasks_blocked()
        if gate.held >= expected:
            break
        await asyncio.sleep(0.01)
    for _ in range(5):  # and a little longer, for any call past them to arrive too
        await asyncio.sleep(0.01)
        await anyio.wait_all_tasks_blocked()
    wave = gate.held
    gate.open.set()
    report = await job
    assert {report.outcome(0, p) for p in phones} == {Outcome.ADDED}
    return wave


@pytest.mark.parametrize(
    ("client_options", "job_options", "expected"),
    [
        ({"membership_concurrency": 3}, {}, 3),  # adaptive by default: starts at the default
        ({"membership_concurrency": 3}, {"concurrency": "adaptive"}, 3),
        ({}, {}, 16),  # Messente's default
        ({}, {"concurrency": 5}, 5),  # a number fixes it, as before
        ({}, {"concurrency": {"messente": 7}}, 7),
        ({}, {"max_concurrency": 4}, 4),  # the ceiling
        ({}, {"max_concurrency": {"messente": 2}}, 2),
    ],
)
async def test_the_first_wave_of_calls(
    client_options: dict[str, Any], job_options: dict[str, Any], expected: int
) -> None:
    gate = Gate()
    fake = MessenteFake()
    fake.app.middlewares.append(gate.middleware)
    async with fake, fake.client(**client_options) as client:
        assert await first_wave(fake, gate, client, expected, **job_options) == expected


async def test_an_adaptive_job_grows_the_limit_while_the_vendor_keeps_up() -> None:
    fake = MessenteFake(faults=Faults(latency=0.05))  # 50 ms a call, whatever the load
    async with fake, fake.client(membership_concurrency=2) as client:
        group = fake.seed_group()
        phones = fake.seed_contacts(200)
        report = await multi.add([Target(client, group, phones)], verify=False)
        assert report.ok
        governor = client._transport.governor
        assert governor.limit > 8  # from 2 (the client's default, never seeded, would be 8)
        assert governor.in_flight == 0


async def test_a_fixed_job_takes_no_slot_of_the_governor() -> None:
    fake = MessenteFake()
    async with fake, fake.client(membership_concurrency=2) as client:
        group = fake.seed_group()
        report = await multi.add(
            [Target(client, group, fake.seed_contacts(50))], verify=False, concurrency=4
        )
        assert report.ok
        assert client._transport.governor.limit == 8.0  # untouched: never seeded, never grown


class Plain:
    """An adapter of the caller's own, with no governor: it counts its calls in flight."""

    provider = "plain"
    max_add_per_call = 1
    max_remove_per_call = 1
    default_concurrency = 3

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        self.now += 1
        self.peak = max(self.peak, self.now)
        await asyncio.sleep(0.001)
        self.now -= 1
        return BatchResult.all_done(ids)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_done(ids)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        for _ in ():
            yield ""


class PlainClient:
    def __init__(self) -> None:
        self.membership = Plain()


async def test_an_adapter_without_a_governor_runs_its_default_concurrency() -> None:
    client = PlainClient()
    assert not isinstance(client.membership, AdaptiveConcurrency)
    report = await multi.add([Target(client, "g", [str(n) for n in range(50)])], verify=False)
    assert report.ok
    assert client.membership.peak == 3


def test_concurrency_is_a_number_or_adaptive() -> None:
    with pytest.raises(errors.InvalidRequestError, match="adaptive"):
        JobOptions(concurrency="fast")  # type: ignore[arg-type]  # refused when built
    assert JobOptions().fixed_concurrency("messente") is None
    assert JobOptions(concurrency=None).fixed_concurrency("messente") is None
    assert JobOptions(concurrency={"messente": 5}).fixed_concurrency("messagebird") is None
    assert JobOptions(concurrency=5).concurrency_for("messente", 16) == 5
    assert JobOptions().concurrency_for("messente", 16) == 16
    assert JobOptions().max_concurrency_for("messente") == 64
