"""The transport: the one place that sends HTTP requests for every provider.

It owns or borrows the ``aiohttp.ClientSession``, adds auth and the standard headers, and runs
one call: attempts (``send.send_once``), the retry decision (``retry.retry_delay``), a refresh of
credentials after a 401, waiting out a long-running ``202``, and the vendor's error answers turned
into ``contactgroups.errors``. It logs with credentials and phone numbers redacted. Providers only
describe their endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import aiohttp
import yarl

from .._version import __version__
from ..errors import (
    APIError,
    ContactGroupsError,
    InvalidRequestError,
    TimeoutError,
    TransportError,
    error_class_for_status,
)
from .auth import Auth
from .body import encode_body
from .redact import RedactedHeaders, SealedBody, Secrets, redact_phones, scrub, scrub_value
from .response import ErrorCheck, ErrorInfo, ErrorParser, Response, default_error_parser
from .retry import DEFAULT_RETRY, RetryPolicy, parse_http_date, parse_retry_after, retry_delay
from .send import send_once
from .stats import current_stats
from .timeouts import DEFAULT_TIMEOUT, Timeout, TimeoutLike, as_timeout
from .urls import Params, check_base_url, join_path, query_pairs

__all__ = ["NOT_GIVEN", "USER_AGENT", "NotGiven", "Transport"]

USER_AGENT = f"contactgroups/{__version__}"


class NotGiven:
    """The type of ``NOT_GIVEN``: an option left as it is (None means "none" for some options)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class Transport:
    """Sends requests for one client. Not part of the public API.

    ``session`` given: borrowed, used as is and never closed. Not given: one is created (with one
    pooled keep-alive connector) on the first request, inside the running loop, and closed by
    ``aclose()``. A derived transport (``derive``) shares its root's session and never closes it.
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
        self.verify_ssl = verify_ssl
        self.log = logging.getLogger(f"contactgroups.{provider}")
        self._parse_error = parse_error
        self._is_error = is_error
        self._request_id_header = request_id_header
        self._connection_limit = connection_limit
        self._session = session
        self._owns_session = session is None
        self._root: Transport | None = None  # set on a derived transport: the session's owner
        self._extra_secrets: tuple[str, ...] = ()
        self._closed = False
        self._rng = random.Random()
        self._base_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}

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
    ) -> Transport:
        """A transport on this one's session (never closing it) with some settings changed: a
        client's ``with_options`` view, or another host of the same vendor (an OAuth token
        endpoint: other credentials, and this one's are scrubbed from its errors too)."""
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
        )
        child._root = self._root or self
        child._owns_session = False
        if auth is not None:
            child._extra_secrets = self.secrets()
        return child

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._root is not None:
            return self._root.session
        if self._closed:
            raise ContactGroupsError(f"this {self.provider} client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._connection_limit,
                limit_per_host=self._connection_limit,
                ssl=self.verify_ssl,
            )
            self._session = aiohttp.ClientSession(connector=connector, raise_for_status=False)
        return self._session

    @property
    def owns_session(self) -> bool:
        return self._owns_session

    async def aclose(self) -> None:
        """Close the session if this transport created it; a borrowed one is left open."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    # -- URLs ------------------------------------------------------------------------------------

    def url(self, *segments: object) -> yarl.URL:
        """``base_url`` + each segment percent-quoted (``/``, ``?``, ``#``, ``%`` and ``+`` too)."""
        return join_path(self.base_url, segments, provider=self.provider)

    def secrets(self) -> Secrets:
        """Every value to scrub: this transport's credentials and those it was derived beside
        (a tuple whose ``repr`` shows none of them)."""
        own = self.auth.secrets
        if not self._extra_secrets:
            return own if isinstance(own, Secrets) else Secrets(own)
        return Secrets((*own, *self._extra_secrets))

    def _safe_url(self, url: yarl.URL) -> str:
        return redact_phones(scrub(str(url), self.secrets()))

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
        Content-Type are sent. ``timeout`` overrides the client's for this call (None keeps it).
        ``long_running`` repeats a ``202 + Retry-After`` answer until the
        vendor finishes, its ``Expires`` passes or the call's total timeout runs out.
        """
        url = self.url(*segments)
        if params:
            url = url.with_query(query_pairs(params))  # yarl quotes each value exactly once
        body, headers = encode_body(json_body, form, content, content_type, compress)
        # from here on only the sealed body is used: no frame of a traceback rendered with its
        # locals shows what it carries (an OAuth token request's client secret)
        json_body = form = content = None
        call_timeout = self.timeout if timeout is None else as_timeout(timeout, self.timeout)
        started = time.monotonic()
        attempt = 0
        refreshed = False
        # set once an attempt ended without a clear answer (it may have been applied): whatever
        # error ends the call then says so, so that `multi` checks before calling it failed
        maybe_landed = False
        while True:
            attempt += 1
            # credentials first, outside the try: a failed token fetch has had its own retries
            # and must not be repeated once per attempt of this call
            auth_headers = RedactedHeaders.of(await self.auth.headers())  # repr hides values
            error: ContactGroupsError
            try:
                response = await self._send(method, url, body, headers, auth_headers, call_timeout)
            except TransportError as exc:
                error = exc
            else:
                if response.status == 401 and not refreshed and await self.auth.refresh():
                    # the vendor refused the credentials before doing anything: the repeat with
                    # fresh ones is the same attempt, not a retry (and happens once per call)
                    refreshed = True
                    attempt -= 1
                    continue
                if long_running and response.status == 202:
                    # accepted and still running: each poll is a new request with the policy's
                    # attempts of its own, bounded by the call's timeout and the vendor's Expires
                    await self._wait_long_running(response, started, call_timeout, method, url)
                    attempt = 0
                    continue
                if not self._failed(response):
                    return response
                error = self._error(response, parse_retry_after(response.headers))
            error.maybe_landed = maybe_landed = maybe_landed or error.maybe_landed
            delay = retry_delay(
                self.retry, error, attempt=attempt, idempotent=idempotent, rng=self._rng
            )
            if delay is None:
                raise error
            await self._pause(delay, method, url, str(error))

    def _failed(self, response: Response) -> bool:
        if response.status >= 400 or response.status < 200:
            return True
        if response.status >= 300:
            return True  # redirects are not followed: a vendor API never needs one
        return self._is_error is not None and self._is_error(response)

    async def _pause(self, delay: float, method: str, url: yarl.URL, why: str) -> None:
        stats = current_stats()
        if stats is not None:
            stats.retries += 1
        self.log.info("retrying %s %s in %.2fs after %s", method, self._safe_url(url), delay, why)
        await asyncio.sleep(delay)

    async def _wait_long_running(
        self,
        response: Response,
        started: float,
        call_timeout: Timeout,
        method: str,
        url: yarl.URL,
    ) -> None:
        policy = self.retry or DEFAULT_RETRY
        delay = parse_retry_after(response.headers)
        delay = 1.0 if delay is None else min(delay, policy.retry_after_max)
        expires_header = response.headers.get("Expires")
        expires = parse_http_date(expires_header)
        if expires_header is not None and expires is None:
            expires = 0.0  # RFC 9111: an invalid Expires (such as "0") is a time in the past
        if expires is not None and time.time() + delay >= expires:
            raise TimeoutError(
                f"{self.provider} did not finish the long-running action before its Expires time",
                provider=self.provider,
            )
        if (
            call_timeout.total is not None
            and time.monotonic() - started + delay > call_timeout.total
        ):
            raise TimeoutError(
                f"{self.provider} did not finish the long-running action within "
                f"{call_timeout.total:g}s",
                provider=self.provider,
            )
        self.log.debug("%s %s: 202, asking again in %.2fs", method, self._safe_url(url), delay)
        await asyncio.sleep(delay)

    def _error(self, response: Response, retry_after: float | None) -> APIError:
        """The ladder's error for a vendor's error answer, with the client's credentials scrubbed
        from every field (message, code, errors, request id, body): a vendor that echoes what
        it received gets none of it into an error, its ``str``/``repr`` or a log line."""
        secrets = self.secrets()
        try:
            info = self._parse_error(response)
            if not isinstance(info, ErrorInfo) or not isinstance(info.message, str):
                raise TypeError(f"the parser gave {type(info).__name__}, not an ErrorInfo")
        except Exception as exc:  # a parser's bug must not hide the vendor's answer
            self.log.debug(
                "%s error parser failed (%s); using the default one",
                self.provider,
                scrub(f"{type(exc).__name__}: {exc}", secrets),
            )
            info = default_error_parser(response)
        cls = info.error_class or error_class_for_status(response.status)
        code = scrub_value(info.code, secrets)
        request_id = info.request_id or response.request_id
        error = cls(
            scrub(info.message, secrets),
            status=response.status,
            provider=self.provider,
            code=code if isinstance(code, (str, int)) else None,
            request_id=scrub(request_id, secrets) if request_id else request_id,
            body=scrub(response.body_for_error(), secrets),
            errors=scrub_value(tuple(info.errors), secrets),
            retry_after=retry_after,
        )
        # what the transport saw decides, whatever class the vendor's code mapped to
        error.maybe_landed = response.status >= 500
        return error

    async def _send(
        self,
        method: str,
        url: yarl.URL,
        body: SealedBody | None,
        extra_headers: dict[str, str],
        auth_headers: Mapping[str, str],
        call_timeout: Timeout,
    ) -> Response:
        stats = current_stats()
        if stats is not None:
            stats.requests += 1
        started = time.monotonic()
        try:
            response = await send_once(
                self.session,
                method,
                url,
                body=body,
                headers=RedactedHeaders({**self._base_headers, **extra_headers, **auth_headers}),
                timeout=call_timeout,
                verify_ssl=self.verify_ssl,
                provider=self.provider,
                request_id_header=self._request_id_header,
                secrets=self.secrets(),
            )
        except TransportError as exc:
            self.log.debug("%s %s failed: %s", method, self._safe_url(url), exc)
            raise
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s %s -> %s in %.1f ms",
                method,
                self._safe_url(url),
                response.status,
                (time.monotonic() - started) * 1000,
            )
        return response
