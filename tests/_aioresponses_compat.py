"""aioresponses 0.7.9 predates aiohttp 3.14, whose ClientResponse needs ``stream_writer``.

Upstream: pnuckowski/aioresponses#289 (open). Until a release fixes it, the mocked responses are
built through a subclass that supplies a stand-in writer. Remove once aioresponses ships the fix.
"""

from __future__ import annotations

import inspect
from typing import Any

import aioresponses.core
from aiohttp import ClientResponse


class _FinishedWriter:
    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _FinishedWriter())
        super().__init__(method, url, **kwargs)


def install() -> None:
    if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
        aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]
