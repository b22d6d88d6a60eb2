"""Credentials steps inside a call: a token fetch that fails on a later attempt keeps what the
earlier attempts made of ``maybe_landed``; a transport derived for a token endpoint scrubs the
credentials of the one it came from as they are now (a renewed token too)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest
from test_core_transport import FAST, Answer, ScriptedServer

from contactgroups import Timeout, errors
from contactgroups._http import NO_AUTH, Transport, parse_http_date, parse_retry_after


class FlakyAuth:
    """Credentials that work for the first ``good`` calls, then the token endpoint refuses."""

    def __init__(self, good: int) -> None:
        self.good = good
        self.token = "tok-first-0001"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.token,)

    async def headers(self) -> Mapping[str, str]:
        if self.good <= 0:
            raise errors.AuthenticationError(
                "token endpoint: refused", status=401, provider="testvendor"
            )
        self.good -= 1
        return {"Authorization": f"Bearer {self.token}"}

    async def refresh(self) -> bool:
        return False


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as s:
        yield s


def transport(server: ScriptedServer, auth: FlakyAuth) -> Transport:
    return Transport(provider="testvendor", base_url=server.url, auth=auth, retry=FAST)


@pytest.mark.parametrize(
    "first",
    [Answer(503, {"message": "busy"}), Answer(200, {"ok": True}, delay=2.0)],
    ids=["5xx", "read-timeout"],
)
async def test_a_token_failure_after_an_attempt_that_may_have_landed_says_so(
    server: ScriptedServer, first: Answer
) -> None:
    server.answer(first, Answer(200))
    t = transport(server, FlakyAuth(good=1))
    limits = Timeout(call=10, total=0.5)  # the slow first answer is a read timeout
    try:
        with pytest.raises(errors.AuthenticationError) as info:
            await t.request("PUT", ("things", "1"), idempotent=True, timeout=limits)
    finally:
        await t.aclose()
    assert len(server.seen) == 1  # the second attempt never left
    assert info.value.maybe_landed is True


async def test_a_token_failure_before_anything_was_sent_did_not_land(
    server: ScriptedServer,
) -> None:
    server.answer(Answer(200))
    t = transport(server, FlakyAuth(good=0))
    try:
        with pytest.raises(errors.AuthenticationError) as info:
            await t.request("PUT", ("things", "1"), idempotent=True)
    finally:
        await t.aclose()
    assert server.seen == []
    assert info.value.maybe_landed is False


def test_a_derived_transport_scrubs_the_renewed_credentials_of_its_origin() -> None:
    auth = FlakyAuth(good=1)
    api = Transport(provider="testvendor", base_url="http://127.0.0.1:9", auth=auth)
    token_endpoint = api.derive(base_url="http://127.0.0.1:9/token", auth=NO_AUTH)
    assert "tok-first-0001" in token_endpoint.secrets()
    auth.token = "tok-renewed-0002"
    assert "tok-renewed-0002" in token_endpoint.secrets()


@pytest.mark.parametrize(
    "value",
    ["Fri, 31 Dec 9999999999999999999 23:59:59 GMT", "Sat, 01 Jan 10000 00:00:00 GMT"],
)
def test_an_http_date_past_what_the_platform_represents_is_unreadable(value: str) -> None:
    """``email.utils`` raises OverflowError on such years: a header the vendor got wrong is
    unreadable (None), never an untyped exception."""
    assert parse_retry_after({"Retry-After": value}) is None
    assert parse_http_date(value) is None
