"""What every provider client shares: the transport it holds, ``async with`` and ``aclose``."""

from __future__ import annotations

import types
from typing import ClassVar, TypeVar

from .transport import Transport

__all__ = ["BaseClient"]

_C = TypeVar("_C", bound="BaseClient")


class BaseClient:
    """A provider client. Use ``async with Client(...) as c:`` or call ``await c.aclose()``.

    A client holds one connection pool; make one per vendor account and share it across tasks.
    """

    provider: ClassVar[str]

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool if the client created it; a borrowed session stays open."""
        await self._transport.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"
