"""What every fake vendor server shares: start/stop on 127.0.0.1, fault injection, a request log.

A fake is an ``aiohttp.web.Application`` built by a vendor module plus this wrapper. Faults are
injected *before* the vendor handler runs, so a faulted request never changes the fake's state
(a retry is then the only way the change lands) — except ``slow``, which delays and then answers.
A handler refuses a request by raising ``FakeRejection`` with the vendor's own error answer.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import types
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
from aiohttp import web

__all__ = ["FakeRejection", "FakeServer", "Faults", "RecordedRequest", "json_response"]

_S = TypeVar("_S", bound="FakeServer")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeRejection(Exception):
    """Raised inside a fake's handler: answer ``response`` (the vendor-shaped error) at once.

    ``FakeServer`` catches it and sends the response, so a refusal deep in a helper needs no
    plumbing back to the handler.
    """

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


@attrs.define
class Faults:
    """Fault injection, each a probability per request (0..1), drawn from a seeded RNG.

    Attributes:
        server_error: answer a 5xx (``server_error_status``) instead of handling the request.
        rate_limit: answer 429 with ``Retry-After: retry_after`` instead of handling it.
        drop: close the connection without an answer.
        slow: wait ``slow_seconds`` before handling (to trip client timeouts).
        latency: seconds added to every request (for benchmarks), before handling.
        seed: RNG seed, so a fault pattern can be replayed.
        only_paths: if set, faults apply only to paths starting with one of these prefixes.
    """

    server_error: float = 0.0
    server_error_status: int = 503
    rate_limit: float = 0.0
    retry_after: float = 0.0
    drop: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 2.0
    latency: float = 0.0
    seed: int | None = None
    only_paths: tuple[str, ...] = ()
    _rng: random.Random = attrs.field(init=False, factory=random.Random)

    def __attrs_post_init__(self) -> None:
        self._rng.seed(self.seed)

    def draw(self) -> float:
        return self._rng.random()

    def applies_to(self, path: str) -> bool:
        return not self.only_paths or path.startswith(self.only_paths)


@attrs.frozen
class RecordedRequest:
    """One request as the fake received it (after any fault was drawn).

    ``path`` is percent-decoded; ``raw_path`` is as sent (without the query).
    """

    method: str
    path: str
    query: str
    raw_path: str
    headers: dict[str, str]
    body: bytes
    fault: str | None


class FakeServer:
    """A fake vendor on 127.0.0.1, on a free port; ``async with`` starts and stops it.

    Subclasses build ``self.app`` (routes) and keep the vendor state. ``url`` is the base URL to
    give a client (``base_url=fake.url``).
    """

    #: path prefix under which the vendor's API lives (e.g. "/v1" at Messente), part of ``url``.
    prefix: str = ""

    def __init__(self, *, faults: Faults | None = None, record: bool = True) -> None:
        self.faults = faults or Faults()
        self.record = record
        self.requests: list[RecordedRequest] = []
        self.app = web.Application(
            middlewares=[self._fault_middleware, _rejection_middleware], client_max_size=64 * 2**20
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Listen on ``host``:``port`` (0 = a free port); HTTPS with ``ssl_context``."""
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        self._port = int(runner.addresses[0][1])  # (host, port) of the socket bound
        self._host = host
        self._scheme = "https" if ssl_context is not None else "http"
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self: _S) -> _S:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake server is not started")
        return self._port

    @property
    def origin(self) -> str:
        return f"{self._scheme}://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL a client should use."""
        return self.origin + self.prefix

    def requests_to(self, method: str, path_prefix: str = "") -> list[RecordedRequest]:
        """Recorded requests with this method whose path starts with ``path_prefix``."""
        return [
            r
            for r in self.requests
            if r.method == method and r.path.startswith(self.prefix + path_prefix)
        ]

    # -- faults --------------------------------------------------------------------------------

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        faults = self.faults
        fault = self._pick_fault(request.path)
        if self.record:
            body = await request.read()
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query=request.query_string,
                    raw_path=request.raw_path.split("?", 1)[0],
                    headers=dict(request.headers),
                    body=body,
                    fault=fault,
                )
            )
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if fault == "drop":
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError  # aiohttp ends the handler quietly; nothing is answered
        if fault == "server_error":
            return self.fault_response(request, faults.server_error_status)
        if fault == "rate_limit":
            response = self.fault_response(request, 429)
            response.headers["Retry-After"] = f"{faults.retry_after:g}"
            return response
        if fault == "slow":
            await asyncio.sleep(faults.slow_seconds)
        return await handler(request)

    def _pick_fault(self, path: str) -> str | None:
        faults = self.faults
        if not (faults.server_error or faults.rate_limit or faults.drop or faults.slow):
            return None
        if not faults.applies_to(path):
            return None
        draw = faults.draw()
        for name, share in (
            ("drop", faults.drop),
            ("server_error", faults.server_error),
            ("rate_limit", faults.rate_limit),
            ("slow", faults.slow),
        ):
            if draw < share:
                return name
            draw -= share
        return None

    def fault_response(self, request: web.Request, status: int) -> web.Response:
        """The vendor's error answer for an injected fault; vendors override for their body."""
        return web.json_response({"error": f"injected {status}"}, status=status)


@web.middleware
async def _rejection_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except FakeRejection as rejection:
        return rejection.response


def json_response(data: Any, status: int = 200, **kwargs: Any) -> web.Response:
    """A compact JSON answer."""
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        **kwargs,
    )
