"""Auth hooks: how a provider's credentials become request headers.

An auth object never shows its secrets in ``repr`` and lists them in ``secrets`` so the transport
can scrub them from anything it logs or raises. Its headers come as ``RedactedHeaders``, whose
``repr`` hides the credential values, so no frame of a traceback rendered with locals shows them.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Protocol

from .redact import RedactedHeaders, Secrets

__all__ = ["NO_AUTH", "Auth", "BasicAuth", "HeaderAuth", "static_headers"]


class Auth(Protocol):
    """What the transport asks of a provider's credentials."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for redaction."""
        ...

    async def headers(self) -> Mapping[str, str]:
        """Headers to add to the next request (best a ``RedactedHeaders``; the transport wraps
        any other mapping in one)."""
        ...

    async def refresh(self) -> bool:
        """Called once after a 401; True if the request is worth repeating with new headers."""
        ...


class HeaderAuth:
    """Static headers (MessageBird ``AccessKey``, MessageFlow's two raw keys)."""

    def __init__(self, headers: Mapping[str, str], *, secrets: tuple[str, ...]) -> None:
        self._headers = RedactedHeaders(headers)
        self._secrets = Secrets(s for s in secrets if s)  # a tuple whose repr shows none

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    async def headers(self) -> RedactedHeaders:
        return self._headers

    def fixed_headers(self) -> RedactedHeaders | None:
        """The headers, when ``headers`` is this class's own (not replaced by a subclass or on
        the instance): they are the same for every request."""
        if type(self).headers is HeaderAuth.headers and "headers" not in vars(self):
            return self._headers
        return None

    async def refresh(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(headers={sorted(self._headers)!r}, values=<redacted>)"


class BasicAuth(HeaderAuth):
    """HTTP basic auth (Messente's API username and password)."""

    def __init__(self, username: str, password: str) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        super().__init__({"Authorization": f"Basic {token}"}, secrets=(password, token))


NO_AUTH = HeaderAuth({}, secrets=())
"""For endpoints that take their credentials in the body (an OAuth token request)."""


def static_headers(auth: object) -> RedactedHeaders | None:
    """The headers of ``auth`` when they never change (``HeaderAuth.fixed_headers``), else None:
    the transport then sends them without awaiting the hook under the call's budget (an anyio
    cancel scope per attempt)."""
    return auth.fixed_headers() if isinstance(auth, HeaderAuth) else None
