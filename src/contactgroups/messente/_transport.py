"""Workaround until the core fixes it: no ``Content-Type`` on a request without a body.

aiohttp adds ``Content-Type: application/octet-stream`` to every POST/PUT/PATCH that has no
``Content-Type`` header, body or not, unless the request says ``skip_auto_headers``. Messente's add
to group (``POST .../contacts/{phone}``) has no body, and the vendor's own client sends no
``Content-Type`` for it. The core transport does not pass ``skip_auto_headers``, so this transport
hands it a session wrapper that does, for owned and borrowed sessions alike. Delete this module
once ``Transport._send`` passes ``skip_auto_headers=("Content-Type",)`` for bodiless requests.
"""

from __future__ import annotations

from typing import Any, cast

import aiohttp

from .._http import Transport

__all__ = ["MessenteTransport"]


class _NoAutoContentType:
    """Forwards to a session; a request without data skips aiohttp's default Content-Type."""

    __slots__ = ("_session",)

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        if kwargs.get("data") is None and "skip_auto_headers" not in kwargs:
            kwargs["skip_auto_headers"] = ("Content-Type",)
        return self._session.request(method, url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class MessenteTransport(Transport):
    """The core transport, with bodiless requests sent without any Content-Type."""

    @property
    def session(self) -> aiohttp.ClientSession:
        return cast(aiohttp.ClientSession, _NoAutoContentType(super().session))
