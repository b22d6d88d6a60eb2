"""The narrow layer under the transport: one HTTP attempt, its answer read up to a size cap, and
every aiohttp failure mapped onto ``contactgroups.errors`` (the way aiobotocore's
``httpsession.py`` does it)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
import yarl
from aiohttp import hdrs

from ..errors import (
    ConnectTimeoutError,
    InvalidRequestError,
    MalformedResponseError,
    ReadTimeoutError,
    TimeoutError,
    TransportError,
)
from .redact import SealedBody, scrub
from .response import Response
from .timeouts import Timeout

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "check_max_response_bytes",
    "map_client_error",
    "send_once",
]

#: The largest answer read, counted after decompression (a client's ``max_response_bytes``).
DEFAULT_MAX_RESPONSE_BYTES = 16 * 2**20

# aiohttp would add "application/octet-stream" to a bodiless POST/PUT/PATCH
_NO_CONTENT_TYPE = ("Content-Type",)
# methods that change nothing at the vendor: an answer to one that cannot be read landed nothing
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# the most of an oversized answer an error keeps, and the start it is cut from (credentials are
# scrubbed from the whole start first, so that no cut leaves part of one behind)
_EXCERPT_CHARS = 200
_EXCERPT_SOURCE = 65536


def check_max_response_bytes(value: object) -> int:
    """``value`` if it is a usable answer cap (a positive int), else ``InvalidRequestError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(
            f"max_response_bytes must be a positive number of bytes, not {value!r}"
        )
    return value


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
    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> Response:
    """Send one attempt and read its answer; a lost answer raises ``TransportError``.

    The answer is read as a stream and counted as decoded (after gzip or deflate, which aiohttp
    undoes as it reads): past ``max_bytes``, or with a ``Content-Length`` over it, the connection
    is dropped (not returned to the pool) and ``MalformedResponseError`` is raised.
    """
    failure: TransportError | MalformedResponseError | None = None
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
            if _declared_plain(raw, max_bytes):
                # read here, not one coroutine deeper: every level is walked again on each resume
                payload, whole = await raw.read(), True
            else:
                payload, whole = await _read_capped(raw, max_bytes)
            if not whole:
                raw.close()  # the rest of the answer is unread: this connection is not reusable
                request_id = raw.headers.get(request_id_header) if request_id_header else None
                failure = _too_large(raw, payload, method, max_bytes, provider, request_id, secrets)
            else:
                return Response(
                    status=raw.status,
                    headers=raw.headers,  # case-insensitive: `retry-after` counts too
                    body=payload,
                    provider=provider,
                    request_id=raw.headers.get(request_id_header) if request_id_header else None,
                    secrets=secrets,
                    method=method,
                )
    except aiohttp.ClientError as exc:
        failure = map_client_error(exc, f"{method} to {provider}", provider, secrets)
    except asyncio.TimeoutError:
        # the total timeout (aiohttp raises a plain TimeoutError for it)
        limit = "" if timeout.total is None else f" after {timeout.total:.3g}s"
        failure = TimeoutError(f"{method} to {provider} timed out{limit}", provider=provider)
    # raised outside the except block: no __context__ carrying aiohttp's request info
    raise failure


def _declared_plain(raw: aiohttp.ClientResponse, max_bytes: int) -> bool:
    """True when the answer declares its length, within ``max_bytes``, and is neither encoded
    nor chunked: what ``read()`` gives is then exactly the bytes declared."""
    declared = raw.content_length
    if declared is None or declared > max_bytes:
        return False
    headers = raw.headers
    return hdrs.CONTENT_ENCODING not in headers and hdrs.TRANSFER_ENCODING not in headers


async def _read_capped(raw: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, bool]:
    """``(the whole decoded answer, True)``, or ``(its start, False)`` as soon as it is over
    ``max_bytes`` (at once if its ``Content-Length`` says so): an endless stream ends there."""
    declared = raw.content_length
    if declared is not None and declared > max_bytes:
        return b"", False
    chunks: list[bytes] = []
    size = 0
    async for chunk in raw.content.iter_any():
        size += len(chunk)
        if size > max_bytes:
            return (chunks[0] if chunks else chunk)[:_EXCERPT_SOURCE], False
        chunks.append(chunk)
    return b"".join(chunks), True


def _too_large(
    raw: aiohttp.ClientResponse,
    start: bytes,
    method: str,
    max_bytes: int,
    provider: str,
    request_id: str | None,
    secrets: tuple[str, ...],
) -> MalformedResponseError:
    error = MalformedResponseError(
        f"answer too large: more than {max_bytes} bytes",
        status=raw.status,
        provider=provider,
        request_id=request_id,
        body=scrub(start.decode("utf-8", errors="replace"), secrets)[:_EXCERPT_CHARS],
    )
    # the vendor received the call and answered: a write may have been applied, unless the
    # status says it was refused
    error.maybe_landed = method.upper() not in _SAFE_METHODS and not 400 <= raw.status < 500
    return error


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
