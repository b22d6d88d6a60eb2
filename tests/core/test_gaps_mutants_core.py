"""Behaviour of the core that mutation testing showed no test pinned (docs/testing.md): the retry
decision's edges, what an error carries from the answer, which statuses fail a call, how a
long-running call waits, what a derived transport keeps, and the pager's checks and trimming."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from contactgroups import errors
from contactgroups._http import (
    ErrorInfo,
    HeaderAuth,
    Page,
    Pager,
    Response,
    RetryPolicy,
    Timeout,
    Transport,
)
from contactgroups._http.retry import parse_retry_after, retry_delay
from contactgroups.testing import FakeServer

AUTH = HeaderAuth({"Authorization": "Key k"}, secrets=("k",))
POLICY = RetryPolicy(max_attempts=4, backoff_base=1.0, backoff_max=8.0, retry_after_max=60)

# -- the retry decision ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        errors.TransportError("refused", never_sent=True),
        errors.TransportError("reset"),
        errors.ServerError("x", status=503, provider="p"),
    ],
    ids=["never-sent", "lost-answer", "503-without-retry-after"],
)
def test_the_backoff_draws_from_the_callers_random_source(error: errors.ContactGroupsError) -> None:
    delay = retry_delay(POLICY, error, attempt=2, idempotent=True, rng=random.Random(7))
    assert delay == POLICY.backoff(2, random.Random(7))
    assert delay != POLICY.backoff(2, random.Random(8))


def test_a_retry_after_exactly_at_the_cap_is_honoured() -> None:
    at_cap = errors.RateLimitError("x", status=429, provider="p", retry_after=60.0)
    over = errors.RateLimitError("x", status=429, provider="p", retry_after=60.5)
    assert retry_delay(POLICY, at_cap, attempt=1, idempotent=True) == 60.0
    assert retry_delay(POLICY, over, attempt=1, idempotent=True) is None


class Draw:
    """A random source that always draws ``value``."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def test_a_jitter_over_one_counts_as_full_jitter() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0, jitter=1.5)
    assert policy.backoff(1, Draw(0.5)) == 0.5  # type: ignore[arg-type]
    assert policy.backoff(3, Draw(0.25)) == 1.0  # type: ignore[arg-type]


def test_a_retry_after_date_counts_from_the_given_now() -> None:
    when = 1_700_000_000.0
    headers = {"Retry-After": email.utils.formatdate(when, usegmt=True)}
    assert parse_retry_after(headers, now=when - 30) == 30.0
    assert parse_retry_after(headers, now=when + 30) == 0.0


# -- errors and statuses, against a server on 127.0.0.1 --------------------------------------


class Answers(FakeServer):
    """Answers the scripted answers in turn, then ``status`` with ``headers``, each with a JSON
    body; ``requests`` logs what came in."""

    def __init__(self) -> None:
        super().__init__()
        self.script: list[tuple[int, dict[str, str]]] = []
        self.status = 200
        self.headers: dict[str, str] = {}
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        status, headers = self.script.pop(0) if self.script else (self.status, self.headers)
        return web.json_response({"message": "m"}, status=status, headers=headers)


@pytest.fixture
async def answers() -> AsyncIterator[Answers]:
    async with Answers() as server:
        yield server


def parse_with_ids(response: Response) -> ErrorInfo:
    request_id = response.headers.get("X-Parsed-Id")
    return ErrorInfo(message="parsed", request_id=request_id, errors=[{"field": "name"}])


async def fail(transport: Transport) -> errors.ContactGroupsError:
    try:
        with pytest.raises(errors.ContactGroupsError) as info:
            await transport.request("GET", ("g",), idempotent=True)
    finally:
        await transport.aclose()
    return info.value


async def test_an_error_keeps_the_answers_request_id_and_the_parsed_errors(
    answers: Answers,
) -> None:
    answers.status, answers.headers = 404, {"X-Request-Id": "from-header"}
    transport = Transport(
        provider="p",
        base_url=answers.url,
        auth=AUTH,
        retry=None,
        parse_error=parse_with_ids,
        request_id_header="X-Request-Id",
    )
    error = await fail(transport)
    assert isinstance(error, errors.NotFoundError)
    assert error.request_id == "from-header"  # the parser found none: the header's
    assert error.errors == ({"field": "name"},)


async def test_the_parsers_request_id_wins_over_the_headers(answers: Answers) -> None:
    answers.status = 404
    answers.headers = {"X-Request-Id": "from-header", "X-Parsed-Id": "from-body"}
    transport = Transport(
        provider="p",
        base_url=answers.url,
        auth=AUTH,
        retry=None,
        parse_error=parse_with_ids,
        request_id_header="X-Request-Id",
    )
    assert (await fail(transport)).request_id == "from-body"


async def test_a_500_may_have_landed(answers: Answers) -> None:
    answers.status = 500
    error = await fail(Transport(provider="p", base_url=answers.url, auth=AUTH, retry=None))
    assert isinstance(error, errors.ServerError)
    assert error.maybe_landed is True


@pytest.mark.parametrize("status", [300, 301, 400, 401])
async def test_these_statuses_fail_the_call(answers: Answers, status: int) -> None:
    answers.status = status
    transport = Transport(provider="p", base_url=answers.url, auth=AUTH, retry=None)
    error = await fail(transport)
    assert isinstance(error, errors.APIError)
    assert error.status == status


# -- a long-running action (202 + Retry-After) -------------------------------------------------


async def test_a_202_without_retry_after_is_asked_again_after_a_second(answers: Answers) -> None:
    answers.script = [(202, {})]
    transport = Transport(
        provider="p", base_url=answers.url, auth=AUTH, timeout=Timeout(total=1.5, connect=1.0)
    )
    try:
        response = await transport.request("POST", ("import",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert response.status == 200
    assert len(answers.requests) == 2


async def test_a_202_waits_at_most_the_clients_own_retry_after_cap(answers: Answers) -> None:
    answers.script = [(202, {"Retry-After": "20"})]
    transport = Transport(
        provider="p",
        base_url=answers.url,
        auth=AUTH,
        timeout=Timeout(total=5.0, connect=1.0),
        retry=RetryPolicy(retry_after_max=0.05),
    )
    try:
        response = await transport.request("POST", ("import",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert response.status == 200  # waited 0.05 s, not 20 s (which the 5 s budget refuses)


async def test_a_202_whose_expires_comes_before_the_next_poll_ends_the_call(
    answers: Answers,
) -> None:
    soon = email.utils.formatdate(time.time() + 2, usegmt=True)
    answers.status, answers.headers = 202, {"Retry-After": "5", "Expires": soon}
    transport = Transport(provider="p", base_url=answers.url, auth=AUTH)
    try:
        with pytest.raises(errors.TimeoutError, match="Expires") as info:
            await transport.request("POST", ("import",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert info.value.provider == "p"
    assert len(answers.requests) == 1


async def test_a_202_whose_next_poll_is_past_the_budget_ends_the_call(answers: Answers) -> None:
    answers.status, answers.headers = 202, {"Retry-After": "5"}
    limits = Timeout(call=2.0, total=2.0, connect=1.0)
    transport = Transport(provider="p", base_url=answers.url, auth=AUTH, timeout=limits)
    try:
        with pytest.raises(errors.TimeoutError, match=r"within the call's 2s budget") as info:
            await transport.request("POST", ("import",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert info.value.provider == "p"


# -- a derived transport (a client's with_options view, a token endpoint) ----------------------


def is_error(response: Response) -> bool:
    return False


def other_parser(response: Response) -> ErrorInfo:
    return ErrorInfo(message="other")


def test_a_derived_transport_keeps_every_setting_it_is_not_given() -> None:
    root = Transport(
        provider="p",
        base_url="http://127.0.0.1:9/api",
        auth=AUTH,
        verify_ssl=False,
        allow_insecure_http=True,
        parse_error=parse_with_ids,
        is_error=is_error,
        request_id_header="X-Request-Id",
    )
    child = root.derive(timeout=5)
    assert child.provider == "p"
    assert child.verify_ssl is False
    assert child._parse_error is parse_with_ids
    assert child._is_error is is_error
    assert child._request_id_header == "X-Request-Id"
    assert child.owns_session is False
    # plain http stays allowed for a derived host (the root allowed it)
    token = root.derive(base_url="http://example.com/token", auth=AUTH)
    assert str(token.base_url).startswith("http://example.com")
    replaced = root.derive(parse_error=other_parser, is_error=None)
    assert replaced._parse_error is other_parser
    assert replaced._is_error is None


# -- the pager -----------------------------------------------------------------------------------


class Listing:
    """A vendor that answers ``per_page`` items whatever limit it is sent (some ignore it)."""

    def __init__(self, per_page: int, pages: int) -> None:
        self.per_page = per_page
        self.pages = pages
        self.limits: list[int] = []

    async def fetch(self, offset: int, limit: int) -> Page[int]:
        self.limits.append(limit)
        last = offset + self.per_page >= self.per_page * self.pages
        items = list(range(offset, offset + self.per_page))
        return Page(items=items, offset=offset, next_offset=None if last else offset + limit)


async def test_max_items_trims_a_page_longer_than_asked() -> None:
    listing = Listing(per_page=10, pages=5)
    pager = Pager(listing.fetch, page_size=10, max_items=15)
    sizes = [len(page.items) async for page in pager.pages()]
    assert sizes == [10, 5]
    assert await Pager(listing.fetch, page_size=10, max_items=15).collect() == list(range(15))


async def test_the_first_page_asks_for_no_more_than_max_items() -> None:
    listing = Listing(per_page=3, pages=1)
    await Pager(listing.fetch, page_size=10, max_items=3).first_page()
    assert listing.limits == [3]


async def test_max_items_zero_sends_nothing_and_keeps_the_offset() -> None:
    listing = Listing(per_page=3, pages=1)
    page = await Pager(listing.fetch, page_size=10, max_items=0, offset=40).first_page()
    assert page.items == () and page.offset == 40
    assert listing.limits == []


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 10, "max_items": -1}, "max_items"),
        ({"page_size": 10, "offset": -1}, "offset"),
        ({"page_size": 101, "max_page_size": 100}, "over the vendor's limit of 100 per page"),
    ],
)
def test_a_bad_pager_setting_is_named_with_its_provider(
    options: dict[str, Any], named: str
) -> None:
    listing = Listing(per_page=1, pages=1)
    # the setting's name exactly (not inside another word)
    with pytest.raises(errors.InvalidRequestError, match=rf"(?<!\w){named}(?!\w)") as info:
        Pager(listing.fetch, provider="vendorx", **options)
    assert info.value.provider == "vendorx"


# -- what one call counts as an attempt ---------------------------------------------------------


class RefreshingAuth(HeaderAuth):
    """Credentials that can be renewed (as an OAuth token can): each refresh succeeds."""

    def __init__(self) -> None:
        super().__init__({"Authorization": "Bearer t"}, secrets=("t",))
        self.refreshes = 0

    async def refresh(self) -> bool:
        self.refreshes += 1
        return True


FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)


async def test_the_repeat_after_a_refreshed_401_is_not_an_attempt(answers: Answers) -> None:
    answers.script = [(401, {})]
    answers.status = 503
    auth = RefreshingAuth()
    transport = Transport(provider="p", base_url=answers.url, auth=auth, retry=FAST)
    error = await fail(transport)
    assert isinstance(error, errors.ServerError)
    assert auth.refreshes == 1
    assert len(answers.requests) == 1 + 3  # the 401, then the policy's three attempts


async def test_each_poll_of_a_long_running_call_has_the_policys_attempts(answers: Answers) -> None:
    answers.script = [(202, {"Retry-After": "0"})]
    answers.status = 503
    transport = Transport(provider="p", base_url=answers.url, auth=AUTH, retry=FAST)
    try:
        with pytest.raises(errors.ServerError):
            await transport.request("POST", ("import",), idempotent=True, long_running=True)
    finally:
        await transport.aclose()
    assert len(answers.requests) == 1 + 3  # the 202, then three attempts at the next poll


@pytest.mark.parametrize("compress", [False, True])
async def test_a_body_is_gzipped_only_when_asked(answers: Answers, compress: bool) -> None:
    transport = Transport(provider="p", base_url=answers.url, auth=AUTH, retry=None)
    try:
        kwargs = {"compress": True} if compress else {}
        await transport.request("POST", ("g",), json_body={"a": 1}, idempotent=False, **kwargs)
    finally:
        await transport.aclose()
    (request,) = answers.requests
    assert request.headers.get("Content-Encoding") == ("gzip" if compress else None)


def test_a_bad_path_segment_names_the_provider() -> None:
    transport = Transport(provider="p", base_url="https://api.example.com", auth=AUTH)
    with pytest.raises(errors.InvalidRequestError) as info:
        transport.url("groups", "..")
    assert info.value.provider == "p"
