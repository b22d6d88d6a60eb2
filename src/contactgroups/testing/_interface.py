"""What every fake vendor offers: the interface the CLI demo, the benchmarks and the pytest plugin
rely on, so code written against one fake works against the other three."""

from __future__ import annotations

import ssl
import types
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from ..providers import ProviderClient
from ._server import Faults, RecordedRequest

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._http import CommonKeywords

__all__ = ["VendorFake"]

_F = TypeVar("_F", bound="VendorFake")


@runtime_checkable
class VendorFake(Protocol):
    """A fake vendor server (``MessageBirdFake``, ``MessenteFake``, ``MessageFlowFake``,
    ``MessengeoFake``); ``async with`` starts it on 127.0.0.1 and stops it.

    Ids are what the vendor's membership calls take: contact ids, or E.164 phone numbers at
    Messente. Each fake offers more (vendor options, ``seed_members``, test hooks); this is what
    all four share.
    """

    faults: Faults
    requests: list[RecordedRequest]

    @property
    def url(self) -> str:
        """The base URL a client uses (``base_url=fake.url``)."""
        ...

    @property
    def origin(self) -> str:
        """``scheme://host:port``, without the vendor's path prefix."""
        ...

    async def start(
        self, host: str = ..., port: int = ..., *, ssl_context: ssl.SSLContext | None = ...
    ) -> None: ...

    async def stop(self) -> None: ...

    async def __aenter__(self: _F) -> _F: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None: ...

    def seed_group(self, name: str) -> str:
        """Create a group (a list, at Messengeo) directly in state, without a request; its id."""
        ...

    def seed_contacts(self, n: int) -> list[str]:
        """Create ``n`` new contacts directly in state; the ids membership calls take."""
        ...

    def member_ids(self, group_id: str) -> set[str]:
        """The ids in the group now."""
        ...

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments that point the vendor's ``Client`` at this fake (its URL and
        credentials), plain values that can cross a process boundary."""
        ...

    def client(self, **kwargs: Unpack[CommonKeywords]) -> ProviderClient:
        """The vendor's ``Client`` built from ``client_options()``; ``kwargs`` override or add."""
        ...
