"""A number given as ``timeout=`` bounds the whole call (attempts, backoff, ``Retry-After``
waits, token fetches); no wait is started that would end past that budget or the caller's own
deadline: the last definite error is raised instead."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from aiohttp import web

from contactgroups import errors, messagebird, messengeo
from contactgroups._http import HeaderAuth, RetryPolicy, Timeout, Transport, as_timeout
from contactgroups.testing import FakeServer

NO_JITTER = RetryPolicy(jitter=0)  # 0.25 s, then 0.5 s, then 1 s
Behaviour = Callable[[web.Request, int], Awaitable[web.StreamResponse]]


class Vendor(FakeServer):
    """Runs ``behaviour(request, n)`` for the n-th request (from 1), on every path."""

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__()
        self.behaviour = behaviour
        self.count = 0
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.count += 1
        return await self.behaviour(request, self.count)


def answer(status: int, delay: float = 0.0, **headers: str) -> Behaviour:
    async def behave(request: web.Request, n: int) -> web.StreamResponse:
        await asyncio.sleep(delay)
        return web.json_response({"message": f"answer {n}"}, status=status, headers=headers)

    return behave


def transport(url: str, **kwargs: Any) -> Transport:
    return Transport(provider="v", base_url=url, auth=HeaderAuth({}, secrets=()), **kwargs)


async def get(t: Transport, **kwargs: Any) -> Any:
    try:
        return await t.request("GET", ("g",), idempotent=True, **kwargs)
    finally:
        await t.aclose()


# -- the call's own budget ------------------------------------------------------------------------


async def get_group(url: str, where: str) -> None:
    """A read with ``timeout=1`` given on the client, on a ``with_options`` view, or on the call."""
    if where == "call":
        await get(transport(url, retry=NO_JITTER), timeout=1)
        return
    timeout = 1 if where == "client" else 60
    async with messagebird.Client(
        access_key="k", base_url=url, retry=NO_JITTER, timeout=timeout
    ) as client:
        view = client.with_options(timeout=1) if where == "view" else client
        await view.groups.get("g")


@pytest.mark.parametrize("where", ["client", "view", "call"])
async def test_timeout_bounds_the_whole_call_of_slow_503s(where: str) -> None:
    async with Vendor(answer(503, delay=0.3)) as vendor:
        started = time.monotonic()
        with pytest.raises(errors.ServerError) as info:
            await get_group(vendor.url, where)
        elapsed = time.monotonic() - started
    # 0.3 s answer, 0.25 s wait, 0.3 s answer: the next 0.5 s wait and answer would end past 1 s
    # (before the budget: 4 attempts and 1.75 s of backoff, about 3 s)
    assert vendor.count in (1, 2)  # 1 only on a machine so slow that the first answer took 0.45 s
    last = f"answer {vendor.count}"
    assert info.value.status == 503 and last in (info.value.body or "")  # the last answer
    assert elapsed < 3


async def test_with_jittered_backoff_the_call_still_ends_within_its_budget() -> None:
    async with Vendor(answer(503, delay=0.3)) as vendor:
        started = time.monotonic()
        # a ServerError, or a TimeoutError if a last attempt was cut short by the budget
        with pytest.raises((errors.ServerError, errors.TimeoutError)):
            await get(transport(vendor.url, timeout=1))
        elapsed = time.monotonic() - started
    assert vendor.count <= 3
    assert elapsed < 3


async def test_an_attempt_gets_no_more_than_what_remains_of_the_budget() -> None:
    async with Vendor(answer(200, delay=10)) as vendor:
        started = time.monotonic()
        with pytest.raises(errors.TimeoutError):
            await get(transport(vendor.url, timeout=Timeout(call=1, total=30)))
        elapsed = time.monotonic() - started
    assert vendor.count == 1
    assert elapsed < 3  # the attempt's own 30 s did not count: the call's 1 s did


async def test_a_plain_number_is_one_budget_not_one_per_attempt() -> None:
    async with Vendor(answer(200, delay=10)) as vendor:
        started = time.monotonic()
        with pytest.raises(errors.TimeoutError):
            await get(transport(vendor.url, timeout=1))  # was 4 attempts of 1 s and backoff
        elapsed = time.monotonic() - started
    assert vendor.count == 1 and elapsed < 3


async def test_many_quick_retries_stop_at_the_budget() -> None:
    policy = RetryPolicy(max_attempts=1000, backoff_base=0.05, backoff_max=0.05, jitter=0)
    async with Vendor(answer(503)) as vendor:
        started = time.monotonic()
        with anyio.fail_after(10), pytest.raises(errors.ServerError):
            await get(transport(vendor.url, timeout=1, retry=policy))
        elapsed = time.monotonic() - started
    assert 2 <= vendor.count < 100
    assert elapsed < 3


async def test_a_429_asking_for_more_than_the_budget_is_raised_at_once() -> None:
    async with Vendor(answer(429, **{"Retry-After": "5"})) as vendor:
        started = time.monotonic()
        with anyio.fail_after(10), pytest.raises(errors.RateLimitError) as info:
            await get(transport(vendor.url, timeout=1))
        elapsed = time.monotonic() - started
    assert info.value.retry_after == 5
    assert info.value.maybe_landed is False
    assert vendor.count == 1 and elapsed < 1


# -- the caller's deadline ------------------------------------------------------------------------


async def test_a_429_inside_fail_after_is_a_rate_limit_error_not_a_cancellation() -> None:
    async with Vendor(answer(429, **{"Retry-After": "5"})) as vendor:
        started = time.monotonic()
        with pytest.raises(errors.RateLimitError) as info, anyio.fail_after(1):
            await get(transport(vendor.url))  # the default budget is 60 s: the caller's 1 s counts
        elapsed = time.monotonic() - started
    assert info.value.retry_after == 5 and info.value.maybe_landed is False
    assert vendor.count == 1 and elapsed < 1


async def test_a_backoff_past_a_move_on_after_deadline_raises_instead_of_vanishing() -> None:
    policy = RetryPolicy(backoff_base=2, jitter=0)
    async with Vendor(answer(503)) as vendor:
        with pytest.raises(errors.ServerError), anyio.move_on_after(1):
            await get(transport(vendor.url, retry=policy))
    assert vendor.count == 1


async def test_maybe_landed_stays_what_the_attempts_made_it() -> None:
    async def first_slow_then_429(request: web.Request, n: int) -> web.StreamResponse:
        if n == 1:
            await asyncio.sleep(2)
        return web.json_response({}, status=429, headers={"Retry-After": "5"})

    async with Vendor(first_slow_then_429) as vendor:
        t = transport(vendor.url, timeout=Timeout(call=3, total=0.3), retry=NO_JITTER)
        with pytest.raises(errors.RateLimitError) as info:
            await t.request("PUT", ("g",), idempotent=True)
        await t.aclose()
    assert vendor.count == 2
    assert info.value.maybe_landed is True  # the timed-out first attempt may have been applied


# -- credentials ----------------------------------------------------------------------------------


async def test_a_slow_auth_hook_is_bounded_by_the_budget_and_sends_nothing() -> None:
    class SlowAuth(HeaderAuth):
        async def headers(self) -> dict[str, str]:
            await asyncio.sleep(10)
            return {}

    async with Vendor(answer(200)) as vendor:
        t = Transport(provider="v", base_url=vendor.url, auth=SlowAuth({}, secrets=()), timeout=0.5)
        started = time.monotonic()
        with pytest.raises(errors.TimeoutError) as info:
            await get(t)
        elapsed = time.monotonic() - started
    assert info.value.never_sent is True and info.value.maybe_landed is False
    assert "budget" in str(info.value)
    assert vendor.count == 0 and elapsed < 3


async def test_a_messengeo_token_fetch_is_bounded_by_the_calls_budget() -> None:
    async def token_hangs_once(request: web.Request, n: int) -> web.StreamResponse:
        if request.path == "/token":
            if n == 1:
                await asyncio.sleep(3)  # longer than the first call's budget
            return web.json_response({"access_token": "t0k", "expires_in": 3600})
        return web.json_response({"list": [], "size": 0, "total": 0})

    async with (
        Vendor(token_hangs_once) as vendor,
        messengeo.Client(
            client_id="id",
            client_secret="secret",
            base_url=vendor.url,
            token_url=vendor.url + "/token",
        ) as client,
    ):
        started = time.monotonic()
        with anyio.fail_after(10), pytest.raises(errors.TimeoutError) as info:
            await client.with_options(timeout=1).lists.list()
        elapsed = time.monotonic() - started
        assert info.value.never_sent is True
        assert elapsed < 3
        # the next call waits for the same shared fetch (the first caller's budget ended its
        # wait, not the fetch) and goes through with the token it brings: no second token request
        await client.lists.list()
    assert vendor.count == 2


# -- what a timeout means -------------------------------------------------------------------------


def test_a_number_bounds_the_call_and_each_attempt() -> None:
    assert as_timeout(5) == Timeout(call=5, total=5, connect=5, read=None)
    assert as_timeout(30) == Timeout(call=30, total=30, connect=10)
    assert as_timeout(2, Timeout(read=1)).read == 1
    assert as_timeout(None) == Timeout(call=None, total=None, connect=None, read=None)


def test_the_defaults() -> None:
    assert Timeout() == Timeout(call=60, total=30, connect=10, read=None)
    assert Timeout(total=0.5).call == 60  # per-attempt limits keep the default budget
    assert Timeout(total=120).call == 120  # room for at least the one attempt asked for
    assert Timeout(total=None, connect=None).call is None


@pytest.mark.parametrize("bad", [0, -1, math.inf, math.nan, True, "5"])
def test_bad_budgets_are_refused(bad: Any) -> None:
    with pytest.raises(errors.InvalidRequestError, match="call"):
        Timeout(call=bad)
    with pytest.raises(errors.InvalidRequestError, match="timeout"):
        as_timeout(bad)


def test_an_attempt_is_cut_to_what_remains() -> None:
    limits = Timeout(call=60, total=30, connect=10)
    assert limits.for_attempt(None) is limits
    assert limits.for_attempt(45) is limits
    assert limits.for_attempt(2.5) == Timeout(call=60, total=2.5, connect=10)
    assert Timeout(total=None).for_attempt(3).total == 3
