"""The transport: the one place that sends HTTP requests for every provider.

It owns or borrows the ``aiohttp.ClientSession``, builds absolute URLs with quoted path parts,
adds auth and the standard headers, applies timeouts, runs the retry loop, maps every aiohttp
failure and every vendor error status onto ``contactgroups.errors``, and logs with credentials
and phone numbers redacted. Providers only describe their endpoints.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
import attrs
import cattrs
import yarl

from .._version import __version__
from ..errors import (
    APIError,
    ConnectTimeoutError,
    ContactGroupsError,
    InvalidRequestError,
    MalformedResponseError,
    ReadTimeoutError,
    TimeoutError,
    TransportError,
    error_class_for_status,
)
from .auth import Auth
from .redact import redact_phones, scrub
from .retry import DEFAULT_RETRY, RetryPolicy, parse_http_date, parse_retry_after
from .stats import current_stats

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ErrorInfo",
    "Response",
    "Timeout",
    "Transport",
]

T = TypeVar("T")

USER_AGENT = f"contactgroups/{__version__}"

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]

_NO_CONTENT_TYPE = ("Content-Type",)


@attrs.frozen
class Timeout:
    """Per-attempt time limits in seconds (None = no limit).

    ``total`` bounds one attempt from connect to the last body byte; ``connect`` bounds getting a
    connection; ``read`` bounds the wait for each chunk of the answer. A plain number passed as
    ``timeout=`` sets ``total`` and keeps the default connect limit.
    """

    total: float | None = 30.0
    connect: float | None = 10.0
    read: float | None = None

    def to_aiohttp(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.total, sock_connect=self.connect, sock_read=self.read
        )


DEFAULT_TIMEOUT = Timeout()
TimeoutLike = Timeout | float | int | None


def as_timeout(value: TimeoutLike, default: Timeout = DEFAULT_TIMEOUT) -> Timeout:
    if value is None:
        return Timeout(total=None, connect=None, read=None)
    if isinstance(value, Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidRequestError(f"timeout must be a positive number or a Timeout, not {value!r}")
    connect = default.connect if default.connect is None else min(default.connect, float(value))
    return Timeout(total=float(value), connect=connect, read=default.read)


@attrs.frozen
class Response:
    """A vendor's answer, read in full."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)  # may echo a credential: see `_body_for_error`
    provider: str = attrs.field(kw_only=True)
    request_id: str | None = None
    #: the client's credentials, scrubbed from any body this answer puts into an error
    secrets: tuple[str, ...] = attrs.field(default=(), repr=False)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def _body_for_error(self) -> str:
        return scrub(self.text()[:10_000], self.secrets)

    def json(self) -> Any:
        """The body as JSON; an empty body is None; anything unreadable is a typed error."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise MalformedResponseError(
                f"the answer is not JSON ({exc})",
                status=self.status,
                provider=self.provider,
                request_id=self.request_id,
                body=self._body_for_error(),
            ) from None

    def json_object(self) -> Mapping[str, Any] | None:
        """The body as a JSON object, or None for anything else (for reading error bodies,
        which may be HTML from a proxy): never raises."""
        if not self.body.strip():
            return None
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def malformed(self, why: str) -> MalformedResponseError:
        """The error for an answer that does not have the documented shape."""
        return MalformedResponseError(
            f"unexpected answer: {scrub(why, self.secrets)}",
            status=self.status,
            provider=self.provider,
            request_id=self.request_id,
            body=self._body_for_error(),
        )

    def structure(self, converter: cattrs.Converter, data: Any, cls: type[T]) -> T:
        """``data`` (part of this answer) as ``cls``; a shape mismatch is MalformedResponseError."""
        try:
            return converter.structure(data, cls)
        except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
            reasons = (
                "; ".join(cattrs.transform_error(exc))
                if isinstance(exc, cattrs.BaseValidationError)
                else str(exc)
            )
            raise self.malformed(f"{cls.__name__}: {reasons}") from None


@attrs.frozen
class ErrorInfo:
    """What a provider reads out of an error answer."""

    message: str
    code: str | int | None = None
    request_id: str | None = None
    errors: Sequence[Mapping[str, Any]] = ()
    error_class: type[APIError] | None = None


ErrorParser = Callable[[Response], ErrorInfo]
ErrorCheck = Callable[[Response], bool]


def default_error_parser(response: Response) -> ErrorInfo:
    return ErrorInfo(message=response.text()[:200] or f"HTTP {response.status}")


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_UNRESERVED_RE = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 3986: never needs quoting


def _quote_segment(text: str) -> str:
    return text if _UNRESERVED_RE.fullmatch(text) else quote(text, safe="")


def path_segment(value: object, *, what: str = "id", provider: str | None = None) -> str:
    """``value`` checked as one URL path segment (it is percent-quoted when the URL is built)."""
    if type(value) is str:
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise InvalidRequestError(
            f"{what} must be a string, not {type(value).__name__}", provider=provider
        )
    if not text:
        raise InvalidRequestError(f"{what} must not be empty", provider=provider)
    if text == "." or text == "..":
        raise InvalidRequestError(f"{what} {text!r} is not a valid id", provider=provider)
    if _CONTROL_RE.search(text):
        raise InvalidRequestError(f"{what} must not contain control characters", provider=provider)
    return text


class Transport:
    """Sends requests for one client. Not part of the public API.

    ``session`` given: borrowed, used as is and never closed. Not given: one is created (with one
    pooled keep-alive connector) on the first request, inside the running loop, and closed by
    ``aclose()``.
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
        self.base_url = self._check_base_url(base_url, allow_insecure_http)
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
        self._parent: Transport | None = None
        self._closed = False
        self._rng = random.Random()
        self._base_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}

    # -- lifecycle -----------------------------------------------------------------------------

    @staticmethod
    def _check_base_url(base_url: str, allow_insecure_http: bool) -> str:
        if not isinstance(base_url, str):
            raise InvalidRequestError("base_url must be a string")
        url = yarl.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise InvalidRequestError("base_url must be an absolute http(s) URL")
        if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
            raise InvalidRequestError(
                "base_url uses plain http to a non-loopback host; "
                "pass allow_insecure_http=True if you really mean it"
            )
        return base_url.rstrip("/")

    def sibling(
        self, *, base_url: str, auth: Auth, parse_error: ErrorParser = default_error_parser
    ) -> Transport:
        """A transport for another host of the same vendor (an OAuth token endpoint) that shares
        this one's session, timeouts, retry policy and TLS settings, and never closes the session.
        """
        child = Transport(
            provider=self.provider,
            base_url=base_url,
            auth=auth,
            timeout=self.timeout,
            retry=self.retry,
            parse_error=parse_error,
            verify_ssl=self.verify_ssl,
            allow_insecure_http=self._allow_insecure_http,
        )
        child._parent = self
        child._owns_session = False
        return child

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._parent is not None:
            return self._parent.session
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
        path = "".join(
            "/" + _quote_segment(path_segment(s, provider=self.provider)) for s in segments
        )
        return yarl.URL(self.base_url + path, encoded=True)

    def secrets(self) -> tuple[str, ...]:
        """Every value to scrub: this transport's credentials and, for a sibling, its owner's."""
        if self._parent is not None:
            return (*self.auth.secrets, *self._parent.secrets())
        return self.auth.secrets

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
            url = url.with_query(_pairs(params))  # yarl quotes each value exactly once
        body, headers = _encode_body(json_body, form, content, content_type, compress)
        call_timeout = self.timeout if timeout is None else as_timeout(timeout, self.timeout)
        started = time.monotonic()
        policy = self.retry or RetryPolicy(max_attempts=1)
        attempt = 0
        refreshed = False
        # set once an attempt ended without a clear answer (it may have been applied): whatever
        # error ends the call then says so, so that `multi` checks before calling it failed
        maybe_landed = False
        while True:
            attempt += 1
            # credentials first, outside the try: a failed token fetch has had its own retries
            # and must not be repeated once per attempt of this call
            auth_headers = await self.auth.headers()
            try:
                response = await self._send(method, url, body, headers, auth_headers, call_timeout)
            except TransportError as exc:
                exc.maybe_landed = maybe_landed or not exc.never_sent
                maybe_landed = exc.maybe_landed
                retryable = exc.never_sent or (
                    idempotent and (policy.retry_timeouts or not isinstance(exc, TimeoutError))
                )
                if self.retry is None or not retryable or attempt >= policy.max_attempts:
                    raise
                await self._pause(policy.backoff(attempt, self._rng), method, url, str(exc))
                continue

            if response.status == 401 and not refreshed and await self.auth.refresh():
                refreshed = True
                attempt -= 1
                continue

            if long_running and response.status == 202:
                await self._wait_long_running(response, started, call_timeout, method, url)
                attempt = 0
                continue

            if not self._failed(response):
                return response

            retry_after = parse_retry_after(response.headers)
            error = self._error(response, retry_after)
            error.maybe_landed = maybe_landed or response.status >= 500
            maybe_landed = error.maybe_landed
            can_retry = (
                self.retry is not None
                and idempotent
                and response.status in policy.statuses
                and attempt < policy.max_attempts
            )
            if not can_retry:
                raise error
            if retry_after is not None and retry_after > policy.retry_after_max:
                raise error
            delay = retry_after if retry_after is not None else policy.backoff(attempt, self._rng)
            await self._pause(delay, method, url, f"HTTP {response.status}")

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
        secrets = self.secrets()
        try:
            info = self._parse_error(response)
        except ContactGroupsError:
            info = default_error_parser(response)
        cls = info.error_class or error_class_for_status(response.status)
        body_text = scrub(response.text()[:10_000], secrets)
        return cls(
            scrub(info.message, secrets),
            status=response.status,
            provider=self.provider,
            code=info.code,
            request_id=info.request_id or response.request_id,
            body=body_text,
            errors=info.errors,
            retry_after=retry_after,
        )

    async def _send(
        self,
        method: str,
        url: yarl.URL,
        body: bytes | None,
        extra_headers: Mapping[str, str],
        auth_headers: Mapping[str, str],
        call_timeout: Timeout,
    ) -> Response:
        headers = {**self._base_headers, **extra_headers, **auth_headers}
        stats = current_stats()
        if stats is not None:
            stats.requests += 1
        session = self.session
        started = time.monotonic()
        failure: TransportError | None = None
        try:
            async with session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=call_timeout.to_aiohttp(),
                allow_redirects=False,
                raise_for_status=False,  # a borrowed session may say otherwise: we map statuses
                ssl=self.verify_ssl,
                # aiohttp would add "application/octet-stream" to a bodiless POST/PUT/PATCH
                skip_auto_headers=_NO_CONTENT_TYPE if body is None else None,
            ) as raw:
                payload = await raw.read()
                request_id = (
                    raw.headers.get(self._request_id_header) if self._request_id_header else None
                )
                response = Response(
                    status=raw.status,
                    headers=raw.headers,  # case-insensitive: `retry-after` counts too
                    body=payload,
                    provider=self.provider,
                    request_id=request_id,
                    secrets=self.secrets(),
                )
        except aiohttp.ClientError as exc:
            failure = self._transport_error(exc, method, url)
        except asyncio.TimeoutError:
            # the total timeout (aiohttp raises a plain TimeoutError for it)
            failure = TimeoutError(
                f"{method} to {self.provider} timed out after {call_timeout.total}s",
                provider=self.provider,
            )
        if failure is not None:
            # raised outside the except block: no __context__ carrying aiohttp's request info
            raise failure
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s %s -> %s in %.1f ms",
                method,
                self._safe_url(url),
                response.status,
                (time.monotonic() - started) * 1000,
            )
        return response

    def _transport_error(
        self, exc: aiohttp.ClientError, method: str, url: yarl.URL
    ) -> TransportError:
        where = f"{method} to {self.provider}"
        reason = scrub(type(exc).__name__, self.secrets())
        error: TransportError
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            error = ConnectTimeoutError(f"{where}: connect timed out", provider=self.provider)
        elif isinstance(exc, aiohttp.SocketTimeoutError):
            error = ReadTimeoutError(f"{where}: read timed out", provider=self.provider)
        elif isinstance(exc, aiohttp.ServerTimeoutError):
            error = TimeoutError(f"{where}: timed out", provider=self.provider)
        elif isinstance(exc, (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch)):
            error = TransportError(f"{where}: TLS failed ({reason})", provider=self.provider)
        elif isinstance(exc, aiohttp.ClientConnectorDNSError):
            error = TransportError(
                f"{where}: DNS lookup failed", provider=self.provider, never_sent=True
            )
        elif isinstance(exc, aiohttp.ClientConnectorError):
            error = TransportError(
                f"{where}: could not connect ({reason})", provider=self.provider, never_sent=True
            )
        elif isinstance(exc, aiohttp.ClientPayloadError):
            error = TransportError(f"{where}: the answer was cut off", provider=self.provider)
        elif isinstance(exc, aiohttp.ClientConnectionError):
            error = TransportError(f"{where}: connection lost ({reason})", provider=self.provider)
        else:
            error = TransportError(f"{where} failed ({reason})", provider=self.provider)
        self.log.debug("%s %s failed: %s", method, self._safe_url(url), error)
        return error


def _pairs(params: Params) -> list[tuple[str, str]]:
    """Parameters as (name, text) pairs: None left out, booleans as ``true``/``false``."""
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((key, str(value)))
    return pairs


def _query(params: Params) -> str:
    """A form body: ``application/x-www-form-urlencoded`` with spaces as ``%20``."""
    return urlencode(_pairs(params), quote_via=quote)


def _encode_body(
    json_body: Any,
    form: Params | None,
    content: bytes | None,
    content_type: str | None,
    compress: bool,
) -> tuple[bytes | None, dict[str, str]]:
    given = [x is not None for x in (json_body, form, content)]
    if sum(given) > 1:
        raise InvalidRequestError("a request takes one body: json, form or content")
    headers: dict[str, str] = {}
    body: bytes | None = None
    if json_body is not None:
        body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        body = _query(form).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif content is not None:
        body = content
        headers["Content-Type"] = content_type or "application/octet-stream"
    if body is not None and compress:
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return body, headers
