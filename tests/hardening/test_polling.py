"""A long-running ``202`` is polled at most once a second, whatever ``Retry-After`` says, and
never past the call's budget, the caller's deadline or the vendor's ``Expires``."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import anyio
import pytest
from aiohttp import web

from contactgroups import errors
from contactgroups._http import HeaderAuth, RetryPolicy, Transport
from contactgroups._http.retry import POLL_FLOOR, poll_delay
from contactgroups.testing import FakeServer

PAST = email.utils.formatdate(time.time() - 3600, usegmt=True)


class StillRunning(FakeServer):
    """Answers every request ``202 Accepted`` with the given headers, noting when it came."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__()
        self.headers = headers
        self.times: list[float] = []
        self.app.router.add_get("/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        self.times.append(time.monotonic())
        return web.json_response({"data": []}, status=202, headers=self.headers)


def transport(url: str, **kwargs: Any) -> Transport:
    return Transport(provider="slowvendor", base_url=url, auth=HeaderAuth({}, secrets=()), **kwargs)


async def poll(server: StillRunning, **kwargs: Any) -> float:
    t = transport(server.url, **kwargs)
    started = time.monotonic()
    try:
        with pytest.raises(errors.TimeoutError, match="within"):
            await t.request("GET", ("count",), idempotent=True, long_running=True)
    finally:
        await t.aclose()
    return time.monotonic() - started


@pytest.mark.parametrize(
    "retry_after",
    ["0", "-5", PAST, "garbage", "nan", "0.001"],
    ids=["zero", "negative", "past-date", "garbage", "nan", "a-millisecond"],
)
async def test_a_202_is_polled_at_most_once_a_second(retry_after: str) -> None:
    budget = 1.5
    async with StillRunning({"Retry-After": retry_after}) as server:
        elapsed = await poll(server, timeout=budget)
    assert 1 <= len(server.times) <= int(budget) + 1  # not ~2,300 a second
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert all(gap >= 0.95 * POLL_FLOOR for gap in gaps)
    assert elapsed < budget  # the wait that would pass the budget was never started


async def test_a_202_without_retry_after_waits_the_floor_too() -> None:
    async with StillRunning({}) as server:
        await poll(server, timeout=1.5)
    assert len(server.times) == 2


async def test_a_retry_after_longer_than_the_budget_ends_the_call_at_once() -> None:
    async with StillRunning({"Retry-After": "30"}) as server:
        elapsed = await poll(server, timeout=2)
    assert len(server.times) == 1
    assert elapsed < 2  # it did not sleep 30 s, nor until the budget ran out


async def test_polling_stops_before_the_callers_deadline_with_a_typed_error() -> None:
    async with StillRunning({"Retry-After": "0"}) as server:
        t = transport(server.url, timeout=None)  # no budget of its own: the caller's counts
        try:
            with anyio.fail_after(1.5), pytest.raises(errors.TimeoutError) as info:
                await t.request("GET", ("count",), idempotent=True, long_running=True)
        finally:
            await t.aclose()
    assert "caller's deadline" in str(info.value)
    assert len(server.times) == 2


async def test_expires_is_honoured_with_the_floor() -> None:
    soon = email.utils.formatdate(time.time() + 1.5, usegmt=True)
    async with StillRunning({"Retry-After": "0", "Expires": soon}) as server:
        t = transport(server.url, timeout=10)
        try:
            with pytest.raises(errors.TimeoutError, match="Expires"):
                await t.request("GET", ("count",), idempotent=True, long_running=True)
        finally:
            await t.aclose()
    assert 1 <= len(server.times) <= 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, 1.0), ("0", 1.0), ("-5", 1.0), pytest.param(PAST, 1.0, id="past-date"),
     ("soon", 1.0), ("nan", 1.0), ("2.5", 2.5), ("600", 60.0), ("inf", 1.0), ("1_0", 1.0),
     ("\u0661", 1.0), ("9" * 400, 60.0)],
)  # fmt: skip
def test_poll_delay(header: str | None, expected: float) -> None:
    headers = {} if header is None else {"Retry-After": header}
    assert poll_delay(RetryPolicy(), headers) == expected
    assert poll_delay(None, headers) == expected
    # a policy that honours no Retry-After at all still waits the floor
    assert poll_delay(RetryPolicy(retry_after_max=0), headers) == POLL_FLOOR


@pytest.mark.parametrize("interval", [0, 0.5, -1, float("nan")])
async def test_messengeo_import_polling_has_the_same_floor(interval: float) -> None:
    """``wait_for_import`` polls a list the vendor may keep "on" for ever: never faster than once
    a second, so a zero interval cannot turn it into a hot loop against the vendor."""
    from contactgroups import messengeo

    client = messengeo.Client(client_id="id", client_secret="secret")
    with pytest.raises(errors.InvalidRequestError, match="at least 1s"):
        await client.lists.wait_for_import("2671", poll_interval=interval, timeout=5)
    await client.aclose()
