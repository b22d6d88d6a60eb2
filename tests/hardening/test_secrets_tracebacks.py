"""A traceback rendered with every frame's locals (``pytest --showlocals``, error trackers) shows
no credential: after a 401, a 500, a refused connection, a timeout, and a bad ``base_url`` at
construction, for every provider (and Messengeo's token request refused or timing out)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from secrets_hostile import (
    CLIENTS,
    MG_CLIENT_ID,
    MG_SECRET,
    PROVIDERS,
    SECRETS,
    EchoVendor,
    closed_port,
    leaks,
    render_with_locals,
)

from contactgroups import errors, providers


@pytest.fixture
async def vendor() -> AsyncIterator[EchoVendor]:
    async with EchoVendor() as server:
        yield server


async def failure(provider: str, base_url: str, token_url: str | None = None) -> BaseException:
    """The error a first-page call ends with (caught here, so its traceback starts here)."""
    extra = {"token_url": token_url or base_url + "/oauth/token"} if provider == "messengeo" else {}
    async with CLIENTS[provider](base_url=base_url, retry=None, timeout=0.5, **extra) as client:
        try:
            await providers.get(provider).groups(client).list()
        except errors.ContactGroupsError as exc:
            return exc
    raise AssertionError("the call did not fail")


def assert_clean(error: BaseException, provider: str) -> None:
    rendered = render_with_locals(error)
    assert "client = " in rendered  # the frames' locals were rendered
    assert leaks([rendered], SECRETS[provider]) == [], rendered[:4000]


@pytest.mark.parametrize("status", [401, 500])
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_error_answer(provider: str, status: int, vendor: EchoVendor) -> None:
    vendor.status = status
    error = await failure(provider, vendor.url)
    assert isinstance(error, errors.APIError)
    assert error.status == status
    assert_clean(error, provider)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_refused_connection(provider: str) -> None:
    error = await failure(provider, f"http://127.0.0.1:{closed_port()}")
    assert isinstance(error, errors.TransportError)
    assert error.never_sent
    assert_clean(error, provider)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_timeout(provider: str, vendor: EchoVendor) -> None:
    vendor.hang = True  # Messengeo still gets its token: the API call itself times out
    error = await failure(provider, vendor.url)
    assert isinstance(error, errors.TimeoutError)
    assert_clean(error, provider)


async def test_a_refused_token_request(vendor: EchoVendor) -> None:
    vendor.refuse_token = True
    error = await failure("messengeo", vendor.url)
    assert isinstance(error, errors.AuthenticationError)
    assert_clean(error, "messengeo")


async def test_a_token_request_that_times_out(vendor: EchoVendor) -> None:
    vendor.hang = vendor.refuse_token = True
    error = await failure("messengeo", vendor.url)
    assert isinstance(error, errors.TimeoutError)
    assert_clean(error, "messengeo")


@pytest.mark.parametrize(
    "base_url",
    [
        "https://user:pa55word@api.example.com/v1",
        "https://bad\\host.example.com/v1",
        "https://api.example.com:99999/v1",
        "http://api.example.com/v1",
    ],
)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_bad_base_url_at_construction(provider: str, base_url: str) -> None:
    with pytest.raises(errors.InvalidRequestError) as info:
        CLIENTS[provider](base_url=base_url)
    rendered = render_with_locals(info.value)
    assert "self = " in rendered  # the constructors' frames and their locals were rendered
    assert leaks([rendered], SECRETS[provider]) == [], rendered[:4000]
    assert "pa55word" not in str(info.value)


def test_the_holders_show_no_value_but_hand_it_on() -> None:
    from contactgroups._http import RedactedHeaders, SealedBody, Secret, Secrets

    headers = RedactedHeaders({"Authorization": "AccessKey k-1", "Accept": "application/json"})
    assert "k-1" not in repr(headers)
    assert "application/json" in repr(headers)  # only credentials are hidden
    assert dict(headers) == {"Authorization": "AccessKey k-1", "Accept": "application/json"}
    assert RedactedHeaders.of(headers) is headers
    body = SealedBody(b"client_secret=s-1")
    assert "s-1" not in repr(body)
    assert body.reveal() == b"client_secret=s-1"
    secret: Any = Secret("s-2")
    assert "s-2" not in repr(secret) + str(secret) + f"{secret}"
    assert secret.reveal() == "s-2"
    assert "s-3" not in repr(Secrets(("s-3",)))
    assert Secrets(("s-3",)) == ("s-3",)


def test_a_bad_token_url_shows_no_client_secret() -> None:
    from contactgroups.messengeo.auth import ClientCredentials

    with pytest.raises(errors.InvalidRequestError) as info:
        ClientCredentials(MG_CLIENT_ID, MG_SECRET, "https://user:pw@bad host")
    rendered = render_with_locals(info.value)
    assert leaks([rendered], SECRETS["messengeo"]) == [], rendered[:4000]
    assert "ClientCredentials(token_url=None" in rendered  # the half-built object renders
