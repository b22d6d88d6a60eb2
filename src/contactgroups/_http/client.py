"""What every provider client shares: the options it takes, its transport, ``with_options``,
``async with`` and ``aclose``."""

from __future__ import annotations

import copy
import types
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Final, TypedDict, TypeVar

import aiohttp

from ..errors import InvalidRequestError
from .adapter import MembershipBase
from .auth import Auth
from .governor import AccountGovernor, GovernorPolicy
from .response import ErrorCheck, ErrorParser, default_error_parser
from .retry import RetryPolicy
from .timeouts import TimeoutLike
from .transport import NOT_GIVEN, NotGiven, Transport

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["BaseClient", "ClientOptions", "CommonKeywords", "MembershipOptions"]

_C = TypeVar("_C", bound="BaseClient")


class ClientOptions(TypedDict, total=False):
    """The options every provider client takes, besides its credentials.

    Attributes:
        base_url: the vendor's API root (tests and the demo point it at a fake).
        session: an ``aiohttp.ClientSession`` to borrow; it is never closed by the client.
        timeout: seconds for the whole call (its attempts, the waits between them and any
            ``202`` polls: none is started that would end later), or a ``Timeout`` (a budget for
            the call and limits per attempt); None for no limit. Default: ``Timeout()``, 60 s a
            call, 30 s an attempt, 10 s to connect. A caller's own deadline (an anyio cancel
            scope such as ``anyio.fail_after``) is respected the same way.
        retry: a ``RetryPolicy``, or None for no retries.
        verify_ssl: verify the vendor's TLS certificate (default True).
        allow_insecure_http: allow plain ``http://`` to a host that is not loopback.
        max_response_bytes: the largest answer read, counted after decompression (default
            16 MiB); a larger one drops its connection and raises ``MalformedResponseError``.
        trace_configs: ``aiohttp.TraceConfig`` request hooks for the session the client makes
            (not with ``session=``: add them to your own session). Its hooks see each request as
            sent, credentials included.
        governor: a ``GovernorPolicy`` to govern every call of this client: at most the number
            of calls in flight it has learnt the vendor takes (a traffic spike queues here
            instead of earning 429s). Default None: single calls are not limited, ``multi``
            governs its own calls. Either way a 429 or 503 with ``Retry-After`` pauses every
            call of the client until the time given (capped by ``RetryPolicy.retry_after_max``
            and each call's budget).
    """

    base_url: str
    session: aiohttp.ClientSession | None
    timeout: TimeoutLike
    retry: RetryPolicy | None
    verify_ssl: bool
    allow_insecure_http: bool
    max_response_bytes: int
    trace_configs: Sequence[aiohttp.TraceConfig]
    governor: GovernorPolicy | None


_OPTION_NAMES: Final = frozenset(ClientOptions.__annotations__)
# the options handed on to the transport only when given (it has its own defaults)
_TRANSPORT_OPTIONS: Final = ("timeout", "retry", "max_response_bytes")


class MembershipOptions(TypedDict, total=False):
    """The options every provider client takes for its ``multi`` adapter.

    Attributes:
        max_add_per_call: ids per add call (None: the vendor's size; never above its limit).
        max_remove_per_call: ids per remove call (likewise).
        membership_concurrency: calls ``multi`` runs at once for this account.
    """

    max_add_per_call: int | None
    max_remove_per_call: int | None
    membership_concurrency: int | None


class CommonKeywords(ClientOptions, MembershipOptions, total=False):
    """The keywords every provider client takes besides its credentials and vendor extras."""


def _trace_configs(value: object, *, borrowed: bool) -> tuple[aiohttp.TraceConfig, ...]:
    """``trace_configs=`` checked: ``aiohttp.TraceConfig`` objects, for an own session only."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InvalidRequestError(
            f"trace_configs must be a list of aiohttp.TraceConfig, not {type(value).__name__}"
        )
    for item in value:
        if not isinstance(item, aiohttp.TraceConfig):
            raise InvalidRequestError(
                f"trace_configs must hold aiohttp.TraceConfig objects, not {type(item).__name__}"
            )
    if value and borrowed:
        raise InvalidRequestError(
            "trace_configs= applies to the session the client makes; with session= add them to "
            "that session (aiohttp.ClientSession(trace_configs=...)) instead"
        )
    return tuple(value)


class BaseClient:
    """A provider client. Use ``async with Client(...) as c:`` or call ``await c.aclose()``.

    A client holds one connection pool; make one per vendor account and share it across tasks.
    A subclass names its ``provider`` and ``default_base_url``, checks its credentials, calls
    ``super().__init__`` with its auth, and builds its resources in ``_bind``.
    """

    provider: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        auth: Auth,
        *,
        parse_error: ErrorParser = default_error_parser,
        is_error: ErrorCheck | None = None,
        request_id_header: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        unknown = sorted(set(options) - _OPTION_NAMES)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument {unknown[0]!r}"
            )
        session = options.get("session")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidRequestError(
                f"session must be an aiohttp.ClientSession, not {type(session).__name__}"
            )
        trace_configs = _trace_configs(options.get("trace_configs"), borrowed=session is not None)
        self._transport = Transport(
            provider=self.provider,
            base_url=options.get("base_url", self.default_base_url),
            auth=auth,
            session=session,
            parse_error=parse_error,
            is_error=is_error,
            request_id_header=request_id_header,
            verify_ssl=options.get("verify_ssl", True),
            allow_insecure_http=options.get("allow_insecure_http", False),
            trace_configs=trace_configs,
            governor=AccountGovernor(options.get("governor")),
            **{k: options[k] for k in _TRANSPORT_OPTIONS if k in options},  # type: ignore[arg-type]
        )
        self._bind_governed(self._transport)

    def _bind_governed(self, transport: Transport) -> None:
        """``_bind``, then the membership adapter told the account's governor (for ``multi``)."""
        self._bind(transport)
        membership = getattr(self, "membership", None)
        if isinstance(membership, MembershipBase):
            membership.use_governor(transport.governor)

    def _bind(self, transport: Transport) -> None:
        """Build the resources (``groups``, ``contacts``, ``membership``) on ``transport``."""
        raise NotImplementedError

    def with_options(
        self: _C,
        *,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | NotGiven | None = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
    ) -> _C:
        """A view of this client with other limits, sharing its session, credentials, token and
        governor (its pause and its limit).

        ``client.with_options(timeout=5).groups.get(id)``: closing the view closes nothing.
        """
        view = copy.copy(self)
        view._transport = self._transport.derive(
            timeout=timeout, retry=retry, max_response_bytes=max_response_bytes
        )
        view._bind_governed(view._transport)
        return view

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
        # never raises, also for a client whose constructor failed (a traceback rendered with
        # locals calls it on the half-built `self`)
        transport = self.__dict__.get("_transport")
        shown = "<not set>" if transport is None else repr(transport.base_url)
        return f"{type(self).__name__}(base_url={shown})"
