"""The narrow layer under the transport: one HTTP attempt, and every aiohttp failure mapped
onto ``contactgroups.errors`` (the way aiobotocore's ``httpsession.py`` does it)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
import yarl

from ..errors import ConnectTimeoutError, ReadTimeoutError, TimeoutError, TransportError
from .redact import SealedBody, scrub
from .response import Response
from .timeouts import Timeout

__all__ = ["map_client_error", "send_once"]

# aiohttp would add "application/octet-stream" to a bodiless POST/PUT/PATCH
_NO_CONTENT_TYPE = ("Content-Type",)


async def send_once(
    session: aiohttp.ClientSession,
    method: str,
    url: yarl.URL,
    *,
    body: SealedBody | None,
    headers: Mapping[str, str],
    timeout: Timeout,
    verify_ssl: bool,
    provider: str,
    request_id_header: str | None,
    secrets: tuple[str, ...],
) -> Response:
    """Send one attempt and read the whole answer; a lost answer raises ``TransportError``."""
    failure: TransportError | None = None
    try:
        async with session.request(
            method,
            url,
            data=None if body is None else body.reveal(),  # unwrapped here only
            headers=headers,
            timeout=timeout.to_aiohttp(),
            allow_redirects=False,
            raise_for_status=False,  # a borrowed session may say otherwise: we map statuses
            ssl=verify_ssl,
            skip_auto_headers=_NO_CONTENT_TYPE if body is None else None,
        ) as raw:
            payload = await raw.read()
            return Response(
                status=raw.status,
                headers=raw.headers,  # case-insensitive: `retry-after` counts too
                body=payload,
                provider=provider,
                request_id=raw.headers.get(request_id_header) if request_id_header else None,
                secrets=secrets,
            )
    except aiohttp.ClientError as exc:
        failure = map_client_error(exc, f"{method} to {provider}", provider, secrets)
    except asyncio.TimeoutError:
        # the total timeout (aiohttp raises a plain TimeoutError for it)
        failure = TimeoutError(
            f"{method} to {provider} timed out after {timeout.total}s", provider=provider
        )
    # raised outside the except block: no __context__ carrying aiohttp's request info
    raise failure


def map_client_error(
    exc: aiohttp.ClientError, where: str, provider: str, secrets: tuple[str, ...]
) -> TransportError:
    """The ladder's error for one aiohttp failure; ``never_sent`` where nothing left."""
    reason = scrub(type(exc).__name__, secrets)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeoutError(f"{where}: connect timed out", provider=provider)
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return ReadTimeoutError(f"{where}: read timed out", provider=provider)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return TimeoutError(f"{where}: timed out", provider=provider)
    if isinstance(exc, (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch)):
        return TransportError(f"{where}: TLS failed ({reason})", provider=provider)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return TransportError(f"{where}: DNS lookup failed", provider=provider, never_sent=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportError(
            f"{where}: could not connect ({reason})", provider=provider, never_sent=True
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransportError(f"{where}: the answer was cut off", provider=provider)
    if isinstance(exc, aiohttp.ClientConnectionError):
        return TransportError(f"{where}: connection lost ({reason})", provider=provider)
    return TransportError(f"{where} failed ({reason})", provider=provider)
