"""A broken Messengeo token endpoint is contained: one shared fetch, a cool-down, never-sent errors.

Hostile token endpoints on 127.0.0.1 (503 always, hanging, garbage 200, flapping) stand in for
``oauth.messengeo.net`` while the API is the real Messengeo fake: the client's ``token_url``
points at the hostile server.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from contactgroups import (
    AuthenticationError,
    MalformedResponseError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TimeoutError,
    TransportError,
    multi,
)
from contactgroups.messengeo import auth as messengeo_auth
from contactgroups.multi import Outcome
from contactgroups.testing.messengeo import MessengeoFake

ATTEMPTS = 4  # the default policy's attempts, with short backoffs
POLICY = RetryPolicy(max_attempts=ATTEMPTS, backoff_base=0.001, backoff_max=0.01)
ROUNDS = multi.DEFAULT_ROUNDS
CALLS = 40
SECRET = "canary-SECRET-4f9a1c"

Behaviour = Callable[[int], Awaitable[web.StreamResponse]]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TokenServer:
    """``POST /token`` on 127.0.0.1 answering with ``behaviour(n)`` (n = 1 for the first
    request); ``requests`` counts what arrived. ``release`` ends every hanging handler."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.release = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/token", self._token)
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.1)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        await request.read()
        return await self.behaviour(self.requests)

    async def __aenter__(self) -> TokenServer:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/token"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        await self._runner.cleanup()


async def always_503(n: int) -> web.StreamResponse:
    return web.json_response({"error": "temporarily_unavailable"}, status=503)


def granting(token: str = "good-token") -> Behaviour:
    async def grant(n: int) -> web.StreamResponse:
        return web.json_response({"access_token": f"{token}-{n}", "expires_in": "3600"})

    return grant


@pytest.fixture
async def fake() -> AsyncIterator[MessengeoFake]:
    async with MessengeoFake(client_secret=SECRET) as f:
        yield f


def api_requests(fake: MessengeoFake) -> list[Any]:
    return [r for r in fake.requests if r.path.startswith("/rest")]


async def bulk_add(fake: MessengeoFake, token_url: str, **options: Any) -> tuple[Any, int, float]:
    """A 40-call ``multi.add`` (one id per call); the report, the read-backs tried, seconds."""
    list_id = fake.seed_group("L")
    ids = fake.seed_contacts(CALLS)
    async with fake.client(
        token_url=token_url, max_add_per_call=1, retry=POLICY, **options
    ) as client:
        adapter = client.membership
        read_backs = 0
        members = adapter.members

        def counting_members(group_id: str) -> Any:
            nonlocal read_backs
            read_backs += 1
            return members(group_id)

        adapter.members = counting_members  # type: ignore[method-assign]
        started = time.monotonic()
        report = await multi.add([multi.Target(client, list_id, ids)], deadline=30)
        elapsed = time.monotonic() - started
    assert report.providers["messengeo"].calls >= CALLS
    return report, read_backs, elapsed


def failed_errors(report: Any) -> list[Any]:
    outcomes = report.ledger.outcomes_of(0)
    assert len(outcomes) == CALLS
    assert all(o is Outcome.FAILED for o in outcomes.values()), outcomes
    return list(report.ledger.errors_of(0).values())


# -- a bulk job against a token endpoint that is down ---------------------------------------------


async def test_bulk_add_with_token_endpoint_503_is_bounded_and_never_sent(
    fake: MessengeoFake,
) -> None:
    async with TokenServer(always_503) as tokens:
        report, read_backs, elapsed = await bulk_add(fake, tokens.url)
    assert tokens.requests <= ROUNDS * ATTEMPTS  # was 84 for 40 calls
    errors = failed_errors(report)
    assert all(isinstance(e, ServerError) and e.status == 503 for e in errors), errors[:3]
    assert all(e.maybe_landed is False for e in errors)
    assert all("token endpoint" in str(e) for e in errors)
    assert len({id(e) for e in errors}) == CALLS  # each call its own exception
    assert read_backs == 0  # nothing may have landed: nothing is read back
    assert api_requests(fake) == []
    assert elapsed < 10


async def test_bulk_add_with_hanging_token_endpoint_ends_within_the_budget(
    fake: MessengeoFake,
) -> None:
    timeout = 0.3

    async def hang(n: int) -> web.StreamResponse:
        await tokens.release.wait()
        return web.json_response({}, status=503)

    async with TokenServer(hang) as tokens:
        report, read_backs, elapsed = await bulk_add(fake, tokens.url, timeout=timeout)
    assert tokens.requests <= ROUNDS * ATTEMPTS  # was 20 requests and 23 s
    errors = failed_errors(report)
    assert all(isinstance(e, TimeoutError) for e in errors), errors[:3]
    assert all(e.maybe_landed is False and e.never_sent is True for e in errors)
    assert read_backs == 0
    assert api_requests(fake) == []
    # one shared fetch: its attempts' timeouts and backoffs, once (3x margin for a busy machine)
    assert elapsed < 3 * ATTEMPTS * (timeout + POLICY.backoff_max)


# -- one shared fetch, one exception per call -----------------------------------------------------


async def test_concurrent_calls_share_one_fetch_and_each_get_their_own_exception(
    fake: MessengeoFake,
) -> None:
    async with (
        TokenServer(always_503) as tokens,
        fake.client(token_url=tokens.url, retry=POLICY) as client,
    ):
        outcomes = await asyncio.gather(
            *(client.lists.add_contacts("1", ["2"]) for _ in range(20)),
            return_exceptions=True,
        )
        # raised again and again, no exception grows a longer traceback
        for _ in range(50):
            with pytest.raises(ServerError) as info:
                await client.lists.add_contacts("1", ["2"])
            outcomes.append(info.value)
    assert tokens.requests == ATTEMPTS  # one fetch with its retries, for 70 calls
    assert all(isinstance(o, ServerError) for o in outcomes), outcomes[:3]
    assert len({id(o) for o in outcomes}) == len(outcomes)
    depths = [len(list(traceback.walk_tb(o.__traceback__))) for o in outcomes]
    assert max(depths) < 30, max(depths)
    assert all(o.maybe_landed is False and o.__cause__ is None for o in outcomes)
    assert api_requests(fake) == []


async def test_a_cancelled_caller_leaves_the_shared_fetch_to_the_others(
    fake: MessengeoFake,
) -> None:
    list_id = fake.seed_group("L")

    async def slow_grant(n: int) -> web.StreamResponse:
        await asyncio.sleep(0.3)
        return web.json_response({"access_token": f"slow-{n}", "expires_in": "3600"})

    async with TokenServer(slow_grant) as tokens:
        for n in range(1, 4):  # the fake's API accepts what this server grants
            fake.tokens[f"slow-{n}"] = float("inf")
        async with fake.client(token_url=tokens.url, retry=POLICY) as client:
            first = asyncio.create_task(client.lists.get(list_id))
            second = asyncio.create_task(client.lists.get(list_id))
            await asyncio.sleep(0.05)
            first.cancel()
            assert (await asyncio.wait_for(second, 5)).id == list_id
            with pytest.raises(asyncio.CancelledError):
                await first
    assert tokens.requests == 1  # the waiting call did not start a fetch of its own


# -- the cool-down --------------------------------------------------------------------------------


async def test_cool_down_fails_fast_without_a_request_then_asks_again(
    fake: MessengeoFake,
) -> None:
    list_id = fake.seed_group("L")
    down = True

    async def flapping(n: int) -> web.StreamResponse:
        if down:
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        fake.tokens[f"up-{n}"] = float("inf")
        return web.json_response({"access_token": f"up-{n}", "expires_in": "3600"})

    clock = Clock()
    async with (
        TokenServer(flapping) as tokens,
        fake.client(token_url=tokens.url, retry=POLICY) as client,
    ):
        auth = client.auth
        auth.clock = clock
        with pytest.raises(ServerError) as first:
            await client.lists.get(list_id)
        assert tokens.requests == ATTEMPTS
        down = False  # back up, but the cool-down is not over
        with pytest.raises(ServerError) as fast:
            await client.lists.get(list_id)
        assert tokens.requests == ATTEMPTS  # failed fast: no request
        assert auth.cool_until == clock.now + messengeo_auth.COOL_DOWN
        assert fast.value is not first.value
        assert fast.value.status == 503 and fast.value.maybe_landed is False
        assert "token endpoint" in str(fast.value)
        assert "no new token request for 5.0s" in str(fast.value)
        clock.now += messengeo_auth.COOL_DOWN
        assert (await client.lists.get(list_id)).id == list_id
        assert tokens.requests == ATTEMPTS + 1
        assert auth.cool_until is None

        # down again: the cool-down grows with each failure in a row, and is capped
        down = True
        fake.expire_tokens()
        pauses = []
        for _ in range(6):
            with pytest.raises(ServerError):
                await client.lists.get(list_id)
            cool_until = auth.cool_until
            assert cool_until is not None
            pauses.append(cool_until - clock.now)
            clock.now = cool_until
    assert pauses == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    assert messengeo_auth.COOL_DOWN_MAX == 60.0


async def test_cool_down_honours_the_token_endpoints_retry_after(fake: MessengeoFake) -> None:
    async def busy(n: int) -> web.StreamResponse:
        return web.json_response(
            {"error": "slow_down"}, status=429, headers={"Retry-After": "61"}
        )  # longer than the policy waits for: raised at once, no retry

    clock = Clock()
    async with (
        TokenServer(busy) as tokens,
        fake.client(token_url=tokens.url, retry=POLICY) as client,
    ):
        client.auth.clock = clock
        for _ in range(3):
            with pytest.raises(RateLimitError) as info:
                await client.lists.get("1")
        assert tokens.requests == 1
        assert client.auth.cool_until == clock.now + messengeo_auth.COOL_DOWN_MAX
    assert info.value.retry_after == 61 and info.value.maybe_landed is False


async def test_a_connection_refused_token_endpoint_is_never_sent(fake: MessengeoFake) -> None:
    async with TokenServer(always_503) as tokens:
        url = tokens.url
    # the server is gone: connections to its port are refused
    async with fake.client(token_url=url, retry=POLICY) as client:
        outcomes = await asyncio.gather(
            *(client.lists.add_contacts("1", ["2"]) for _ in range(5)), return_exceptions=True
        )
    assert all(type(o) is TransportError for o in outcomes), outcomes
    assert all(o.never_sent and not o.maybe_landed for o in outcomes)  # type: ignore[union-attr]
    assert all("messengeo token endpoint" in str(o) for o in outcomes)
    assert len({id(o) for o in outcomes}) == len(outcomes)
    assert api_requests(fake) == []


# -- garbage answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"<html>maintenance</html>",
        b'{"access_token": "t", "expires_in": "3600"',
        b"{}",
        b'{"access_token": "   "}',
        b'{"access_token": 12345}',
        b'{"access_token": "t", "expires_in": "\xc2\xb2"}',  # "²", a digit to str.isdigit()
        b'{"access_token": "t", "expires_in": -5}',
        b'{"access_token": "t", "expires_in": "0"}',
        b'{"access_token": "t", "expires_in": 1e400}',
        b'{"access_token": "t", "expires_in": NaN}',
        b'{"access_token": "t", "expires_in": "Infinity"}',
        b'{"access_token": "t", "expires_in": 1000000000000000000000000000000000000}',
        b'{"access_token": "t", "expires_in": true}',
        b'{"access_token": "t", "expires_in": [3600]}',
        b'{"access_token": "t\\r\\nX-Injected: 1", "expires_in": "3600"}',
        b'{"access_token": "two words", "expires_in": "3600"}',
        b'{"access_token": "t\\u00e9l\\u00e9", "expires_in": "3600"}',
    ],
)
async def test_garbage_token_answer_is_a_typed_error(fake: MessengeoFake, body: bytes) -> None:
    async def garbage(n: int) -> web.StreamResponse:
        return web.Response(body=body, content_type="application/json")

    async with (
        TokenServer(garbage) as tokens,
        fake.client(token_url=tokens.url, retry=POLICY) as client,
    ):
        with pytest.raises(MalformedResponseError) as info:
            await client.lists.get("1")
    assert "token endpoint" in str(info.value)
    assert info.value.maybe_landed is False
    assert tokens.requests == 1  # a garbage answer is not asked again at once
    assert api_requests(fake) == []


async def test_an_oversized_token_is_refused(fake: MessengeoFake) -> None:
    huge = "a" * 70_000  # over MAX_TOKEN_CHARS

    async def grant(n: int) -> web.StreamResponse:
        return web.json_response({"access_token": huge, "expires_in": "3600"})

    async with (
        TokenServer(grant) as tokens,
        fake.client(token_url=tokens.url, retry=POLICY) as client,
    ):
        with pytest.raises(MalformedResponseError, match="not a usable bearer token"):
            await client.lists.get("1")


# -- credentials stay out of the token code's frames ----------------------------------------------


async def test_no_credential_in_the_locals_of_token_frames(fake: MessengeoFake) -> None:
    async def echo_secret(n: int) -> web.StreamResponse:
        return web.json_response(
            {"error": "invalid_client", "error_description": f"bad secret {SECRET}"}, status=400
        )

    async with (
        TokenServer(echo_secret) as tokens,
        fake.client(token_url=tokens.url, retry=POLICY) as client,
    ):
        with pytest.raises(AuthenticationError) as info:
            await client.lists.get("1")
    rendered = traceback.TracebackException.from_exception(info.value, capture_locals=True)
    frames = [f for f in rendered.stack if f.filename.endswith("auth.py")]
    assert frames
    for frame in frames:
        assert SECRET not in repr(frame.locals)
    assert SECRET not in "".join(rendered.format())
    assert "request refused: bad secret <redacted>" in str(info.value)


async def test_a_refused_token_is_not_sent_again_while_the_endpoint_is_down(
    fake: MessengeoFake,
) -> None:
    list_id = fake.seed_group("L")
    down = False

    async def goes_down(n: int) -> web.StreamResponse:
        if down:
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        fake.tokens[f"first-{n}"] = float("inf")
        return web.json_response({"access_token": f"first-{n}", "expires_in": "3600"})

    async with (
        TokenServer(goes_down) as tokens,
        fake.client(token_url=tokens.url, retry=POLICY) as client,
    ):
        await client.lists.get(list_id)
        down = True
        fake.expire_tokens()  # the API now refuses the token the client holds
        with pytest.raises(ServerError) as info:
            await client.lists.get(list_id)  # 401, then the renewal fails
        assert info.value.maybe_landed is False  # a 401: the call was refused, not applied
        assert fake.unauthorized == 1
        outcomes = await asyncio.gather(
            *(client.lists.get(list_id) for _ in range(10)), return_exceptions=True
        )
    assert all(isinstance(o, ServerError) for o in outcomes), outcomes[:3]
    assert fake.unauthorized == 1  # the refused token was not sent again
    assert tokens.requests == 1 + ATTEMPTS


async def test_a_refused_token_answer_keeps_no_trace_of_the_token_it_carried() -> None:
    """An answer refused for another reason (``expires_in: "3600s"``) still carries a fresh,
    valid token: the error made of it must not hand it on (red-team finding)."""
    from contactgroups import messengeo

    token = "eyJfreshBearerTokenValidAtTheVendor0123456789"

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"access_token": token, "expires_in": "3600s"})

    app = web.Application()
    app.router.add_post("/token", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with messengeo.Client(
            client_id="cid-1", client_secret="sec-1", base_url=url + "/rest",
            token_url=url + "/token", timeout=5,
        ) as client:  # fmt: skip
            with pytest.raises(MalformedResponseError) as info:
                await client.lists.get("123")
    finally:
        await runner.cleanup()
    error = info.value
    shown = [str(error), repr(error), str(error.body), repr(error.errors), str(error.code)]
    assert not [text for text in shown if token in text]
    assert "expires_in" in str(error)


class _RefusesEveryToken(dict):  # type: ignore[type-arg]
    """The fake's token table, for an API that refuses every token the endpoint issues."""

    def get(self, key: object, default: object = None) -> None:
        return None


@pytest.mark.parametrize("ids", [500, 20_000])
async def test_an_api_refusing_every_token_costs_two_token_requests_whatever_the_job(
    ids: int,
) -> None:
    """The endpoint issues tokens, the API refuses each one: a replacement refused too means the
    account is refused, not the token expired, so no token is fetched per wave of calls
    (red-team finding: 2, 4 and 26 token requests for 500, 5,000 and 50,000 ids)."""
    from contactgroups.testing.messengeo import MessengeoFake

    async with MessengeoFake() as fake:
        fake.tokens = _RefusesEveryToken()
        group = fake.seed_group("Refused")
        contacts = fake.seed_contacts(ids)
        async with fake.client() as client:
            report = await multi.add([multi.Target(client, group, contacts)], deadline=60)
        assert fake.token_requests <= 2
        assert report.counts()[Outcome.FAILED] == ids
        assert all(isinstance(e, AuthenticationError) for _, _, _, e in report.outcomes())
