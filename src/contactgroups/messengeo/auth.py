"""OAuth 2.0 client credentials for Messengeo: one shared bearer token per client.

The token comes from ``POST https://oauth.messengeo.net/token`` (form body, ``expires_in`` as a
string). It is fetched on the first call and renewed before it runs out (60 s before, or 10% of a
lifetime shorter than 10 minutes) and once when the API answers 401. A counter of token
"generations" lets twenty calls that all got a 401 with the same token share one renewal.

Token endpoint failures are contained, whatever the endpoint does:

- **One fetch at a time.** A fetch (with the derived transport's retries and timeout) runs as a
  task of its own; every call that needs a token meanwhile waits for that task and never starts
  another one. A call that is cancelled stops waiting; the fetch goes on for the others.
- **Cool-down.** After a fetch fails, calls that need a token fail at once, without a request,
  for ``COOL_DOWN`` seconds (doubling after each further failure in a row, at most
  ``COOL_DOWN_MAX``, and at least the endpoint's ``Retry-After``). A refused token request
  (400/401) is not repeated either until then.
- **Never sent.** Each call gets its OWN exception (no traceback shared and grown by many
  raises): the class, status, code and message of the token endpoint's failure, the message
  saying it was the token endpoint (``"token endpoint: ..."``), and ``maybe_landed`` False
  (``never_sent`` True for a ``TransportError``): nothing reached the API, so ``multi`` reads
  nothing back.
- **Garbage is typed.** A 200 that is not JSON, has no usable ``access_token`` (empty, spaces or
  control characters, over ``MAX_TOKEN_CHARS``) or an ``expires_in`` that is not a number of
  seconds in ``[MIN_LIFETIME, MAX_LIFETIME]`` is a ``MalformedResponseError``.

While a still-valid token is being renewed early, a failed renewal leaves that token in use.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import yarl

from .._http import RedactedHeaders, Response, Secrets, Transport, check_base_url
from .._http.auth import NO_AUTH
from .._http.validate import require_credential
from ..errors import (
    APIError,
    ContactGroupsError,
    InvalidRequestError,
    TransportError,
)
from .errors import parse_oauth_error
from .wire import DEFAULT_TOKEN_URL, PROVIDER, log

__all__ = ["ClientCredentials"]

# (id of the auth object, token generation) the current task last put in a request: on a 401 it
# tells whether the failed request used the current token or one already replaced.
_USED_GENERATION: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    f"contactgroups_{PROVIDER}_token_generation", default=None
)

#: Renew this many seconds before the token runs out ...
RENEW_MARGIN = 60.0
#: ... or this share of its lifetime, whichever is shorter.
RENEW_SHARE = 0.1
#: After a failed early renewal, seconds before the next try (the current token is still used).
RENEW_RETRY = 5.0
#: Lifetime assumed when the token answer has no ``expires_in``.
DEFAULT_LIFETIME = 3600.0
#: The shortest and longest ``expires_in`` taken; outside (or not a number) the answer is
#: malformed.
MIN_LIFETIME = 1.0
MAX_LIFETIME = 366 * 24 * 3600.0
#: The longest ``access_token`` taken (the vendor documents up to 50,000 characters).
MAX_TOKEN_CHARS = 65_536
#: After a failed token fetch, calls fail fast (no request) for this many seconds ...
COOL_DOWN = 5.0
#: ... doubled after each further failure in a row, up to this.
COOL_DOWN_MAX = 60.0

# a bearer token goes into a header as is: visible ASCII only
_TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")


class ClientCredentials:
    """The ``Auth`` for Messengeo: ``Authorization: Bearer <token>`` from client credentials.

    Call ``bind(transport)`` once with the API transport; the token request then goes through a
    transport derived on ``token_url`` (same session, timeouts and retry policy). ``clock`` is
    the monotonic clock used for expiry and the cool-down (tests replace it).
    """

    def __init__(self, client_id: str, client_secret: str, token_url: str) -> None:
        self._client_id = require_credential(client_id, what="client_id", provider=PROVIDER)
        self._client_secret = require_credential(
            client_secret, what="client_secret", provider=PROVIDER
        )
        del client_id, client_secret  # a bad token_url below shows them in no frame
        self.token_url = _check_token_url(token_url)
        self.clock: Callable[[], float] = time.monotonic
        self._endpoint: Transport | None = None
        self._token: str | None = None
        self._old_token: str | None = None
        self._renew_at: float | None = None
        self._expires_at: float | None = None
        self._generation = 0  # successful token fetches
        # the generation fetched to replace a refused token, and until when (after the API
        # refused such a replacement too) a 401 asks for no new token: a token fetch per wave
        # of calls would not fix credentials the API itself refuses
        self._replacement: int | None = None
        self._replaced_at = 0.0
        self._refusals = 0
        self._refused_until = 0.0
        self._fetching: asyncio.Task[ContactGroupsError | None] | None = None
        # the last fetch's failure (traceback dropped: only copies of it are raised), the
        # failures in a row, and until when (on ``clock``) no new fetch is started
        self._failure: ContactGroupsError | None = None
        self._failures = 0
        self._cool_until = 0.0
        self.token_requests = 0

    def bind(self, transport: Transport) -> None:
        """Send token requests through a transport derived from ``transport`` (its session)."""
        # the credentials travel in the form body; the derived transport scrubs them
        self._endpoint = transport.derive(
            base_url=self.token_url, auth=NO_AUTH, parse_error=parse_oauth_error, is_error=None
        )

    @property
    def token_endpoint(self) -> Transport | None:
        """The transport token requests go through (None until ``bind``)."""
        return self._endpoint

    @property
    def renew_at(self) -> float | None:
        """When (on ``clock``) the current token will be renewed; None before the first one."""
        return self._renew_at

    @property
    def cool_until(self) -> float | None:
        """Until when (on ``clock``) calls fail fast after a failed token fetch; None if the
        last fetch succeeded."""
        return None if self._failure is None else self._cool_until

    # -- the Auth protocol -----------------------------------------------------------------------

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(
            s for s in (self._client_secret, self._client_id, self._token, self._old_token) if s
        )

    async def headers(self) -> Mapping[str, str]:
        # the token is never bound to a local here: tracebacks rendered with locals stay clean
        if not self._fresh():
            await self._renew()
        if self._token is None:  # pragma: no cover - _renew either leaves a token or raises
            raise ContactGroupsError(f"{PROVIDER}: no access token after a token request")
        _USED_GENERATION.set((id(self), self._generation))
        return RedactedHeaders({"Authorization": f"Bearer {self._token}"})

    async def refresh(self) -> bool:
        """After a 401: renew the token unless another call already did since this one sent.

        If the API refuses a token fetched to replace a refused one, it refuses the account, not
        an expired token: for a cool-down (5 s doubling to 60 s) a 401 asks for no new token,
        and the call raises the API's ``AuthenticationError`` as it is."""
        used = _USED_GENERATION.get()
        generation = used[1] if used is not None and used[0] == id(self) else None
        if generation is not None and generation != self._generation and self._token:
            return True
        if self.clock() < self._refused_until:
            return False
        if (
            generation is not None
            and generation == self._replacement
            and self.clock() - self._replaced_at < COOL_DOWN_MAX  # refused soon after issue
        ):
            self._refusals += 1
            pause = COOL_DOWN * 2.0 ** min(self._refusals - 1, 16)
            self._refused_until = self.clock() + min(pause, COOL_DOWN_MAX)
            self._replacement = None
            log.warning(
                "%s refused a freshly issued token; no new token is asked for %.1fs",
                PROVIDER,
                self._refused_until - self.clock(),
            )
            return False
        await self._renew(used_generation=generation, force=True)
        self._replacement, self._replaced_at = self._generation, self.clock()
        return True

    # -- internals -------------------------------------------------------------------------------

    def _still_valid(self) -> bool:
        return (
            self._token is not None
            and self._expires_at is not None
            and self.clock() < self._expires_at
        )

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        return self._renew_at is None or self.clock() < self._renew_at

    async def _renew(self, *, used_generation: int | None = None, force: bool = False) -> None:
        """Wait for the token fetch in flight, or start one; raise this call's own copy of its
        failure. ``force``: the current token was refused (a 401 with ``used_generation``)."""
        task = self._fetching
        if task is not None and task.done():
            task = self._fetching = None  # cancelled before it ran: its cleanup never did
        failure = self._failure
        cooling: float | None = None
        if task is None:
            if self._token is not None and (
                (used_generation is not None and used_generation != self._generation)
                or (not force and self._fresh())
            ):
                return
            if failure is not None and self.clock() < self._cool_until:
                if not force and self._still_valid():
                    return  # an early renewal failed: the current token still works
                cooling = self._cool_until - self.clock()
            else:
                task = asyncio.get_running_loop().create_task(self._shared_fetch(force))
                self._fetching = task
        if task is not None:
            # not `await task`: a cancelled caller leaves the fetch running for the others
            await asyncio.wait((task,))
            if task.cancelled():
                failure = TransportError("the token request was cancelled", provider=PROVIDER)
            else:
                failure = task.result()
            if failure is None or (not force and self._still_valid()):
                return
        if force and self._token is not None and used_generation in (None, self._generation):
            # the API refused this token and none replaced it: no call may use it any more
            self._renew_at = self._expires_at = self.clock()
        if failure is None:  # pragma: no cover - set on every path that gets here
            raise ContactGroupsError(f"{PROVIDER}: no access token after a token request")
        raise _call_error(failure, cooling)

    async def _shared_fetch(self, force: bool) -> ContactGroupsError | None:
        """The one fetch every waiting call shares. Its failure is returned (never raised into
        the waiters) and starts the cool-down."""
        try:
            failure = await self._attempt()
        finally:
            self._fetching = None
        if failure is None:
            self._failure, self._failures = None, 0
            return None
        now = self.clock()
        self._failure = failure
        self._failures += 1
        pause = COOL_DOWN * 2.0 ** min(self._failures - 1, 16)
        if isinstance(failure, APIError) and failure.retry_after:
            pause = max(pause, failure.retry_after)
        self._cool_until = now + min(pause, COOL_DOWN_MAX)
        if not force and self._still_valid() and self._expires_at is not None:
            # an early renewal failed but the current token still works: keep using it and try
            # again after the cool-down, rather than failing calls that would succeed
            self._renew_at = min(self._expires_at, max(now + RENEW_RETRY, self._cool_until))
            log.warning(
                "%s token renewal failed (%s); the current one is still valid and stays in use",
                PROVIDER,
                type(failure).__name__,
            )
            return failure
        log.warning(
            "%s token request failed (%s); calls fail without a request for %.1fs",
            PROVIDER,
            type(failure).__name__,
            self._cool_until - now,
        )
        return failure

    async def _attempt(self) -> ContactGroupsError | None:
        """One fetch; its failure as a bare error (no traceback, no chained exceptions)."""
        failure: ContactGroupsError
        try:
            await self._fetch()
        except ContactGroupsError as exc:
            failure = exc
        except Exception as exc:  # a bug must not reach every waiter as one shared object
            failure = ContactGroupsError(f"the token request failed ({type(exc).__name__})")
        else:
            return None
        failure.__traceback__ = failure.__context__ = failure.__cause__ = None
        return failure

    async def _fetch(self) -> None:
        if self._endpoint is None:
            raise ContactGroupsError(f"{PROVIDER}: ClientCredentials.bind() was not called")
        self.token_requests += 1
        started = self.clock()
        # the credentials only inline in the call, the token only in attributes: no local of
        # this frame holds either (``Response`` keeps its body out of its repr)
        response = _scrubbing_its_token(
            await self._endpoint.request(
                "POST",
                (),
                form={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                },
                idempotent=True,  # asking again for a token changes nothing at the vendor
            )
        )
        lifetime = _read_lifetime(response)
        self._old_token, self._token = self._token, _read_token(response)
        margin = min(RENEW_MARGIN, lifetime * RENEW_SHARE)
        self._renew_at = started + lifetime - margin
        self._expires_at = started + lifetime
        self._generation += 1

    def __repr__(self) -> str:
        token_url = getattr(self, "token_url", None)  # also on a half-built object
        return f"{type(self).__name__}(token_url={token_url!r}, credentials=<redacted>)"


def _call_error(failure: ContactGroupsError, cooling: float | None = None) -> ContactGroupsError:
    """A new error for one API call whose token fetch failed: the failure's class, status, code
    and message, saying it was the token endpoint; the call itself was never sent."""
    note = "" if cooling is None else f" (no new token request for {cooling:.1f}s)"
    text = f"{PROVIDER} token endpoint: {failure}{note}"
    error: ContactGroupsError
    if isinstance(failure, APIError):
        error = type(failure)(
            f"token endpoint: {failure.message}{note}",
            status=failure.status,
            provider=failure.provider or PROVIDER,
            code=failure.code,
            request_id=failure.request_id,
            body=failure.body,
            errors=failure.errors,
            retry_after=failure.retry_after,
        )
    elif isinstance(failure, TransportError):
        error = type(failure)(
            text,
            provider=failure.provider or PROVIDER,
            never_sent=True,  # the API call never left: only the token request did
        )
    elif isinstance(failure, InvalidRequestError):
        error = InvalidRequestError(
            f"{PROVIDER} token endpoint: {failure}{note}", provider=PROVIDER
        )
    else:
        error = ContactGroupsError(text)
        error.provider = PROVIDER
    error.maybe_landed = False
    return error


def _check_token_url(token_url: str) -> str:
    """An absolute token endpoint URL, like ``DEFAULT_TOKEN_URL``."""
    # every URL problem a typed error (the client's allow_insecure_http applies at `bind`)
    check_base_url(token_url, allow_insecure_http=True, what="token_url", provider=PROVIDER)
    url = yarl.URL(token_url)
    if not url.is_absolute() or url.query_string or url.fragment or url.path in ("", "/"):
        raise InvalidRequestError(
            f"token_url must be an absolute URL with a path and no query, like {DEFAULT_TOKEN_URL}",
            provider=PROVIDER,
        )
    return token_url


def _scrubbing_its_token(response: Response) -> Response:
    """The token answer, with the token it carries among the values scrubbed from any error made
    of it: an answer refused for another reason (an ``expires_in`` of "3600s") must not hand a
    fresh, valid token to whoever prints the error."""
    data = response.json_object()
    token = data.get("access_token") if data is not None else None
    if not isinstance(token, str) or not token.strip():
        return response
    return attrs.evolve(response, secrets=Secrets((*response.secrets, token, token.strip())))


def _token_answer(response: Response) -> Mapping[str, Any]:
    data: Any = response.json()
    if not isinstance(data, Mapping):
        raise response.malformed("the token answer is not a JSON object")
    return data


def _read_token(response: Response) -> str:
    """The answer's ``access_token``: text that can go into a header as is."""
    value = _token_answer(response).get("access_token")
    if not isinstance(value, str) or not value.strip():
        raise response.malformed("the token answer has no access_token")
    if len(value) > MAX_TOKEN_CHARS or not _TOKEN_TEXT.fullmatch(value.strip()):
        raise response.malformed("the token answer's access_token is not a usable bearer token")
    return value.strip()


def _read_lifetime(response: Response) -> float:
    """``expires_in`` (a number or a numeric string) in seconds; absent: ``DEFAULT_LIFETIME``."""
    expires = _token_answer(response).get("expires_in")
    if expires is None:
        return DEFAULT_LIFETIME
    seconds = math.nan
    if isinstance(expires, (int, float, str)) and not isinstance(expires, bool):
        with contextlib.suppress(ValueError, OverflowError):
            seconds = float(expires.strip() if isinstance(expires, str) else expires)
    if not MIN_LIFETIME <= seconds <= MAX_LIFETIME:  # NaN fails too
        shown = str(expires)[:40] if isinstance(expires, (int, float, str)) else "not a number"
        raise response.malformed(
            f"the token answer's expires_in is not a lifetime in seconds ({shown!r})"
        )
    return seconds
