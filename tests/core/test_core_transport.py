"""The shared transport against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email.utils
import gc
import logging
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web

from contactgroups import errors
from contactgroups._http import (
    ErrorInfo,
    HeaderAuth,
    RedactedHeaders,
    Response,
    RetryPolicy,
    Timeout,
    Transport,
    collect_stats,
)
from contactgroups._http.governor import AccountGovernor, GovernorPolicy
from contactgroups._version import __version__
from contactgroups.testing import FakeServer

CANARY = "canary-SECRET-4f9a1c"
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05)


@attrs.define
class Answer:
    status: int = 200
    body: Any = attrs.field(factory=lambda: {"ok": True})
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = 0.0


class ScriptedServer(FakeServer):
    """Answers each request with the next scripted answer (the last one repeats)."""

    def __init__(self) -> None:
        super().__init__()
        self.script: deque[Answer] = deque()
        self.seen: list[web.Request] = []
        self.raw_paths: list[str] = []
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request)
        self.raw_paths.append(request.raw_path)
        answer = self.script.popleft() if len(self.script) > 1 else self.script[0]
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if isinstance(answer.body, (bytes, str)):
            return web.Response(status=answer.status, body=answer.body, headers=answer.headers)
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)


def parse_error(response: Response) -> ErrorInfo:
    data = response.json()
    if isinstance(data, dict) and "message" in data:
        return ErrorInfo(message=str(data["message"]), code=data.get("code"))
    return ErrorInfo(message=f"HTTP {response.status}")


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as s:
        yield s


def make(server: ScriptedServer, **kwargs: Any) -> Transport:
    kwargs.setdefault("retry", FAST)
    return Transport(
        provider="testvendor",
        base_url=server.url,
        auth=HeaderAuth({"Authorization": f"Key {CANARY}"}, secrets=(CANARY,)),
        parse_error=parse_error,
        **kwargs,
    )


# -- session ownership ---------------------------------------------------------------------------


async def test_owned_session_is_created_lazily_and_closed_without_warning(
    server: ScriptedServer,
) -> None:
    server.answer(Answer())
    transport = make(server)
    assert transport._session is None  # nothing created before the first call
    await transport.request("GET", ("ping",), idempotent=True)
    session = transport._session
    assert session is not None and not session.closed
    await transport.aclose()
    assert session.closed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del session
        gc.collect()
    assert not [w for w in caught if "Unclosed" in str(w.message)]


async def test_borrowed_session_is_used_and_left_open(server: ScriptedServer) -> None:
    server.answer(Answer())
    async with aiohttp.ClientSession() as session:
        transport = make(server, session=session)
        await transport.request("GET", ("ping",), idempotent=True)
        assert transport._session is session
        await transport.aclose()
        assert not session.closed
        async with session.get(server.url + "/still-usable") as raw:
            assert raw.status == 200


async def test_closed_transport_refuses_new_calls(server: ScriptedServer) -> None:
    transport = make(server)
    await transport.aclose()
    with pytest.raises(errors.ContactGroupsError, match="closed"):
        await transport.request("GET", ("ping",), idempotent=True)


# -- headers and bodies --------------------------------------------------------------------------


async def test_standard_headers_and_no_body_without_content(server: ScriptedServer) -> None:
    server.answer(Answer())
    transport = make(server)
    try:
        await transport.request("DELETE", ("groups", "g1"), idempotent=True)
    finally:
        await transport.aclose()
    request = server.seen[0]
    assert request.headers["User-Agent"] == f"contactgroups/{__version__}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == f"Key {CANARY}"
    assert "Content-Type" not in request.headers
    assert server.requests[0].body == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_bodiless_writes_send_no_content_type(server: ScriptedServer, method: str) -> None:
    server.answer(Answer())
    async with aiohttp.ClientSession() as borrowed:
        for session in (None, borrowed):
            transport = make(server, session=session)
            try:
                await transport.request(method, ("groups", "g", "contacts", "+1"), idempotent=True)
            finally:
                await transport.aclose()
    assert [r.headers.get("Content-Type") for r in server.seen] == [None, None]
    assert [r.body for r in server.requests] == [b"", b""]


async def test_each_attempt_sends_the_credentials_and_body_headers_of_that_call(
    server: ScriptedServer,
) -> None:
    """Headers are made once per credentials and body headers, never carried over: a hook's new
    token is sent as soon as it gives it, a body's Content-Type with that body only."""

    class Rotating(HeaderAuth):
        tokens = iter(["one", "one", "two", "three"])
        kept = RedactedHeaders({"Authorization": "Bearer one"})

        async def headers(self) -> RedactedHeaders:
            token = next(self.tokens)
            if token == "one":  # the same object twice, then new ones
                return self.kept
            return RedactedHeaders({"Authorization": f"Bearer {token}"})

    server.answer(Answer())
    transport = Transport(
        provider="t", base_url=server.url, auth=Rotating({}, secrets=()), retry=FAST
    )
    try:
        await transport.request("POST", ("a",), json_body={"x": 1}, idempotent=True)
        await transport.request("POST", ("a",), idempotent=True)
        await transport.request("POST", ("a",), form={"x": "1"}, idempotent=True)
        await transport.request("POST", ("a",), json_body={"x": 1}, idempotent=True)
    finally:
        await transport.aclose()
    seen = [(r.headers["Authorization"], r.headers.get("Content-Type")) for r in server.seen]
    assert seen == [
        ("Bearer one", "application/json"),
        ("Bearer one", None),
        ("Bearer two", "application/x-www-form-urlencoded"),
        ("Bearer three", "application/json"),
    ]


async def test_a_wait_for_a_slot_is_not_counted_as_the_vendor_s_answer_time(
    server: ScriptedServer,
) -> None:
    """A retry is given up when the call's budget cannot hold the delay and another answer as
    long as the last; the wait for a governed slot before it is no part of that answer."""
    # the first call holds the one slot 2 s; the second waits for it, then gets a quick 503
    server.answer(Answer(delay=2.0), Answer(status=503), Answer())
    governor = AccountGovernor(GovernorPolicy(initial=1, max_concurrency=1))
    transport = make(server, governor=governor, timeout=Timeout(call=3.0))

    async def second() -> Response:
        await asyncio.sleep(0.1)  # after the first has taken the slot
        return await transport.request("GET", ("b",), idempotent=True)

    try:
        _, response = await asyncio.gather(
            transport.request("GET", ("a",), idempotent=True), second()
        )
    finally:
        await transport.aclose()
    assert response.status == 200  # retried within the second left, not given up
    assert [r.path for r in server.seen] == ["/a", "/b", "/b"]


async def test_query_values_are_encoded_once(server: ScriptedServer) -> None:
    server.answer(Answer())
    transport = make(server)
    params = [("email", "a@b.com"), ("sort", "id DESC"), ("phone", "+372 5"), ("skip", None)]
    try:
        await transport.request("GET", ("contacts",), params=params, idempotent=True)
        await transport.request("GET", ("contacts",), params={"flag": True}, idempotent=True)
    finally:
        await transport.aclose()
    assert dict(server.seen[0].query) == {"email": "a@b.com", "sort": "id DESC", "phone": "+372 5"}
    assert dict(server.seen[1].query) == {"flag": "true"}


async def test_json_and_form_bodies(server: ScriptedServer) -> None:
    server.answer(Answer())
    transport = make(server)
    try:
        await transport.request("POST", ("a",), json_body={"name": "Home"}, idempotent=False)
        await transport.request(
            "PUT", ("b",), form=[("ids[]", "1"), ("ids[]", "2")], idempotent=True
        )
    finally:
        await transport.aclose()
    assert server.seen[0].headers["Content-Type"] == "application/json"
    assert server.requests[0].body == b'{"name":"Home"}'
    assert server.seen[1].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert server.requests[1].body == b"ids%5B%5D=1&ids%5B%5D=2"


# -- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "raw"),
    [
        ("a/b", "a%2Fb"),
        ("../x", "..%2Fx"),
        ("q?x=1#f", "q%3Fx%3D1%23f"),
        ("100%", "100%25"),
        ("+3725", "%2B3725"),
        ("é", "%C3%A9"),
    ],
)
async def test_path_part_stays_inside_its_segment(
    server: ScriptedServer, part: str, raw: str
) -> None:
    server.answer(Answer())
    transport = make(server)
    try:
        await transport.request("GET", ("groups", part, "contacts"), idempotent=True)
    finally:
        await transport.aclose()
    assert server.raw_paths == [f"/groups/{raw}/contacts"]


@pytest.mark.parametrize("part", ["", ".", "..", "a\nb", "tab\there", None, 1.5, True])
async def test_bad_path_part_fails_before_sending(server: ScriptedServer, part: Any) -> None:
    transport = make(server)
    try:
        with pytest.raises(errors.InvalidRequestError):
            await transport.request("GET", ("groups", part), idempotent=True)
    finally:
        await transport.aclose()
    assert server.seen == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com", True),
        ("http://127.0.0.1:9", True),
        ("http://localhost:9", True),
        ("http://[::1]:9", True),
        ("http://api.example.com", False),
        ("ftp://api.example.com", False),
        ("/relative", False),
    ],
)
def test_plain_http_only_to_loopback(url: str, allowed: bool) -> None:
    auth = HeaderAuth({}, secrets=())
    if allowed:
        assert Transport(provider="t", base_url=url, auth=auth).base_url == url
    else:
        with pytest.raises(errors.InvalidRequestError):
            Transport(provider="t", base_url=url, auth=auth)


def test_plain_http_to_remote_host_needs_explicit_opt_in() -> None:
    auth = HeaderAuth({}, secrets=())
    transport = Transport(
        provider="t", base_url="http://api.example.com", auth=auth, allow_insecure_http=True
    )
    assert transport.base_url == "http://api.example.com"


def test_tls_verification_is_on_by_default() -> None:
    auth = HeaderAuth({}, secrets=())
    assert Transport(provider="t", base_url="https://x.example", auth=auth).verify_ssl is True


# -- retries -------------------------------------------------------------------------------------


async def test_429_is_retried_after_retry_after_seconds(server: ScriptedServer) -> None:
    server.answer(Answer(429, {"message": "slow down"}, {"Retry-After": "1"}), Answer())
    transport = make(server)
    started = time.monotonic()
    try:
        response = await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert response.status == 200
    assert len(server.seen) == 2
    assert time.monotonic() - started >= 0.95  # waited as asked, not the 10 ms backoff


async def test_retry_after_header_name_is_case_insensitive() -> None:
    async def lowercase_vendor(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 120\r\n"
            b"content-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
        )
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(lowercase_vendor, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    transport = Transport(
        provider="t",
        base_url=f"http://127.0.0.1:{port}",
        auth=HeaderAuth({}, secrets=()),
        retry=RetryPolicy(retry_after_max=30),
    )
    try:
        with pytest.raises(errors.RateLimitError) as info:
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
        listener.close()
        await listener.wait_closed()
    assert info.value.retry_after == 120


async def test_retry_after_as_http_date(server: ScriptedServer) -> None:
    when = email.utils.formatdate(time.time() + 1, usegmt=True)
    server.answer(Answer(503, {"message": "busy"}, {"Retry-After": when}), Answer())
    transport = make(server)
    try:
        await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert len(server.seen) == 2


async def test_503_is_retried_with_backoff(server: ScriptedServer) -> None:
    server.answer(Answer(503, {"message": "busy"}), Answer(502, {"message": "bad gw"}), Answer())
    transport = make(server, retry=RetryPolicy(backoff_base=0.1, jitter=0))
    started = time.monotonic()
    try:
        with collect_stats() as stats:
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert len(server.seen) == 3
    assert stats.requests == 3 and stats.retries == 2
    assert time.monotonic() - started >= 0.1 + 0.2  # 0.1 s then 0.2 s: exponential


async def test_retries_stop_after_max_attempts(server: ScriptedServer) -> None:
    server.answer(Answer(503, {"message": "busy", "code": "X1"}))
    transport = make(server, retry=RetryPolicy(max_attempts=3, backoff_base=0.01))
    try:
        with pytest.raises(errors.ServerError) as info:
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert len(server.seen) == 3
    assert info.value.status == 503 and info.value.code == "X1"


async def test_non_idempotent_call_is_not_retried(server: ScriptedServer) -> None:
    server.answer(Answer(503, {"message": "busy"}), Answer())
    transport = make(server)
    try:
        with pytest.raises(errors.ServerError):
            await transport.request("POST", ("groups",), json_body={}, idempotent=False)
    finally:
        await transport.aclose()
    assert len(server.seen) == 1


async def test_retry_none_makes_one_attempt(server: ScriptedServer) -> None:
    server.answer(Answer(429, {"message": "slow"}, {"Retry-After": "0"}), Answer())
    transport = make(server, retry=None)
    try:
        with pytest.raises(errors.RateLimitError):
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert len(server.seen) == 1


async def test_retry_after_above_cap_raises_rate_limit_error(server: ScriptedServer) -> None:
    server.answer(Answer(429, {"message": "come back later"}, {"Retry-After": "120"}), Answer())
    transport = make(server, retry=RetryPolicy(retry_after_max=30))
    try:
        with pytest.raises(errors.RateLimitError) as info:
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert info.value.retry_after == 120
    assert len(server.seen) == 1


async def test_connection_refused_is_a_transport_error_retried_even_for_creates() -> None:
    async with ScriptedServer() as gone:
        url = gone.url
    transport = Transport(provider="t", base_url=url, auth=HeaderAuth({}, secrets=()), retry=FAST)
    try:
        with collect_stats() as stats, pytest.raises(errors.TransportError) as info:
            await transport.request("POST", ("groups",), json_body={}, idempotent=False)
    finally:
        await transport.aclose()
    assert info.value.never_sent is True
    assert stats.requests == FAST.max_attempts  # nothing reached the vendor: safe to repeat


async def test_dropped_connection_is_retried_for_idempotent_calls(server: ScriptedServer) -> None:
    server.faults.drop = 1.0
    transport = make(server, retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    try:
        with pytest.raises(errors.TransportError) as info:
            await transport.request("PUT", ("g",), idempotent=True)
        assert not isinstance(info.value, errors.TimeoutError)
        server.faults.drop = 0.0
        server.answer(Answer())
        assert (await transport.request("PUT", ("g",), idempotent=True)).status == 200
    finally:
        await transport.aclose()


# -- timeouts ------------------------------------------------------------------------------------


async def test_read_timeout_raises_read_timeout_error(server: ScriptedServer) -> None:
    server.answer(Answer(delay=1.0))
    transport = make(server, timeout=Timeout(total=5, read=0.2), retry=None)
    try:
        with pytest.raises(errors.ReadTimeoutError) as info:
            await transport.request("GET", ("slow",), idempotent=True)
    finally:
        await transport.aclose()
    assert isinstance(info.value, errors.TimeoutError)
    assert isinstance(info.value, TimeoutError)  # also the builtin


async def test_total_timeout_per_call_override(server: ScriptedServer) -> None:
    server.answer(Answer(delay=1.0))
    transport = make(server, retry=None)
    try:
        with pytest.raises(errors.TimeoutError):
            await transport.request("GET", ("slow",), idempotent=True, timeout=0.2)
    finally:
        await transport.aclose()


async def test_timed_out_idempotent_call_is_retried(server: ScriptedServer) -> None:
    server.answer(Answer(delay=1.0), Answer())
    # a per-attempt limit (a plain number now bounds the whole call: no time left to retry)
    transport = make(server, timeout=Timeout(total=0.3))
    try:
        assert (await transport.request("GET", ("slow",), idempotent=True)).status == 200
    finally:
        await transport.aclose()
    assert len(server.seen) == 2


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.ValidationError),
        (401, errors.AuthenticationError),
        (403, errors.AuthenticationError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (417, errors.ValidationError),
        (422, errors.ValidationError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (302, errors.MalformedResponseError),
    ],
)
async def test_status_maps_onto_the_ladder(
    server: ScriptedServer, status: int, cls: type[errors.APIError]
) -> None:
    server.answer(Answer(status, {"message": "nope", "code": 7}))
    transport = make(server, retry=None)
    try:
        with pytest.raises(cls) as info:
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert info.value.status == status
    assert info.value.provider == "testvendor"
    assert info.value.code == 7
    assert info.value.message == "nope"
    assert '"message": "nope"' in (info.value.body or "")


async def test_error_with_html_body_keeps_the_body(server: ScriptedServer) -> None:
    server.answer(Answer(411, "<html>Length Required</html>"))
    transport = make(server, retry=None)
    try:
        with pytest.raises(errors.ValidationError) as info:
            await transport.request("PUT", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert info.value.body == "<html>Length Required</html>"


async def test_truncated_json_on_success_is_malformed_response_error(
    server: ScriptedServer,
) -> None:
    server.answer(Answer(200, '{"items": [1, 2'))
    transport = make(server)
    try:
        response = await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    with pytest.raises(errors.MalformedResponseError) as info:
        response.json()
    assert info.value.body == '{"items": [1, 2'


async def test_provider_error_check_turns_a_200_into_an_error(server: ScriptedServer) -> None:
    server.answer(Answer(200, {"status": 400, "message": "bad"}))

    def is_error(response: Response) -> bool:
        return isinstance(response.json(), dict) and response.json().get("status", 0) >= 400

    transport = make(server, is_error=is_error, retry=None)
    try:
        with pytest.raises(errors.APIError, match="bad"):
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()


async def test_401_refreshes_credentials_once(server: ScriptedServer) -> None:
    class Rotating(HeaderAuth):
        refreshes = 0

        async def refresh(self) -> bool:
            Rotating.refreshes += 1
            self._headers = {"Authorization": "new"}
            return True

    server.answer(Answer(401, {"message": "expired"}), Answer(401, {"message": "still bad"}))
    transport = Transport(
        provider="t",
        base_url=server.url,
        auth=Rotating({"Authorization": "old"}, secrets=("old", "new")),
        parse_error=parse_error,
        retry=FAST,
    )
    try:
        with pytest.raises(errors.AuthenticationError):
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert Rotating.refreshes == 1
    assert [r.headers["Authorization"] for r in server.seen] == ["old", "new"]


# -- long-running (202 + Retry-After) ------------------------------------------------------------


async def test_202_is_repeated_until_done(server: ScriptedServer) -> None:
    pending = Answer(202, {"data": []}, {"Retry-After": "0.05"})
    server.answer(pending, pending, Answer(200, {"data": [{"count": 3}]}))
    transport = make(server)
    try:
        response = await transport.request("GET", ("count",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert response.json() == {"data": [{"count": 3}]}
    assert len(server.seen) == 3


async def test_202_stops_at_expires(server: ScriptedServer) -> None:
    expires = email.utils.formatdate(time.time() + 0.5, usegmt=True)
    server.answer(Answer(202, {"data": []}, {"Retry-After": "0.2", "Expires": expires}))
    transport = make(server)
    try:
        with pytest.raises(errors.TimeoutError, match="Expires"):
            await transport.request("GET", ("count",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert 1 <= len(server.seen) <= 4


async def test_202_with_an_invalid_expires_counts_as_expired(server: ScriptedServer) -> None:
    server.answer(Answer(202, {"data": []}, {"Retry-After": "0.05", "Expires": "0"}))
    transport = make(server)
    try:
        with pytest.raises(errors.TimeoutError, match="Expires"):
            await transport.request("GET", ("count",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert len(server.seen) == 1


async def test_202_stops_at_the_call_timeout(server: ScriptedServer) -> None:
    server.answer(Answer(202, {"data": []}, {"Retry-After": "0.2"}))
    transport = make(server)
    try:
        with pytest.raises(errors.TimeoutError, match="within"):
            await transport.request(
                "GET", ("count",), idempotent=True, long_running=True, timeout=0.5
            )
    finally:
        await transport.aclose()
    assert len(server.seen) <= 3


async def test_202_without_long_running_is_returned_as_is(server: ScriptedServer) -> None:
    server.answer(Answer(202, {"data": []}, {"Retry-After": "5"}))
    transport = make(server)
    try:
        response = await transport.request("GET", ("count",), idempotent=True)
    finally:
        await transport.aclose()
    assert response.status == 202


# -- secrets -------------------------------------------------------------------------------------


async def test_credentials_never_leak_into_errors_logs_or_reprs(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="contactgroups")
    # a vendor that echoes the key back in its error body and message
    server.answer(
        Answer(503, {"message": f"key {CANARY} is throttled"}), Answer(401, {"message": CANARY})
    )
    transport = make(server)
    try:
        with pytest.raises(errors.AuthenticationError) as info:
            await transport.request("GET", ("g", CANARY[:6]), idempotent=True)
    finally:
        await transport.aclose()
    texts = [
        str(info.value),
        repr(info.value),
        info.value.message,
        info.value.body or "",
        repr(transport.auth),
        caplog.text,
        *(r.getMessage() for r in caplog.records),
    ]
    assert caplog.records, "the transport should have logged at DEBUG"
    for text in texts:
        assert CANARY not in text


async def test_cancellation_propagates_and_transport_stays_usable(server: ScriptedServer) -> None:
    server.answer(Answer(delay=2.0), Answer())
    transport = make(server)
    try:
        task = asyncio.create_task(transport.request("GET", ("slow",), idempotent=True))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await transport.request("GET", ("next",), idempotent=True)).status == 200
    finally:
        await transport.aclose()


# -- siblings and auth hooks ---------------------------------------------------------------------


async def test_derived_transport_shares_the_session_and_scrubs_the_owners_secrets(
    server: ScriptedServer,
) -> None:
    server.answer(Answer(400, {"message": f"bad client secret {CANARY}"}))
    owner = make(server)
    token = owner.derive(base_url=server.url + "/token", auth=HeaderAuth({}, secrets=()),
                          parse_error=parse_error)  # fmt: skip
    try:
        with pytest.raises(errors.ValidationError) as info:
            await token.request("POST", (), form={"grant_type": "x"}, idempotent=True)
        assert token.session is owner.session
        await token.aclose()
        assert not owner.session.closed  # a sibling never closes its owner's session
    finally:
        await owner.aclose()
    assert server.raw_paths == ["/token"]  # no trailing slash without segments
    assert CANARY not in str(info.value)
    assert CANARY not in (info.value.body or "")


async def test_a_failing_auth_hook_is_not_retried_per_attempt(server: ScriptedServer) -> None:
    class BrokenTokenSource(HeaderAuth):
        calls = 0

        async def headers(self) -> dict[str, str]:
            BrokenTokenSource.calls += 1
            raise errors.TransportError("token endpoint unreachable", provider="t")

    transport = Transport(
        provider="t", base_url=server.url, auth=BrokenTokenSource({}, secrets=()), retry=FAST
    )
    try:
        with pytest.raises(errors.TransportError, match="token endpoint"):
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert BrokenTokenSource.calls == 1
    assert server.seen == []


# -- every aiohttp failure maps onto the ladder ---------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (aiohttp.ConnectionTimeoutError(), errors.ConnectTimeoutError),
        (aiohttp.SocketTimeoutError(), errors.ReadTimeoutError),
        (aiohttp.ServerTimeoutError(), errors.TimeoutError),
        (asyncio.TimeoutError(), errors.TimeoutError),
        (aiohttp.ServerDisconnectedError(), errors.TransportError),
        (aiohttp.ClientPayloadError("truncated"), errors.TransportError),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), errors.TransportError),
    ],
)
async def test_aiohttp_failures_map_onto_the_ladder(
    raised: BaseException, expected: type[errors.ContactGroupsError]
) -> None:
    from aioresponses import aioresponses

    transport = Transport(
        provider="t",
        base_url="https://api.example.com",
        auth=HeaderAuth({"Authorization": CANARY}, secrets=(CANARY,)),
        retry=None,
    )
    try:
        with aioresponses() as mocked:
            mocked.get("https://api.example.com/g", exception=raised)
            with pytest.raises(expected) as info:
                await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    assert type(info.value) is expected
    assert info.value.provider == "t"
    assert CANARY not in str(info.value)


async def test_unreadable_answers_never_carry_credentials(server: ScriptedServer) -> None:
    server.answer(Answer(200, '{"access_token": "' + CANARY + '", "expires_in": '))
    transport = make(server)
    try:
        response = await transport.request("POST", ("token",), idempotent=True)
    finally:
        await transport.aclose()
    with pytest.raises(errors.MalformedResponseError) as info:
        response.json()
    assert CANARY not in (info.value.body or "")
    assert "<redacted>" in (info.value.body or "")
    assert CANARY not in repr(response)


async def test_an_error_after_an_unclear_attempt_says_the_call_may_have_landed(
    server: ScriptedServer,
) -> None:
    server.answer(Answer(delay=1.0), Answer(429, {"message": "slow down"}, {"Retry-After": "120"}))
    transport = make(server, timeout=Timeout(total=0.3, connect=0.3))
    try:
        with pytest.raises(errors.RateLimitError) as info:
            await transport.request("PUT", ("g", "contacts"), idempotent=True)
    finally:
        await transport.aclose()
    assert info.value.maybe_landed is True  # the timed-out first attempt may have been applied


async def test_a_clean_refusal_does_not_claim_it_may_have_landed(server: ScriptedServer) -> None:
    server.answer(Answer(404, {"message": "no such group"}))
    transport = make(server)
    try:
        with pytest.raises(errors.NotFoundError) as info:
            await transport.request("PUT", ("g", "contacts"), idempotent=True)
    finally:
        await transport.aclose()
    assert info.value.maybe_landed is False


async def test_a_borrowed_session_that_raises_for_status_still_gets_typed_errors(
    server: ScriptedServer,
) -> None:
    server.answer(Answer(404, {"message": "no such group"}))
    async with aiohttp.ClientSession(raise_for_status=True) as borrowed:
        transport = make(server, session=borrowed)
        with pytest.raises(errors.NotFoundError) as info:
            await transport.request("GET", ("g",), idempotent=True)
    assert info.value.__context__ is None or CANARY not in repr(info.value.__context__)
