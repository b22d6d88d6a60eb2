"""OAuth 2.0 client credentials for Messengeo: one shared bearer token per client.

The token comes from ``POST https://oauth.messengeo.net/token`` (form body, ``expires_in`` as a
string). It is fetched on the first call, shared by every concurrent call (an ``asyncio.Lock``:
twenty calls that start together cause one token request), renewed before it runs out (60 s
before, or 10% of a lifetime shorter than 10 minutes) and once when the API answers 401. A
counter of token "generations" lets twenty calls that all got a 401 with the same token share one
renewal instead of fetching twenty. A refused token request (400/401) raises
``AuthenticationError`` and is not repeated; calls that were waiting for that request get the
same error instead of trying again themselves.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Mapping
from typing import Any

import yarl

from .._http import Response, Transport, check_base_url
from .._http.auth import NO_AUTH
from .._http.validate import require_credential
from ..errors import ContactGroupsError, InvalidRequestError
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
#: Lifetime assumed when the token answer has no usable ``expires_in``.
DEFAULT_LIFETIME = 3600.0


class ClientCredentials:
    """The ``Auth`` for Messengeo: ``Authorization: Bearer <token>`` from client credentials.

    Call ``bind(transport)`` once with the API transport; the token request then goes through a
    transport derived on ``token_url`` (same session, timeouts and retry policy). ``clock`` is
    the monotonic clock used for expiry (tests replace it).
    """

    def __init__(self, client_id: str, client_secret: str, token_url: str) -> None:
        self._client_id = require_credential(client_id, what="client_id", provider=PROVIDER)
        self._client_secret = require_credential(
            client_secret, what="client_secret", provider=PROVIDER
        )
        self.token_url = _check_token_url(token_url)
        self.clock: Callable[[], float] = time.monotonic
        self._endpoint: Transport | None = None
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._old_token: str | None = None
        self._renew_at: float | None = None
        self._expires_at: float | None = None
        self._generation = 0  # successful token fetches
        self._finished = 0  # token fetches finished, successful or not
        self._last_error: ContactGroupsError | None = None
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

    # -- the Auth protocol -----------------------------------------------------------------------

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(
            s for s in (self._client_secret, self._client_id, self._token, self._old_token) if s
        )

    async def headers(self) -> Mapping[str, str]:
        if not self._fresh():
            await self._renew(self._finished)
        token = self._token
        if token is None:  # pragma: no cover - _renew either sets a token or raises
            raise ContactGroupsError(f"{PROVIDER}: no access token after a token request")
        _USED_GENERATION.set((id(self), self._generation))
        return {"Authorization": f"Bearer {token}"}

    async def refresh(self) -> bool:
        """After a 401: renew the token unless another call already did since this one sent."""
        seen = self._finished
        used = _USED_GENERATION.get()
        generation = used[1] if used is not None and used[0] == id(self) else None
        if generation is not None and generation != self._generation and self._token:
            return True
        await self._renew(seen, used_generation=generation, force=True)
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

    async def _renew(
        self, seen: int, *, used_generation: int | None = None, force: bool = False
    ) -> None:
        """Fetch a token, unless a fetch finished while this call waited (``seen`` is the count
        of finished fetches when it started waiting): then share that fetch's outcome."""
        async with self._lock:
            if self._finished != seen:
                if self._last_error is not None:
                    raise self._last_error
                if self._token is not None:
                    return
            if self._token is not None and (
                (used_generation is not None and used_generation != self._generation)
                or (not force and self._fresh())
            ):
                return
            self._last_error = None
            try:
                await self._fetch()
            except ContactGroupsError as exc:
                if not force and self._still_valid():
                    # an early renewal failed but the current token still works: keep using it
                    # and try again shortly, rather than failing calls that would succeed
                    self._renew_at = min(self._expires_at or 0.0, self.clock() + RENEW_RETRY)
                    log.warning(
                        "%s token renewal failed (%s); the current one is "
                        "still valid and stays in use",
                        PROVIDER,
                        type(exc).__name__,
                    )
                    return
                self._last_error = exc
                raise
            finally:
                # counted when done, so calls that queued during this fetch share its outcome
                self._finished += 1

    async def _fetch(self) -> None:
        if self._endpoint is None:
            raise ContactGroupsError(f"{PROVIDER}: ClientCredentials.bind() was not called")
        self.token_requests += 1
        started = self.clock()
        response = await self._endpoint.request(
            "POST",
            (),
            form={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            idempotent=True,  # asking again for a token changes nothing at the vendor
        )
        token, lifetime = _read_token(response)
        self._old_token, self._token = self._token, token
        margin = min(RENEW_MARGIN, lifetime * RENEW_SHARE)
        self._renew_at = started + lifetime - margin
        self._expires_at = started + lifetime
        self._generation += 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token_url={self.token_url!r}, credentials=<redacted>)"


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


def _read_token(response: Response) -> tuple[str, float]:
    data: Any = response.json()
    if not isinstance(data, Mapping):
        raise response.malformed("the token answer is not a JSON object")
    token = data.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise response.malformed("the token answer has no access_token")
    expires = data.get("expires_in")
    lifetime = DEFAULT_LIFETIME
    if isinstance(expires, (int, float)) and not isinstance(expires, bool) and expires > 0:
        lifetime = float(expires)
    elif isinstance(expires, str):
        try:
            lifetime = float(expires) if float(expires) > 0 else DEFAULT_LIFETIME
        except ValueError:
            lifetime = DEFAULT_LIFETIME
    return token.strip(), lifetime
