"""OAuth client credentials: one shared token, renewal before expiry and on 401, no retry storm."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from typing import Any

import pytest
from aioresponses import aioresponses
from messengeo_support import BASE, CLIENT_ID, CLIENT_SECRET, FAST_RETRY, TOKEN_ANSWER, TOKEN_URL

from contactgroups import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    ServerError,
    TransportError,
    messengeo,
)
from contactgroups.messengeo import auth as messengeo_auth
from contactgroups.testing import Faults
from contactgroups.testing.messengeo import MessengeoFake


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token_posts(fake: MessengeoFake) -> int:
    """Token requests that reached the fake, faulted ones included."""
    return sum(1 for r in fake.requests if r.method == "POST" and r.path == "/token")


async def test_twenty_concurrent_calls_share_one_token(fake: MessengeoFake) -> None:
    list_id = fake.seed_group("L")
    async with fake.client() as client:
        results = await asyncio.gather(*(client.lists.get(list_id) for _ in range(20)))
    assert {r.id for r in results} == {list_id}
    assert fake.token_requests == 1
    assert fake.unauthorized == 0
    assert len(fake.requests_to("GET", "/lists")) == 20


async def test_expired_token_twenty_401s_trigger_one_renewal(fake: MessengeoFake) -> None:
    list_id = fake.seed_group("L")
    async with fake.client() as client:
        await client.lists.get(list_id)
        assert fake.token_requests == 1
        fake.expire_tokens()  # the server forgets the token; the client still thinks it valid
        results = await asyncio.gather(*(client.lists.get(list_id) for _ in range(20)))
        assert len(results) == 20
        assert fake.token_requests == 2  # one renewal for twenty 401s
        assert fake.unauthorized == 20  # each call saw its 401 and was repeated once
        assert client.auth.token_requests == 2


async def test_proactive_renewal_before_expiry() -> None:
    clock = Clock()
    async with MessengeoFake(clock=clock, token_lifetime=3600) as fake:
        list_id = fake.seed_group("L")
        async with fake.client() as client:
            client.auth.clock = clock
            await client.lists.get(list_id)
            clock.now += 3600 - 61  # still more than 60 s left: same token
            await client.lists.get(list_id)
            assert fake.token_requests == 1
            clock.now += 2  # under 60 s left: renewed before use, never a 401
            await asyncio.gather(*(client.lists.get(list_id) for _ in range(10)))
            assert fake.token_requests == 2
            assert fake.unauthorized == 0


async def test_a_failed_early_renewal_keeps_the_still_valid_token() -> None:
    clock = Clock()
    async with MessengeoFake(clock=clock, token_lifetime=3600) as fake:
        list_id = fake.seed_group("L")
        async with fake.client(retry=FAST_RETRY) as client:
            client.auth.clock = clock
            await client.lists.get(list_id)
            fake.faults = Faults(server_error=1.0, only_paths=("/token",))
            clock.now += 3600 - 30  # in the renewal window, 30 s before expiry
            await asyncio.gather(*(client.lists.get(list_id) for _ in range(5)))
            posts = token_posts(fake)
            assert posts == 1 + FAST_RETRY.max_attempts  # one failed renewal, shared by all
            await client.lists.get(list_id)  # the next try waits a few seconds
            assert token_posts(fake) == posts
            clock.now += 31  # now the token has really expired: the failure surfaces
            with pytest.raises(ServerError):
                await client.lists.get(list_id)


async def test_short_lifetime_renews_at_ten_percent() -> None:
    clock = Clock()
    async with MessengeoFake(clock=clock, token_lifetime=100) as fake:
        list_id = fake.seed_group("L")
        async with fake.client() as client:
            client.auth.clock = clock
            await client.lists.get(list_id)
            clock.now += 89  # 11 s left of 100: margin is 10 s, keep it
            await client.lists.get(list_id)
            assert fake.token_requests == 1
            clock.now += 2  # 9 s left: renew
            await client.lists.get(list_id)
            assert fake.token_requests == 2
            assert fake.unauthorized == 0


async def test_token_expires_mid_run_calls_go_on() -> None:
    """Both paths in one run: the server expires tokens on its own clock while the client's clock
    lags (401 path), then the client's clock catches up (proactive path)."""
    server_clock, client_clock = Clock(), Clock()
    async with MessengeoFake(clock=server_clock, token_lifetime=600) as fake:
        list_id = fake.seed_group("L")
        ids = fake.seed_contacts(300)
        async with fake.client() as client:
            client.auth.clock = client_clock
            total = 0
            for step, chunk in enumerate(ids[i : i + 50] for i in range(0, 300, 50)):
                if step == 2:
                    server_clock.now += 601  # the server says expired; the client does not know
                if step == 4:
                    server_clock.now += 601
                    client_clock.now += 1300  # the client knows: renews before sending
                total += await client.lists.add_contacts(list_id, chunk)
            assert total == 300
            assert fake.member_ids(list_id) == set(ids)
            assert fake.unauthorized == 1
            assert fake.token_requests == 3


async def test_bad_credentials_raise_authentication_error_once(fake: MessengeoFake) -> None:
    async with fake.client(client_secret="wrong-secret-value") as client:
        outcomes = await asyncio.gather(
            *(client.lists.get("1") for _ in range(20)), return_exceptions=True
        )
    assert all(isinstance(o, AuthenticationError) for o in outcomes)
    error = outcomes[0]
    assert isinstance(error, AuthenticationError)
    assert error.status == 400
    assert error.code == "invalid_client"
    assert "The client credentials are invalid" in str(error)
    assert fake.token_requests == 1  # the 19 waiting calls share the refusal
    assert fake.requests_to("GET") == []


async def test_refused_token_is_tried_again_by_a_later_call(fake: MessengeoFake) -> None:
    """A refusal is not asked again during the cool-down; a call after it asks again."""
    clock = Clock()
    async with fake.client(client_secret="wrong-secret-value") as client:
        client.auth.clock = clock
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                await client.lists.get("1")
        assert fake.token_requests == 1  # the second call failed fast, in the cool-down
        clock.now += messengeo_auth.COOL_DOWN
        with pytest.raises(AuthenticationError):
            await client.lists.get("1")
    assert fake.token_requests == 2


async def test_token_5xx_retried_within_policy() -> None:
    faults = Faults(server_error=1.0, only_paths=("/token",))
    async with MessengeoFake(faults=faults) as fake:
        async with fake.client(retry=FAST_RETRY) as client:
            with pytest.raises(ServerError):
                await client.lists.get("1")
        assert token_posts(fake) == FAST_RETRY.max_attempts


async def test_token_5xx_then_success() -> None:
    faults = Faults(server_error=0.5, seed=3, only_paths=("/token",))
    async with MessengeoFake(faults=faults) as fake:
        list_id = fake.seed_group()
        async with fake.client(retry=FAST_RETRY) as client:
            # draw pattern for seed 3 starts with a fault; the retry gets the token
            assert (await client.lists.get(list_id)).id == list_id
        assert next(r.fault for r in fake.requests if r.path == "/token") == "server_error"


async def test_token_400_not_retried() -> None:
    with aioresponses() as m:
        m.post(TOKEN_URL, status=400, payload={"error": "invalid_request"}, repeat=True)
        async with messengeo.Client(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, retry=FAST_RETRY
        ) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.lists.get("1")
        token_calls = [c for (verb, url), c in m.requests.items() if str(url) == TOKEN_URL]
        assert len(token_calls[0]) == 1
    assert info.value.code == "invalid_request"


async def test_token_401_is_authentication_error() -> None:
    with aioresponses() as m:
        m.post(
            TOKEN_URL,
            status=401,
            payload={
                "error": "invalid_client",
                "error_description": "Client authentication failed",
            },
        )
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            with pytest.raises(AuthenticationError, match="Client authentication failed"):
                await client.lists.get("1")


async def test_api_401_after_fresh_token_raises(fake: MessengeoFake) -> None:
    """A 401 is answered with one renewal and one repeat, not a loop."""
    async with fake.client() as client:
        await client.lists.list()
        fake.expire_tokens()
        # every new token is expired by the time it is used: the fake's clock jumps 10 s a read
        fake.token_lifetime = 1
        fake.clock = itertools.count(start=10**6, step=10).__next__
        with pytest.raises(AuthenticationError) as info:
            await client.lists.list()
    assert info.value.status == 401
    assert fake.token_requests == 2
    assert fake.unauthorized == 2


@pytest.mark.parametrize(
    ("answer", "lifetime"),
    [
        ({"access_token": "t", "expires_in": "3600"}, 3600.0),
        ({"access_token": "t", "expires_in": 120}, 120.0),
        ({"access_token": "t"}, 3600.0),
        ({"access_token": "t", "expires_in": " 90.5 "}, 90.5),
    ],
)
async def test_expires_in_string_or_number(answer: dict[str, Any], lifetime: float) -> None:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=answer)
        m.get(re.compile(re.escape(BASE) + r"/lists.*"), payload={"list": [], "size": 0})
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            clock = Clock()
            client.auth.clock = clock
            await client.lists.list()
            margin = min(60.0, lifetime * 0.1)
            assert client.auth.renew_at == pytest.approx(clock.now + lifetime - margin)


@pytest.mark.parametrize(
    "answer",
    [
        {"token_type": "bearer"},
        {"access_token": ""},
        ["not", "an", "object"],
        # an expires_in that is there but not a lifetime in seconds is no longer guessed
        {"access_token": "t", "expires_in": "soon"},
    ],
)
async def test_malformed_token_answer(answer: Any) -> None:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=answer)
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            with pytest.raises(MalformedResponseError):
                await client.lists.list()


async def test_token_shares_the_client_session() -> None:
    import aiohttp

    with aioresponses() as m:
        m.post(TOKEN_URL, payload=TOKEN_ANSWER)
        m.get(re.compile(re.escape(BASE) + r"/lists.*"), payload={"list": [], "size": 0})
        async with aiohttp.ClientSession() as session:
            async with messengeo.Client(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, session=session
            ) as client:
                await client.lists.list()
                assert client.auth.token_endpoint is not None
                assert client.auth.token_endpoint.session is session
            assert not session.closed  # borrowed: neither the API nor the token call closed it


@pytest.mark.parametrize(
    "token_url",
    ["https://oauth.messengeo.net", "https://oauth.messengeo.net/token?x=1", "not a url", 5],
)
def test_bad_token_url(token_url: Any) -> None:
    with pytest.raises(InvalidRequestError):
        messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_url=token_url)


def test_plain_http_token_url_refused() -> None:
    with pytest.raises(InvalidRequestError, match="plain http"):
        messengeo.Client(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_url="http://example.com/token"
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"client_id": "", "client_secret": CLIENT_SECRET},
        {"client_id": CLIENT_ID, "client_secret": "  "},
        {"client_id": None, "client_secret": CLIENT_SECRET},
    ],
)
def test_credentials_must_be_text(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        messengeo.Client(**kwargs)


async def test_token_url_with_a_path_prefix() -> None:
    url = "https://auth.example.com/oauth/v1/token"
    with aioresponses() as m:
        m.post(url, payload=TOKEN_ANSWER)
        m.get(re.compile(re.escape(BASE) + r"/lists.*"), payload={"list": [], "size": 0})
        async with messengeo.Client(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_url=url
        ) as client:
            await client.lists.list()
        assert any(str(u) == url for (_, u) in m.requests)


async def test_secrets_never_leak(fake: MessengeoFake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="contactgroups")
    secret = fake.client_secret
    async with fake.client(retry=FAST_RETRY) as client:
        assert secret not in repr(client) and fake.client_id not in repr(client)
        assert secret not in repr(client.auth)
        await client.lists.list()
        (token,) = set(client.auth.secrets) - {secret, fake.client_id}  # the bearer token
        assert token
        fake.expire_tokens()
        await client.lists.list()  # a 401 and a renewal, logged at DEBUG
        # an error body that echoes the credentials and the token is scrubbed
        fake.client_secret = "changed"
        fake.expire_tokens()
        with pytest.raises(AuthenticationError) as info:
            await client.lists.list()
    assert token not in caplog.text and secret not in caplog.text
    assert fake.client_id not in caplog.text
    assert caplog.records  # the transport did log at DEBUG
    for text in (str(info.value), repr(info.value), info.value.body or ""):
        assert secret not in text and token not in text


async def test_echoed_secret_is_scrubbed_from_token_errors() -> None:
    with aioresponses() as m:
        m.post(
            TOKEN_URL,
            status=400,
            payload={
                "error": "invalid_client",
                "error_description": f"unknown secret {CLIENT_SECRET} for {CLIENT_ID}",
            },
        )
        async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.lists.list()
    for text in (str(info.value), info.value.body or ""):
        assert CLIENT_SECRET not in text and CLIENT_ID not in text
        assert "<redacted>" in text


async def test_token_connection_failure_is_not_retried_per_api_attempt() -> None:
    """The token transport retries per the policy; the API call's own retry loop must not
    multiply that (max_attempts, not max_attempts squared, token requests)."""
    import aiohttp

    with aioresponses() as m:
        m.post(TOKEN_URL, exception=aiohttp.ClientConnectionError("reset"), repeat=True)
        async with messengeo.Client(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, retry=FAST_RETRY
        ) as client:
            with pytest.raises(TransportError) as info:
                await client.lists.add_contacts("1", ["2"])  # idempotent: retried on its own
        token_calls = [c for (_, url), c in m.requests.items() if str(url) == TOKEN_URL]
        assert len(token_calls[0]) == FAST_RETRY.max_attempts
    # the same class as the token request's failure (each call gets its own copy of it)
    assert type(info.value) is TransportError


async def test_standalone_auth_raises_the_plain_error() -> None:
    """Bound to a plain core Transport, the auth raises ContactGroupsError subclasses as is."""
    from contactgroups._http import Transport
    from contactgroups.messengeo import ClientCredentials

    with aioresponses() as m:
        m.post(TOKEN_URL, status=400, payload={"error": "invalid_client"})
        auth = ClientCredentials(CLIENT_ID, CLIENT_SECRET, TOKEN_URL)
        transport = Transport(provider="messengeo", base_url=BASE, auth=auth)
        auth.bind(transport)
        try:
            with pytest.raises(AuthenticationError):
                await auth.headers()
        finally:
            await transport.aclose()


async def test_late_401_with_a_replaced_token_does_not_renew_again(fake: MessengeoFake) -> None:
    """A call that sent with token 1 and hears its 401 after another call already renewed
    (token 2) just repeats with token 2: the generation it used is older than the current."""
    async with fake.client() as client:
        auth = client.auth
        await client.lists.list()
        sent_with_old = asyncio.Event()
        renewed = asyncio.Event()

        async def slow_caller() -> bool:
            await auth.headers()  # this task "sends" with token 1 ...
            sent_with_old.set()
            await renewed.wait()
            return await auth.refresh()  # ... and hears its 401 after the renewal

        task = asyncio.create_task(slow_caller())
        await sent_with_old.wait()
        assert await auth.refresh() is True  # this task's 401: token 1 -> token 2
        renewed.set()
        assert await task is True
        assert fake.token_requests == 2
        assert auth.token_requests == 2
