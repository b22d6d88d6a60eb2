"""The base client (shared options taken once, ``with_options`` views), the retry decision as a
function, and where ``maybe_landed`` is decided."""

from __future__ import annotations

import importlib
import inspect
import random
from typing import Any, ClassVar

import aiohttp
import pytest

from contactgroups import errors
from contactgroups._http import (
    AdapterLimits,
    BaseClient,
    ClientOptions,
    CommonKeywords,
    HeaderAuth,
    MembershipBase,
    MembershipOptions,
    RetryPolicy,
    Timeout,
    Transport,
    retry_delay,
)
from contactgroups.testing import FakeServer
from contactgroups.testing.pytest_plugin import start_fake

# -- retry_delay ---------------------------------------------------------------------------------

POLICY = RetryPolicy(max_attempts=3, backoff_base=1.0, jitter=0.0, retry_after_max=10.0)


def _api(cls: type[errors.APIError], status: int, retry_after: float | None = None) -> Any:
    return cls("x", status=status, provider="p", retry_after=retry_after)


@pytest.mark.parametrize(
    ("error", "idempotent", "attempt", "expected"),
    [
        # a status in the policy: backoff doubles per attempt (jitter 0)
        (_api(errors.ServerError, 503), True, 1, 1.0),
        (_api(errors.ServerError, 503), True, 2, 2.0),
        # attempts used up
        (_api(errors.ServerError, 503), True, 3, None),
        # not idempotent: a status is never repeated
        (_api(errors.ServerError, 503), False, 1, None),
        # a status the policy does not list
        (_api(errors.ServerError, 500), True, 1, None),
        (_api(errors.ValidationError, 400), True, 1, None),
        # Retry-After honoured up to the cap, then raised
        (_api(errors.RateLimitError, 429, retry_after=4.0), True, 1, 4.0),
        (_api(errors.RateLimitError, 429, retry_after=0.0), True, 1, 0.0),
        (_api(errors.RateLimitError, 429, retry_after=11.0), True, 1, None),
        # nothing was sent: repeated for any call
        (errors.TransportError("refused", never_sent=True), False, 1, 1.0),
        # a lost answer: only an idempotent call
        (errors.TransportError("reset"), True, 1, 1.0),
        (errors.TransportError("reset"), False, 1, None),
        (errors.ReadTimeoutError("slow"), True, 2, 2.0),
        (errors.ReadTimeoutError("slow"), False, 1, None),
        # an error that is neither: raised
        (errors.InvalidRequestError("bad"), True, 1, None),
        (errors.ContactGroupsError("bug"), True, 1, None),
    ],
)
def test_retry_delay_decides_per_error(
    error: errors.ContactGroupsError, idempotent: bool, attempt: int, expected: float | None
) -> None:
    assert retry_delay(POLICY, error, attempt=attempt, idempotent=idempotent) == expected


def test_retry_delay_without_a_policy_never_repeats() -> None:
    refused = errors.TransportError("refused", never_sent=True)
    assert retry_delay(None, refused, attempt=1, idempotent=True) is None


def test_retry_delay_timeouts_follow_the_policy() -> None:
    policy = RetryPolicy(retry_timeouts=False, jitter=0.0)
    timeout = errors.ReadTimeoutError("slow")
    assert retry_delay(policy, timeout, attempt=1, idempotent=True) is None
    assert retry_delay(policy, errors.TransportError("reset"), attempt=1, idempotent=True) == 0.25


def test_retry_delay_jitter_draws_from_the_given_rng() -> None:
    policy = RetryPolicy(backoff_base=2.0, jitter=1.0)
    error = errors.ServerError("x", status=503, provider="p")
    first = retry_delay(policy, error, attempt=1, idempotent=True, rng=random.Random(7))
    again = retry_delay(policy, error, attempt=1, idempotent=True, rng=random.Random(7))
    assert first == again
    assert first is not None and 0.0 <= first <= 2.0


# -- maybe_landed is decided where the outcome is known -------------------------------------------


def test_maybe_landed_defaults_by_class() -> None:
    assert errors.TransportError("reset").maybe_landed is True
    assert errors.TransportError("refused", never_sent=True).maybe_landed is False
    assert errors.ServerError("x", status=503, provider="p").maybe_landed is True
    assert errors.OutcomeUnknownError("x", status=207, provider="p").maybe_landed is True
    assert errors.InterruptedCallError("stopped").maybe_landed is True
    assert errors.ValidationError("x", status=400, provider="p").maybe_landed is False
    assert errors.InvalidRequestError("bad").maybe_landed is False


def test_interrupted_call_error_is_on_the_ladder() -> None:
    assert issubclass(errors.InterruptedCallError, errors.TransportError)
    assert "InterruptedCallError" in errors.__all__


# -- BaseClient and with_options -----------------------------------------------------------------


class _Resource:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def ping(self) -> int:
        response = await self.transport.request("GET", ("ping",), idempotent=True)
        return response.status


class DemoClient(BaseClient):
    provider: ClassVar[str] = "demo"
    default_base_url: ClassVar[str] = "https://demo.invalid"

    def __init__(self, *, key: str, **options: Any) -> None:
        super().__init__(HeaderAuth({"Authorization": key}, secrets=(key,)), **options)

    def _bind(self, transport: Transport) -> None:
        self.things = _Resource(transport)


class PingServer(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

        async def ping(request: aiohttp.web.Request) -> aiohttp.web.Response:
            status = self.statuses.pop(0) if self.statuses else 200
            return aiohttp.web.json_response({}, status=status)

        self.app.router.add_get("/ping", ping)


@pytest.fixture
async def ping_server() -> Any:
    async with PingServer() as server:
        yield server


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="deadlin"):
        DemoClient(key="k", deadlin=30)


def test_base_url_defaults_to_the_vendor_root() -> None:
    assert DemoClient(key="k").base_url == "https://demo.invalid"


def test_session_must_be_an_aiohttp_session() -> None:
    with pytest.raises(errors.InvalidRequestError, match="session"):
        DemoClient(key="k", session=object())


async def test_with_options_view_shares_the_session_and_changes_only_its_limits(
    ping_server: PingServer,
) -> None:
    async with DemoClient(key="k", base_url=ping_server.url, retry=None) as client:
        assert await client.things.ping() == 200
        view = client.with_options(timeout=3, retry=RetryPolicy(max_attempts=2, backoff_base=0))
        assert view.things.transport.session is client.things.transport.session
        # a number bounds the whole call, and each attempt within it
        assert view.things.transport.timeout == Timeout(total=3.0, connect=3.0, call=3.0)
        assert client.things.transport.timeout == Timeout()
        # the view retries a 503; the client (retry=None) does not
        ping_server.statuses = [503]
        assert await view.things.ping() == 200
        ping_server.statuses = [503]
        with pytest.raises(errors.ServerError):
            await client.things.ping()
        # closing a view closes nothing: the client still works
        await view.aclose()
        assert await client.things.ping() == 200
    # closing the client ends the shared session for its views too
    with pytest.raises(errors.ContactGroupsError, match="closed"):
        await view.things.ping()


async def test_with_options_keeps_what_is_not_given(ping_server: PingServer) -> None:
    policy = RetryPolicy(max_attempts=2)
    async with DemoClient(key="k", base_url=ping_server.url, retry=policy, timeout=7) as client:
        view = client.with_options(timeout=None)
        assert view.things.transport.retry is policy
        assert view.things.transport.timeout == Timeout(
            total=None, connect=None, read=None, call=None
        )
        no_retry = client.with_options(retry=None)
        assert no_retry.things.transport.retry is None
        assert no_retry.things.transport.timeout.total == 7.0


def test_with_options_checks_its_values() -> None:
    client = DemoClient(key="k")
    with pytest.raises(errors.InvalidRequestError, match="timeout"):
        client.with_options(timeout=-1)
    with pytest.raises(errors.InvalidRequestError, match="retry"):
        client.with_options(retry=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fixture", ["messagebird_fake", "messente_fake", "messageflow_fake", "messengeo_fake"]
)
async def test_every_provider_client_offers_with_options(fixture: str) -> None:
    async with start_fake(fixture) as fake:
        await _members_through_a_view(fake)


async def _members_through_a_view(fake: Any) -> None:
    group = fake.seed_group("View")
    async with fake.client() as client:
        view = client.with_options(timeout=5)
        assert type(view) is type(client)
        assert view.membership.provider == client.membership.provider
        members = [m async for m in view.membership.members(group)]
        assert members == []


async def test_a_messengeo_view_shares_the_token() -> None:
    async with start_fake("messengeo_fake") as fake:
        group = fake.seed_group("Token")
        async with fake.client() as client:
            view = client.with_options(timeout=5)
            assert [m async for m in client.membership.members(group)] == []
            assert [m async for m in view.membership.members(group)] == []
            assert client.auth.token_requests == 1


# -- what every membership adapter shares ---------------------------------------------------------

LIMITS = AdapterLimits(
    provider="demo", max_add=50, max_remove=1, default_add=20, default_remove=1,
    default_concurrency=8,
)  # fmt: skip


def test_adapter_limits_default_to_the_vendors() -> None:
    adapter = MembershipBase(
        LIMITS, max_add_per_call=None, max_remove_per_call=None, concurrency=None
    )
    assert (adapter.provider, adapter.max_add_per_call, adapter.max_remove_per_call) == (
        "demo", 20, 1,
    )  # fmt: skip
    assert adapter.default_concurrency == 8
    assert repr(adapter) == (
        "MembershipBase(max_add_per_call=20, max_remove_per_call=1, concurrency=8)"
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_add_per_call", 51),
        ("max_add_per_call", 0),
        ("max_remove_per_call", 2),
        ("concurrency", 0),
        ("concurrency", True),
    ],
)
def test_adapter_limits_refuse_what_the_vendor_does_not_allow(option: str, value: Any) -> None:
    chosen: dict[str, Any] = dict.fromkeys(
        ("max_add_per_call", "max_remove_per_call", "concurrency")
    )
    chosen[option] = value
    with pytest.raises(errors.InvalidRequestError, match=option):
        MembershipBase(LIMITS, **chosen)


@pytest.mark.parametrize("name", ["messagebird", "messente", "messageflow", "messengeo"])
def test_each_clients_keywords_type_lists_exactly_what_it_takes(name: str) -> None:
    package = importlib.import_module(f"contactgroups.{name}")
    parameters = inspect.signature(package.Client).parameters
    explicit = {p for p, v in parameters.items() if v.kind is inspect.Parameter.KEYWORD_ONLY}
    assert parameters["options"].kind is inspect.Parameter.VAR_KEYWORD
    keywords = set(package.ClientKeywords.__annotations__) | set(CommonKeywords.__optional_keys__)
    assert keywords == explicit | set(ClientOptions.__optional_keys__)
    # the three membership options are the same at every vendor
    assert set(MembershipOptions.__optional_keys__) <= explicit
