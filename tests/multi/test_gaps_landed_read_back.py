"""A membership call that really landed, whose answer was lost (a read timeout, a 5xx, a dropped
connection) and whose retry was refused for longer than the policy waits (429 + Retry-After over
the cap), ends ``added``: the error keeps ``maybe_landed``, so ``multi`` reads the group back and
finds the ids. Without the flag the report would call landed ids failed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from contactgroups import errors, multi
from contactgroups._http import RetryPolicy, Timeout
from contactgroups.multi import Outcome, Target
from contactgroups.testing.messagebird import MessageBirdFake

POLICY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.02, retry_after_max=60)
LIMITS = Timeout(total=10.0, connect=5.0, read=0.3)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def lands_then_refuses(
    lost: str,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """A middleware: the first add is applied, then its answer is lost (``lost``); every later
    add is refused with a 429 asking for two minutes. Reads pass through."""
    adds = 0

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal adds
        if request.method != "PUT":
            return await handler(request)
        adds += 1
        if adds > 1:
            return web.json_response(
                {"errors": [{"code": 429, "description": "slow down", "parameter": None}]},
                status=429,
                headers={"Retry-After": "120"},
            )
        answer = await handler(request)  # applied: the contacts are in the group now
        if lost == "stall":
            await asyncio.sleep(2.0)  # past the client's read timeout
        elif lost == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        elif lost == "503":
            return web.json_response({"errors": [{"code": 1, "description": "x"}]}, status=503)
        return answer

    return middleware


@pytest.mark.parametrize(
    "lost",
    [
        "stall",
        "503",
        pytest.param(
            "drop",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known gap: aiohttp re-sends a dropped PUT once by itself, so the "
                "transport never sees the lost answer and the 429 that follows ends the call "
                "without maybe_landed (reported to the lead; strict: a fix fails this mark)",
            ),
        ),
    ],
)
async def test_a_landed_call_whose_answer_was_lost_ends_added(lost: str) -> None:
    fake = MessageBirdFake()
    fake.app.middlewares.append(lands_then_refuses(lost))
    async with fake, fake.client(timeout=LIMITS, retry=POLICY) as client:
        group = fake.seed_group("landed")
        ids = fake.seed_contacts(3)
        report = await multi.add([Target(client, group, ids)])
        assert fake.member_ids(group) == set(ids)  # the first call landed
        assert len(fake.requests_to("PUT", "/groups")) == 2  # and its retry was refused
        assert {report.outcome(0, i) for i in ids} == {Outcome.ADDED}
        assert report.ok


async def test_without_a_read_back_the_same_ids_stay_failed_with_the_flag_set() -> None:
    # the same sequence with verify=False: the ids are failed, and their error says why
    # `multi` would have read them back (so the test above passes through the read-back)
    fake = MessageBirdFake()
    fake.app.middlewares.append(lands_then_refuses("503"))
    async with fake, fake.client(timeout=LIMITS, retry=POLICY) as client:
        group = fake.seed_group("landed")
        ids = fake.seed_contacts(3)
        report = await multi.add([Target(client, group, ids)], verify=False)
    assert {report.outcome(0, i) for i in ids} == {Outcome.FAILED}
    error = report.error(0, ids[0])
    assert isinstance(error, errors.RateLimitError)
    assert error.maybe_landed is True
