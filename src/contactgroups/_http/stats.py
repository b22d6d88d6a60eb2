"""Per-task call statistics, read by ``multi`` without the transport knowing about it.

A caller sets a ``CallStats`` in the context (``collect_stats()``); every request made from that
task, and the tasks it starts, counts into it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

__all__ = ["CallStats", "collect_stats", "current_stats"]


@attrs.define
class CallStats:
    """Requests sent and retries made."""

    requests: int = 0
    retries: int = 0


_CURRENT: contextvars.ContextVar[CallStats | None] = contextvars.ContextVar(
    "contactgroups_call_stats", default=None
)


def current_stats() -> CallStats | None:
    return _CURRENT.get()


@contextmanager
def collect_stats(stats: CallStats | None = None) -> Iterator[CallStats]:
    """Count the requests made inside the ``with`` block into ``stats``."""
    target = stats if stats is not None else CallStats()
    token = _CURRENT.set(target)
    try:
        yield target
    finally:
        _CURRENT.reset(token)
