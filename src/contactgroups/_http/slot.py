"""One request's passage through its account's governor (``governor.AccountGovernor``): the
slot it holds, if any, and what it tells the governor about how the attempt went."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Protocol

import anyio
import attrs

from ..errors import ContactGroupsError
from .retry import is_overload, parse_retry_after

__all__ = ["Governed", "Slot", "Waiter"]


class Governed(Protocol):
    """What a slot tells its governor (``governor.AccountGovernor``, which imports this module)."""

    def now(self) -> float: ...

    def on_overload(self, *, started: float, now: float, limited: bool = False) -> None: ...

    def pause(self, seconds: float, now: float) -> None: ...

    def on_success(
        self, latency: float, *, started: float, busy: bool, now: float, in_flight: int
    ) -> None: ...

    def give_back(self) -> None: ...


@attrs.define(eq=False)
class Waiter:
    """A request waiting for a free slot: set once one is handed over."""

    event: anyio.Event = attrs.field(factory=anyio.Event)
    granted: bool = False


@attrs.define(eq=False)
class Slot:
    """One request's passage through the governor: ``with slot:`` around the attempt, then
    ``answered(...)`` with its status (an exception leaving the block reports itself)."""

    governor: Governed
    gated: bool
    pause_cap: float
    held: bool = False
    busy: bool = False  # it found at least half the slots in use
    started: float = 0.0
    in_flight: int = 0  # the governor's calls in flight when it took its slot (itself included)
    done: bool = False

    def __enter__(self) -> Slot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        if isinstance(exc, ContactGroupsError) and is_overload(exc):
            self.finish(True, None)  # a timeout
        self.release()  # any other failure (a lost answer, a bug, a cancellation): no sample

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        """The vendor answered ``status``: a sample, or an overload (with its pause)."""
        overload = is_overload(status)
        self.finish(overload, parse_retry_after(headers) if overload else None, status == 429)

    def finish(self, overload: bool, retry_after: float | None, limited: bool = False) -> None:
        if self.done:
            return
        governor = self.governor
        now = governor.now()
        if overload:
            governor.on_overload(started=self.started, now=now, limited=limited)
            if retry_after is not None and retry_after <= self.pause_cap:
                governor.pause(retry_after, now)
        else:
            governor.on_success(
                now - self.started,
                started=self.started,
                busy=self.busy,
                now=now,
                in_flight=self.in_flight,
            )
        self.release()

    def release(self) -> None:
        """Return the slot (once; a request that ends without an answer leaves no sample)."""
        self.done = True
        if self.held:
            self.held = False
            self.governor.give_back()
