"""``maybe_landed`` survives every sequence of attempts: once an attempt ended without a clear
answer (a read timeout, a 5xx, a dropped connection), the error that ends the call says the call
may have landed, even when the last attempt was a definite refusal (a 429 asking for longer than
the policy's cap). ``multi`` reads the group back only for such errors."""

from __future__ import annotations

import asyncio
from collections import deque

import attrs
import pytest
from aiohttp import web

from contactgroups import errors
from contactgroups._http import HeaderAuth, RetryPolicy, Timeout, Transport
from contactgroups.testing import FakeServer

POLICY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.02, retry_after_max=60)
# read: the wait for the answer's first bytes; total and connect generous, so only `read` trips
LIMITS = Timeout(total=10.0, connect=5.0, read=0.3)


@attrs.frozen
class Step:
    """One scripted answer: a status (with Retry-After), a stall past the read timeout, or a
    connection closed without an answer."""

    kind: str  # "status", "stall" or "drop"
    status: int = 200
    retry_after: str | None = None


STALL = Step("stall")
DROP = Step("drop")


def status(code: int, retry_after: str | None = None) -> Step:
    return Step("status", code, retry_after)


OVER_CAP = status(429, "120")  # the policy honours up to 60 s: a definite "not now"


class Script(FakeServer):
    """Answers each request with the next step of its script."""

    def __init__(self, steps: list[Step]) -> None:
        super().__init__()
        self.steps = deque(steps)
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        step = self.steps.popleft()
        if step.kind == "stall":
            await asyncio.sleep(2.0)  # past LIMITS.read; aiohttp drops it when the client leaves
        if step.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp ends the handler quietly: nothing is answered
        headers = {"Retry-After": step.retry_after} if step.retry_after else {}
        body = {"message": f"status {step.status}"}
        return web.json_response(body, status=step.status, headers=headers)


async def call(steps: list[Step], method: str = "PUT") -> tuple[errors.ContactGroupsError, int]:
    """An idempotent call against ``steps``; the error that ends it and the requests sent."""
    async with Script(steps) as server:
        transport = Transport(
            provider="scripted",
            base_url=server.url,
            auth=HeaderAuth({"Authorization": "Key k"}, secrets=("k",)),
            timeout=LIMITS,
            retry=POLICY,
        )
        try:
            with pytest.raises(errors.ContactGroupsError) as info:
                await transport.request(method, ("groups", "g", "contacts"), idempotent=True)
        finally:
            await transport.aclose()
        return info.value, len(steps) - len(server.steps)


@pytest.mark.parametrize(
    ("steps", "method"),
    [
        pytest.param([STALL, OVER_CAP], "PUT", id="read-timeout-then-429"),
        pytest.param([status(503), OVER_CAP], "PUT", id="503-then-429"),
        pytest.param([status(502), OVER_CAP], "PUT", id="502-then-429"),
        # POST: aiohttp re-sends a PUT whose connection dropped by itself (see below)
        pytest.param([DROP, OVER_CAP], "POST", id="drop-then-429"),
        pytest.param([status(503), status(429, "0"), OVER_CAP], "PUT", id="503-429-then-429"),
        pytest.param([DROP, status(504), OVER_CAP], "POST", id="drop-504-then-429"),
        pytest.param([DROP, DROP, OVER_CAP], "PUT", id="put-drop-drop-then-429"),
        pytest.param(
            [DROP, OVER_CAP],
            "PUT",
            id="put-drop-then-429",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known gap: aiohttp re-sends an idempotent method (PUT, DELETE) once, "
                "unseen, when the server drops the connection, so the transport never learns "
                "the first attempt may have landed (reported to the lead; strict: a fix fails "
                "this mark and it goes)",
            ),
        ),
    ],
)
async def test_a_refusal_after_an_unclear_attempt_still_may_have_landed(
    steps: list[Step], method: str
) -> None:
    error, sent = await call(steps, method)
    assert sent == len(steps)  # every attempt happened: the first ones were retried
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 120
    assert error.maybe_landed is True


@pytest.mark.parametrize(
    "first", [pytest.param(STALL, id="read-timeout"), pytest.param(DROP, id="drop")]
)
async def test_the_unclear_attempts_themselves_are_typed_and_may_have_landed(first: Step) -> None:
    # the same first attempts, with retries used up at once: the error that ends the call is
    # theirs (so the sequences above really started with a read timeout and a lost answer)
    async with Script([first]) as server:
        transport = Transport(
            provider="scripted",
            base_url=server.url,
            auth=HeaderAuth({"Authorization": "Key k"}, secrets=("k",)),
            timeout=LIMITS,
            retry=None,
        )
        try:
            with pytest.raises(errors.TransportError) as info:
                await transport.request("POST", ("groups", "g", "contacts"), idempotent=True)
        finally:
            await transport.aclose()
    expected = errors.ReadTimeoutError if first is STALL else errors.TransportError
    assert type(info.value) is expected
    assert info.value.maybe_landed is True


async def test_a_refusal_alone_does_not_claim_it_may_have_landed() -> None:
    error, sent = await call([OVER_CAP])
    assert sent == 1
    assert isinstance(error, errors.RateLimitError)
    assert error.maybe_landed is False


async def test_clean_retries_then_a_refusal_do_not_claim_it_may_have_landed() -> None:
    # a 429 that was waited out is a clear "not done": nothing may have landed
    error, sent = await call([status(429, "0"), status(429, "0.01"), OVER_CAP])
    assert sent == 3
    assert isinstance(error, errors.RateLimitError)
    assert error.maybe_landed is False
