"""A Transport that puts an already encoded query string on the URL, and lets a failed token
request through the core's retry loop once (see ``TokenFailure``).

Work-around for the core: ``Transport.request(params=...)`` percent-encodes the query and then
hands the string to ``yarl.URL.with_query``, which (yarl 1.25) encodes the ``%`` again, so
``id=12,65`` arrives as ``id=12%2C65`` and ``email=a@b.fr`` as ``a%40b.fr`` (literally). Messengeo
needs commas, ``@`` and spaces in its query values, so its calls pass the query as an
``EncodedQuery`` last "segment" instead and this subclass attaches it. It keeps working unchanged
once the core is fixed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import yarl

from .._http.transport import Response, Transport
from ..errors import ContactGroupsError

__all__ = ["EncodedQuery", "MessengeoTransport", "TokenFailure", "encode_query", "unwrapping"]

_UNWRAPPING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "contactgroups_messengeo_unwrapping", default=False
)


class TokenFailure(Exception):
    """Carries a failed token request out of ``Transport.request`` untouched.

    The core's retry loop repeats an API call whose ``_send`` raised a ``TransportError``, and
    the auth headers are built inside ``_send``: a token request that could not connect (already
    retried by the token transport's own policy) would be retried again per API attempt, up to
    ``max_attempts ** 2`` token requests. Wrapped in this (not a ``ContactGroupsError``), it
    passes through the loop and ``MessengeoTransport.request`` re-raises the original error.
    """

    def __init__(self, error: ContactGroupsError) -> None:
        super().__init__(str(error))
        self.error = error


def unwrapping() -> bool:
    """True inside ``MessengeoTransport.request``, where a ``TokenFailure`` is unwrapped."""
    return _UNWRAPPING.get()


class EncodedQuery:
    """A query string, already percent-encoded (``id=12,65&sort=id%20DESC``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"EncodedQuery({self.text!r})"


def encode_query(params: Mapping[str, Any] | None) -> EncodedQuery:
    """``params`` without None values, bools as ``true``/``false``, commas left readable."""
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((key, str(value)))
    return EncodedQuery(urlencode(pairs, safe=",", quote_via=quote))


class MessengeoTransport(Transport):
    """``Transport`` whose ``url()`` accepts an ``EncodedQuery`` as the last segment."""

    def url(self, *segments: object) -> yarl.URL:
        if segments and isinstance(segments[-1], EncodedQuery):
            base = super().url(*segments[:-1])
            query = segments[-1].text
            return yarl.URL(f"{base}?{query}", encoded=True) if query else base
        return super().url(*segments)

    async def request(self, *args: Any, **kwargs: Any) -> Response:
        marker = _UNWRAPPING.set(True)
        try:
            return await super().request(*args, **kwargs)
        except TokenFailure as failure:
            raise failure.error from None
        finally:
            _UNWRAPPING.reset(marker)
