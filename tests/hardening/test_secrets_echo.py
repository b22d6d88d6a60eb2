"""A vendor that echoes every header and body it received into its error answer gets no
credential into an error: not its message, code, errors, request id or body, nor its ``str``,
``repr`` or a log line; for every provider, and for Messengeo's token endpoint too."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from secrets_hostile import CLIENTS, PROVIDERS, SECRETS, EchoVendor, leaks

from contactgroups import errors, providers
from contactgroups._http import REDACTED


@pytest.fixture
async def vendor() -> AsyncIterator[EchoVendor]:
    async with EchoVendor() as server:
        yield server


def client_for(provider: str, vendor: EchoVendor) -> Any:
    extra = {"token_url": vendor.origin + "/oauth/token"} if provider == "messengeo" else {}
    return CLIENTS[provider](base_url=vendor.url, retry=None, timeout=5, **extra)


def fields(error: errors.APIError) -> list[str]:
    """Every place an error keeps text, as it would be shown."""
    return [
        str(error),
        repr(error),
        error.message,
        repr(error.code),
        repr(error.errors),
        str(error.body),
        repr(error.request_id),
        repr(error.args),
    ]


async def first_page(provider: str, client: Any) -> None:
    await providers.get(provider).groups(client).list()


@pytest.mark.parametrize("status", [401, 400, 500])
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_echoed_credential_reaches_no_field_of_the_error(
    provider: str, status: int, vendor: EchoVendor, caplog: pytest.LogCaptureFixture
) -> None:
    vendor.status = status
    caplog.set_level(logging.DEBUG, logger="contactgroups")
    async with client_for(provider, vendor) as client:
        with pytest.raises(errors.APIError) as info:
            await first_page(provider, client)
    error = info.value
    assert error.status == status
    assert vendor.requests, "the call reached the hostile vendor"
    assert leaks(fields(error), SECRETS[provider]) == []
    assert leaks([r.getMessage() for r in caplog.records], SECRETS[provider]) == []
    # the echo did reach the error, scrubbed: the test sees what it means to see
    assert REDACTED in (error.body or "")
    assert REDACTED in repr(error.errors)
    assert REDACTED in error.message
    if provider != "messagebird":  # MessageBird's codes are numbers: see test_secrets_units
        assert REDACTED in str(error.code)
    if provider == "messageflow":  # meta.uniqId
        assert REDACTED in str(error.request_id)


async def test_a_token_endpoint_echoing_the_client_secret_leaks_nothing(
    vendor: EchoVendor, caplog: pytest.LogCaptureFixture
) -> None:
    vendor.refuse_token = True
    caplog.set_level(logging.DEBUG, logger="contactgroups")
    async with client_for("messengeo", vendor) as client:
        with pytest.raises(errors.AuthenticationError) as info:
            await first_page("messengeo", client)
    error = info.value
    token_requests = vendor.requests_to("POST", "/oauth/token")
    assert token_requests, "the token request reached the hostile vendor"
    assert leaks(fields(error), SECRETS["messengeo"]) == []
    assert leaks([r.getMessage() for r in caplog.records], SECRETS["messengeo"]) == []
    assert REDACTED in (error.body or "")  # the form body's client_secret, percent-encoded
    assert REDACTED in repr(error.errors)


async def test_messageflow_207_item_errors_echoing_credentials_leak_nothing(
    vendor: EchoVendor,
) -> None:
    """Per-item errors of a 2xx answer never pass through the transport's error path: they are
    scrubbed where the 207 is read, before they become the exceptions ``multi`` reports."""
    vendor.status = 207
    async with client_for("messageflow", vendor) as client:
        result = await client.membership.add("12", ["5", "7"])
    assert result.failed, "the echoing 207 should fail the ids"
    texts = [text for error in result.failed.values() for text in fields(error)]  # type: ignore[arg-type]
    assert any(REDACTED in text for text in texts)  # the echo reached the error, scrubbed
    assert leaks(texts, SECRETS["messageflow"]) == []
