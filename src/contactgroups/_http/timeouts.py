"""Time limits: what ``timeout=`` means on a client, a view or a call."""

from __future__ import annotations

import aiohttp
import attrs

from ..errors import InvalidRequestError

__all__ = ["DEFAULT_TIMEOUT", "Timeout", "TimeoutLike", "as_timeout"]


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
    """``value`` as a Timeout: None is no limit; a number is ``total`` (connect capped by it)."""
    if value is None:
        return Timeout(total=None, connect=None, read=None)
    if isinstance(value, Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidRequestError(f"timeout must be a positive number or a Timeout, not {value!r}")
    connect = default.connect if default.connect is None else min(default.connect, float(value))
    return Timeout(total=float(value), connect=connect, read=default.read)
