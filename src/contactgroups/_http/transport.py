"""The transport: the one place that sends HTTP requests for every provider.

It owns or borrows the ``aiohttp.ClientSession``, adds auth and the standard headers, and runs
one call: attempts (``send.send_once``), the retry decision (``retry.retry_delay``), a refresh of
credentials after a 401, waiting out a long-running ``202``, and the vendor's error answers turned
into ``contactgroups.errors``. A call's time budget (``Timeout.call``) covers all of it, and no
wait is started that would end past that budget or the caller's own deadline. It logs, and
traces when the application uses OpenTelemetry, through ``observe`` (credentials and phone numbers
redacted). Providers only describe their endpoints.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Final

import aiohttp
import yarl

from .._version import __version__
from ..errors import (
    ContactGroupsError,
    InvalidRequestError,
    MalformedResponseError,
    TransportError,
)
from .auth import Auth, static_headers
from .body import encode_body
from .governor import AccountGovernor
from .loops import borrowed_session_error, foreign_loop_error, new_session, running_loop
from .observe import CallObserver, provider_logger
from .redact import RedactedHeaders, Secrets, scrub
from .response import ErrorCheck, ErrorParser, Response, default_error_parser, failed, parsed_error
from .retry import DEFAULT_RETRY, RetryPolicy, long_running_wait, parse_retry_after, retry_delay
from .send import DEFAULT_MAX_RESPONSE_BYTES, check_max_response_bytes, send_once
from .stats import current_stats
from .timeouts import DEFAULT_TIMEOUT, CallBudget, TimeoutLike, as_timeout
from .urls import Params, check_base_url, join_path, query_pairs

__all__ = ["NOT_GIVEN", "USER_AGENT", "NotGiven", "Transport"]

USER_AGENT = f"contactgroups/{__version__}"
# attempts' headers kept per transport (by credentials and body headers: a handful in practice)
_HEADERS_KEPT = 16


class NotGiven:
    """The type of ``NOT_GIVEN``: an option left as it is (None means "none" for some options)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class Transport:
    """Sends requests for one client. Not part of the public API.

    ``session`` given: borrowed, used as is and never closed. Not given: one is created (with one
    pooled keep-alive connector) on the first request, inside the running loop, and closed by
    ``aclose()`` or, failing that, by the end of that loop (so a client kept across two
    ``asyncio.run()`` calls opens a new pool in the second). A pool or a borrowed session still
    open in another event loop is a ``ContactGroupsError`` that says what to do. A derived
    transport (``derive``) shares its root's session and never closes it.
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        auth: Auth,
        session: aiohttp.ClientSession | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        parse_error: ErrorParser = default_error_parser,
        is_error: ErrorCheck | None = None,
        request_id_header: str | None = None,
        verify_ssl: bool = True,
        allow_insecure_http: bool = False,
        connection_limit: int = 100,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        governor: AccountGovernor | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = check_base_url(
            base_url, allow_insecure_http=allow_insecure_http, provider=provider
        )
        self._allow_insecure_http = allow_insecure_http
        self.auth = auth
        self.timeout = as_timeout(timeout)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidRequestError(f"retry must be a RetryPolicy or None, not {retry!r}")
        self.retry = retry
        self.max_response_bytes = check_max_response_bytes(max_response_bytes)
        self.verify_ssl = verify_ssl
        # the account's governor (its pause, and its slots where governed): shared with views
        self.governor = AccountGovernor() if governor is None else governor
        self.log = provider_logger(provider)  # every record carries observe.LOG_FIELDS
        self._parse_error = parse_error
        self._is_error = is_error
        self._request_id_header = request_id_header
        self._connection_limit = connection_limit
        self._trace_configs = tuple(trace_configs)  # for the session made here (none borrowed)
        self._session = session
        self._owns_session = session is None
        # the loop the session belongs to: where it was created (owned) or first used (borrowed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._keeper: AsyncGenerator[None, None] | None = None
        self._root: Transport | None = None  # set on a derived transport: the session's owner
        # a transport derived with other credentials (a token endpoint) scrubs those of the one it
        # was derived from too, as they are now (a renewed token included)
        self._scrub_beside: Transport | None = None
        self._closed = False
        self._rng = random.Random()
        self._base_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        # the headers of recent attempts by (credentials, body headers): see `_attempt_headers`
        self._made_headers: dict[tuple[object, ...], tuple[object, RedactedHeaders]] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    def derive(
        self,
        *,
        base_url: str | None = None,
        auth: Auth | None = None,
        parse_error: ErrorParser | None = None,
        is_error: ErrorCheck | NotGiven | None = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | NotGiven | None = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
    ) -> Transport:
        """A transport on this one's session (never closing it) with some settings changed: a
        client's ``with_options`` view, or another host of the same vendor (an OAuth token
        endpoint: other credentials, and this one's are scrubbed from its errors too). A view
        shares this one's governor; another host has its own."""
        child = Transport(
            provider=self.provider,
            base_url=self.base_url if base_url is None else base_url,
            auth=self.auth if auth is None else auth,
            timeout=self.timeout if isinstance(timeout, NotGiven) else timeout,
            retry=self.retry if isinstance(retry, NotGiven) else retry,
            parse_error=self._parse_error if parse_error is None else parse_error,
            is_error=self._is_error if isinstance(is_error, NotGiven) else is_error,
            request_id_header=self._request_id_header,
            verify_ssl=self.verify_ssl,
            allow_insecure_http=self._allow_insecure_http,
            max_response_bytes=(
                self.max_response_bytes
                if isinstance(max_response_bytes, NotGiven)
                else max_response_bytes
            ),
            governor=self.governor if base_url is None else None,
        )
        child._root = self._root or self
        child._owns_session = False
        if auth is not None:
            child._scrub_beside = self
        return child

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session for a request in the running event loop."""
        if self._root is not None:
            return self._root.session
        if self._closed:
            raise ContactGroupsError(f"this {self.provider} client is closed")
        loop = running_loop(self.provider)
        session = self._session
        if session is None or (self._owns_session and session.closed):
            # first use, or the pool was closed with its event loop: a new one in this loop
            session, self._keeper = new_session(
                limit=self._connection_limit,
                verify_ssl=self.verify_ssl,
                trace_configs=self._trace_configs,
            )
            self._session, self._loop = session, loop
            return session
        if not self._owns_session:
            if session.closed:
                raise borrowed_session_error(self.provider, "it is closed")
            self._loop = self._loop or loop  # first use: the loop it belongs to, as far as we see
        if self._loop is not loop:
            raise foreign_loop_error(self.provider, owned=self._owns_session, loop=self._loop)
        return session

    @property
    def owns_session(self) -> bool:
        return self._owns_session

    def unusable_session(self, exc: RuntimeError) -> ContactGroupsError | None:
        """The error for aiohttp's ``RuntimeError`` about the session (closed, or of another
        loop): for a borrowed one a ``ContactGroupsError``, and the loop it was first used in is
        no longer taken for its own; None for an owned one (checked before use: a bug)."""
        if self._root is not None:
            return self._root.unusable_session(exc)
        if self._owns_session:
            return None
        self._loop = None
        return borrowed_session_error(self.provider, scrub(str(exc), self.secrets()))

    async def aclose(self) -> None:
        """Close the session if this transport created it; a borrowed one is left open."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        keeper, self._keeper = self._keeper, None
        if session is None or not self._owns_session or session.closed:
            return
        if self._loop is not asyncio.get_running_loop():
            return  # its connections can only be closed by their own loop, which is elsewhere
        if keeper is not None:
            await keeper.aclose()  # closes the session
        else:  # pragma: no cover - every owned session has its keeper
            await session.close()

    # -- URLs ------------------------------------------------------------------------------------

    def url(self, *segments: object) -> yarl.URL:
        """``base_url`` + each segment percent-quoted (``/``, ``?``, ``#``, ``%`` and ``+`` too)."""
        return join_path(self.base_url, segments, provider=self.provider)

    def secrets(self) -> Secrets:
        """Every value to scrub: this transport's credentials and those it was derived beside
        (a tuple whose ``repr`` shows none of them)."""
        own = self.auth.secrets
        if self._scrub_beside is None:
            return own if isinstance(own, Secrets) else Secrets(own)
        return Secrets((*own, *self._scrub_beside.secrets()))

    # -- requests --------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        segments: Sequence[object],
        *,
        params: Params | None = None,
        json_body: Any = None,
        form: Params | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        compress: bool = False,
        idempotent: bool,
        timeout: TimeoutLike = None,
        long_running: bool = False,
    ) -> Response:
        """Send one call, retried per the policy when ``idempotent``, and return a 2xx answer.

        ``json_body``, ``form`` and ``content`` are exclusive; without any, no body and no
        Content-Type are sent. ``timeout`` overrides the client's for this call (None keeps it);
        its ``call`` budget bounds everything below, token fetches included.
        ``long_running`` repeats a ``202 + Retry-After`` answer (at most once a second) until the
        vendor finishes, its ``Expires`` passes or the call's budget runs out.
        """
        url = self.url(*segments)
        if params:
            url = url.with_query(query_pairs(params))  # yarl quotes each value exactly once
        body, headers = encode_body(json_body, form, content, content_type, compress)
        # from here on only the sealed body is used: no frame of a traceback rendered with its
        # locals shows what it carries (an OAuth token request's client secret)
        json_body = form = content = None
        call_timeout = self.timeout if timeout is None else as_timeout(timeout, self.timeout)
        # the whole call in this one coroutine: every level is walked again on each network wait
        with CallObserver(self.log, self.provider, method, url, self.secrets) as observer:
            budget = CallBudget(call_timeout.call)
            attempt = 0
            refreshed = False
            # set once an attempt ended without a clear answer (it may have been applied): whatever
            # error ends the call then says so, so that `multi` checks before calling it failed
            maybe_landed = False
            # how long the vendor took to answer last time: a wait is only started if an attempt as
            # long still fits after it (else the call would end on a timeout of its own budget)
            answer_time = 0.0
            pause_cap = (self.retry or DEFAULT_RETRY).retry_after_max
            while True:
                attempt += 1
                # credentials first, outside the try: a failed token fetch has had its own retries
                # and must not be repeated once per attempt of this call
                auth_headers = static_headers(self.auth)  # fixed ones: nothing to wait for
                if auth_headers is None:
                    auth_headers = RedactedHeaders.of(  # its repr hides the values
                        await budget.run(
                            self.auth.headers,
                            "getting credentials",
                            self.provider,
                            maybe_landed=maybe_landed,
                        )
                    )
                    if budget.spent():
                        raise budget.out_of_time(
                            "before the next attempt", self.provider, maybe_landed
                        )
                elif budget.spent():
                    raise budget.out_of_time("getting credentials", self.provider, maybe_landed)
                error: ContactGroupsError
                try:
                    # one attempt, in its own span (when tracing), once the account's governor lets
                    # it start (and told how it went); a failure is logged on its way out. Inline,
                    # not a coroutine of its own: every level is walked again on each network wait
                    slot = await self.governor.admit(
                        budget, self.provider, pause_cap=pause_cap, maybe_landed=maybe_landed
                    )
                    limits = call_timeout.for_attempt(budget.remaining())
                    stats = current_stats()
                    if stats is not None:
                        stats.requests += 1
                    sent_at = time.monotonic()  # the vendor's time, not the wait for a slot
                    with slot, observer.attempt(attempt):
                        try:
                            response = await send_once(
                                self.session,
                                observer.method,
                                observer.url,
                                body=body,
                                headers=self._attempt_headers(headers, auth_headers),
                                timeout=limits,
                                verify_ssl=self.verify_ssl,
                                provider=self.provider,
                                request_id_header=self._request_id_header,
                                secrets=self.secrets(),
                                max_bytes=self.max_response_bytes,
                            )
                        except RuntimeError as exc:
                            unusable = (
                                self.unusable_session(exc) if type(exc) is RuntimeError else None
                            )
                            if unusable is None:
                                raise
                            raise unusable from None
                        slot.answered(response.status, response.headers)
                        observer.answered(response)
                except (TransportError, MalformedResponseError) as exc:
                    error = exc
                else:
                    answer_time = time.monotonic() - sent_at
                    if (
                        response.status == 401
                        and not refreshed
                        and await budget.run(
                            self.auth.refresh,
                            "renewing credentials",
                            self.provider,
                            maybe_landed=maybe_landed,
                        )
                    ):
                        # the vendor refused the credentials before doing anything: the repeat with
                        # fresh ones is the same attempt, not a retry (and happens once per call)
                        refreshed = True
                        attempt -= 1
                        continue
                    if long_running and response.status == 202:
                        # accepted and still running: each poll is a new request with the policy's
                        # attempts of its own, bounded by the call's budget and the vendor's Expires
                        await self._wait_long_running(response, budget, answer_time, observer)
                        attempt = 0
                        continue
                    if not failed(response, self._is_error):
                        return response
                    error = parsed_error(
                        response,
                        self._parse_error,
                        # a vendor echoing what it got gets none of it into an error
                        self.secrets(),
                        provider=self.provider,
                        retry_after=parse_retry_after(response.headers),
                        parser_failed=observer.parser_failed,
                    )
                error.maybe_landed = maybe_landed = maybe_landed or error.maybe_landed
                delay = retry_delay(
                    self.retry, error, attempt=attempt, idempotent=idempotent, rng=self._rng
                )
                if delay is None:
                    raise error
                blocker = budget.blocks(delay + answer_time)
                if blocker is not None:
                    # the last definite error, as it is (a 429 keeps its retry_after)
                    observer.giving_up(error, delay, blocker)
                    raise error
                await self._pause(delay, observer, error)

    def _attempt_headers(
        self, body_headers: dict[str, str], auth_headers: RedactedHeaders
    ) -> RedactedHeaders:
        """The standard headers, the body's and the credentials' in one ``RedactedHeaders``: the
        one made last time for the same credentials object (fixed ones: the same every time) and
        the same body headers, else a new one (a few kept; aiohttp only reads them)."""
        key = (id(auth_headers), *body_headers.items())
        made = self._made_headers.get(key)
        if made is not None and made[0] is auth_headers:
            return made[1]
        headers = RedactedHeaders.merged(self._base_headers, body_headers, auth_headers)
        if len(self._made_headers) >= _HEADERS_KEPT:
            self._made_headers.clear()
        self._made_headers[key] = (auth_headers, headers)
        return headers

    async def _pause(self, delay: float, observer: CallObserver, error: ContactGroupsError) -> None:
        stats = current_stats()
        if stats is not None:
            stats.retries += 1
        observer.retrying(delay, error)
        await asyncio.sleep(delay)

    async def _wait_long_running(
        self,
        response: Response,
        budget: CallBudget,
        answer_time: float,
        observer: CallObserver,
    ) -> None:
        delay = long_running_wait(
            self.retry,
            response.headers,
            blocks=lambda wait: budget.blocks(wait + answer_time),
            provider=self.provider,
        )
        observer.polling(delay)
        await asyncio.sleep(delay)
