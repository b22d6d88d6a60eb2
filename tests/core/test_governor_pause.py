"""The governor on the fakes: a 429 with ``Retry-After`` from one call pauses the client's other
calls (single calls, a ``with_options`` view, bulk workers), counted at the fake; a call whose
budget ends in the pause fails at once; single calls are limited only when the client opts in.

No timed assertions: the tests wait until every task is blocked, then count what reached the
fake while the governor still says the account is paused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import anyio
import pytest
from aiohttp import web

from contactgroups import GovernorPolicy, errors, multi
from contactgroups._http import RetryPolicy
from contactgroups.messente import Client as MessenteClient
from contactgroups.multi import Outcome, Target
from contactgroups.testing.messente import MessenteFake

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PAUSE = 2.0  # what the fake asks for: far longer than the tests need to count


def refuse_first(fake: MessenteFake, method: str) -> asyncio.Event:
    """The fake's first ``method`` request is answered 429 + ``Retry-After: PAUSE``; the event
    is set when that answer goes out."""
    refused = asyncio.Event()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == method and not refused.is_set():
            refused.set()
            return web.json_response(
                {"errors": [{"title": "Too many requests"}]},
                status=429,
                headers={"Retry-After": f"{PAUSE:g}"},
            )
        return await handler(request)

    fake.app.middlewares.append(middleware)
    return refused


async def paused(client: MessenteClient) -> float:
    """Once the 429 has been read: seconds the client's account stays paused."""
    governor = client._transport.governor
    for _ in range(1000):  # until the client has read the answer
        if governor.pause_left(time.monotonic()) > 0:
            break
        await asyncio.sleep(0.001)
    left = governor.pause_left(time.monotonic())
    assert left > 0, "the 429 with Retry-After did not pause the account"
    return left


async def test_a_429_with_retry_after_pauses_every_other_call_of_the_client() -> None:
    fake = MessenteFake()
    refused = refuse_first(fake, "POST")
    async with fake, fake.client(retry=RetryPolicy(max_attempts=2)) as client:
        group = fake.seed_group()
        phones = fake.seed_contacts(6)
        first = asyncio.create_task(client.groups.add_contact(group, phones[0]))
        await refused.wait()
        await paused(client)
        sent = len(fake.requests)
        view = client.with_options(timeout=30)  # a view shares the account's pause
        others = [
            *(asyncio.create_task(client.groups.add_contact(group, p)) for p in phones[1:4]),
            asyncio.create_task(client.groups.get(group)),  # a read too, another resource
            asyncio.create_task(view.groups.add_contact(group, phones[4])),
        ]
        await anyio.wait_all_tasks_blocked()  # each call is as far as it can get
        assert client._transport.governor.pause_left(time.monotonic()) > 0
        assert len(fake.requests) == sent  # none reached the vendor during the pause
        await asyncio.gather(first, *others)
        assert len(fake.requests) == sent + 1 + len(others)  # then each went once
        assert fake.member_ids(group) == set(phones[:5])


async def test_a_call_whose_budget_ends_in_the_pause_fails_at_once_and_sends_nothing() -> None:
    fake = MessenteFake()
    refused = refuse_first(fake, "POST")
    async with fake, fake.client(retry=None) as client:
        group = fake.seed_group()
        phones = fake.seed_contacts(2)
        with pytest.raises(errors.RateLimitError):
            await client.groups.add_contact(group, phones[0])
        assert refused.is_set()
        left = await paused(client)
        sent = len(fake.requests)
        with pytest.raises(errors.TimeoutError, match="pause") as caught:
            await client.with_options(timeout=left / 2).groups.add_contact(group, phones[1])
        assert caught.value.never_sent
        assert len(fake.requests) == sent
        # and it did not sit out the pause: the account is still paused
        assert client._transport.governor.pause_left(time.monotonic()) > 0


async def test_a_429_in_a_bulk_job_pauses_the_jobs_other_workers() -> None:
    fake = MessenteFake()
    refused = refuse_first(fake, "POST")
    async with fake, fake.client(retry=RetryPolicy(max_attempts=2)) as client:
        group = fake.seed_group()
        phones = fake.seed_contacts(40)
        job = asyncio.create_task(multi.add([Target(client, group, phones)], verify=False))
        await refused.wait()
        await paused(client)
        sent = len(fake.requests)
        await anyio.wait_all_tasks_blocked()
        assert client._transport.governor.pause_left(time.monotonic()) > 0
        # the calls already in flight when the 429 came may land; none starts after it
        in_flight = len(fake.requests) - sent
        assert in_flight < 16
        report = await job
        assert {report.outcome(0, p) for p in phones} == {Outcome.ADDED}
        assert client._transport.governor.overloads >= 1


async def test_single_calls_are_limited_only_when_the_client_opts_in() -> None:
    peak = 0
    now = 0

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal peak, now
        now += 1
        peak = max(peak, now)
        try:
            await asyncio.sleep(0.05)
            return await handler(request)
        finally:
            now -= 1

    for policy, most in ((None, 30), (GovernorPolicy(initial=3, max_concurrency=3), 3)):
        fake = MessenteFake()
        fake.app.middlewares.append(count)
        peak = 0
        async with fake, fake.client(governor=policy) as client:
            group = fake.seed_group()
            await asyncio.gather(*(client.groups.get(group) for _ in range(30)))
        assert peak == most
