"""Time limits: what ``timeout=`` means on a client, a view or a call, and what remains of a
call's time while it runs."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import anyio
import attrs

from ..errors import ContactGroupsError, InvalidRequestError, TimeoutError

__all__ = [
    "DEFAULT_CALL_BUDGET",
    "DEFAULT_TIMEOUT",
    "CallBudget",
    "Timeout",
    "TimeoutLike",
    "as_timeout",
]

_T = TypeVar("_T")

#: The whole-call budget of the default ``Timeout`` (and of any whose ``total`` is shorter).
DEFAULT_CALL_BUDGET = 60.0


def _default_call(timeout: Timeout) -> float | None:
    # an attempt limit longer than the default budget keeps room for at least that one attempt
    return None if timeout.total is None else max(DEFAULT_CALL_BUDGET, timeout.total)


def _is_seconds(value: object) -> bool:
    """A positive, finite number of seconds (not a bool)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and 0 < value < math.inf  # NaN fails too
    )


def _seconds_or_none(
    instance: object, attribute: attrs.Attribute[float | None], value: object
) -> None:
    if value is not None and not _is_seconds(value):
        raise InvalidRequestError(
            f"{attribute.name} must be a positive number of seconds or None, not {value!r}"
        )


@attrs.frozen
class Timeout:
    """Time limits in seconds (None = no limit).

    ``call`` bounds the whole call: every attempt, the backoff and ``Retry-After`` waits between
    them, the polls of a long-running ``202`` and a token fetch. No wait is started that would end
    past it; an attempt gets at most what remains of it.
    ``total`` bounds one attempt from connect to the last body byte; ``connect`` bounds getting a
    connection; ``read`` bounds the wait for each chunk of the answer.

    Defaults: ``call`` 60 s (or ``total`` when that is longer; None when ``total`` is None),
    ``total`` 30 s, ``connect`` 10 s, ``read`` None. A plain number N passed as ``timeout=`` means
    ``Timeout(call=N, total=N, connect=min(10, N))``: it bounds the whole call.
    """

    total: float | None = 30.0
    connect: float | None = 10.0
    read: float | None = None
    call: float | None = attrs.field(
        default=attrs.Factory(_default_call, takes_self=True), validator=_seconds_or_none
    )

    def to_aiohttp(self) -> aiohttp.ClientTimeout:
        """The limits of one attempt as aiohttp takes them (made once per set of limits)."""
        key = (self.total, self.connect, self.read)
        found = _AIOHTTP_TIMEOUTS.get(key)
        if found is None:
            if len(_AIOHTTP_TIMEOUTS) >= _AIOHTTP_TIMEOUTS_KEPT:
                _AIOHTTP_TIMEOUTS.clear()  # the totals cut to a call's remaining budget vary
            found = _AIOHTTP_TIMEOUTS[key] = aiohttp.ClientTimeout(
                total=self.total, sock_connect=self.connect, sock_read=self.read
            )
        return found

    def for_attempt(self, remaining: float | None) -> Timeout:
        """The limits of one attempt that may use at most ``remaining`` seconds (None: any)."""
        if remaining is None or (self.total is not None and self.total <= remaining):
            return self
        return attrs.evolve(self, total=remaining)


DEFAULT_TIMEOUT = Timeout()
# aiohttp's (immutable) timeouts by (total, connect, read), so an attempt does not build one
_AIOHTTP_TIMEOUTS: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout] = {}
_AIOHTTP_TIMEOUTS_KEPT = 64
TimeoutLike = Timeout | float | int | None


def as_timeout(value: TimeoutLike, default: Timeout = DEFAULT_TIMEOUT) -> Timeout:
    """``value`` as a Timeout: None is no limit at all; a number N bounds the whole call and each
    attempt (``call`` and ``total``), the connect limit capped by it."""
    if value is None:
        return Timeout(total=None, connect=None, read=None, call=None)
    if isinstance(value, Timeout):
        return value
    if not _is_seconds(value):
        raise InvalidRequestError(f"timeout must be a positive number or a Timeout, not {value!r}")
    seconds = float(value)
    connect = default.connect if default.connect is None else min(default.connect, seconds)
    return Timeout(total=seconds, connect=connect, read=default.read, call=seconds)


@attrs.define
class CallBudget:
    """What remains of one call's time: its own budget (``seconds`` from ``started``, on the
    monotonic clock) and the caller's deadline.

    The caller's deadline is that of any enclosing anyio cancel scope (``anyio.fail_after``,
    ``move_on_after``, a task group's), read when a wait is decided since it may change. The
    deadline of an ``asyncio.timeout()`` block cannot be read without private asyncio APIs (the
    ``asyncio.Timeout`` object is reachable only through the caller's own reference), so such a
    block is not seen here: it cancels a wait like any other await.
    """

    seconds: float | None
    started: float = attrs.field(factory=time.monotonic)

    def remaining(self) -> float | None:
        """Seconds left of the call's own budget (negative once spent), or None without one."""
        if self.seconds is None:
            return None
        return self.started + self.seconds - time.monotonic()

    def spent(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def blocks(self, wait: float) -> str | None:
        """What a wait of ``wait`` seconds would overrun: ``"the call's Ns budget"``, ``"the
        caller's deadline"``, or None when it ends before both."""
        remaining = self.remaining()
        if remaining is not None and wait >= remaining:
            return f"the call's {self.seconds:g}s budget"
        caller = anyio.current_effective_deadline()
        if caller != math.inf and anyio.current_time() + wait >= caller:
            return "the caller's deadline"
        return None

    async def run(
        self,
        step: Callable[[], Awaitable[_T]],
        what: str,
        provider: str,
        *,
        maybe_landed: bool = False,
    ) -> _T:
        """``await step()`` within what remains of the budget (an auth hook, which may fetch a
        token); running out is ``out_of_time``. ``maybe_landed`` says whether the call's earlier
        attempts may have been applied: the step's own error then says so too."""
        try:
            remaining = self.remaining()
            if remaining is None:
                return await step()
            if remaining > 0:
                with anyio.move_on_after(remaining):
                    return await step()
        except ContactGroupsError as exc:
            exc.maybe_landed = exc.maybe_landed or maybe_landed
            raise
        raise self.out_of_time(what, provider, maybe_landed)

    def out_of_time(
        self, what: str, provider: str, maybe_landed: bool, limit: str | None = None
    ) -> TimeoutError:
        """The error of a call whose budget (or ``limit``, such as ``blocks()`` names) ran out
        ``what``: nothing of that step was sent; ``maybe_landed`` says what the call's earlier
        attempts did."""
        limit = limit or f"the call's {self.seconds:g}s budget"
        error = TimeoutError(
            f"{provider}: {limit} ran out {what}",
            provider=provider,
            never_sent=True,
        )
        error.maybe_landed = maybe_landed
        return error
