"""Every wait on PostgreSQL is bounded: a pool that never frees a connection, or never closes,
costs ``pgstore.WAIT`` seconds, not for ever (no server needed: a stand-in pool)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from contactgroups.multi import pgstore
from contactgroups.multi.pgstore import PgJournal

pytestmark = pytest.mark.anyio


class StuckPool:
    """A pool whose close never ends; records what was asked of it."""

    def __init__(self) -> None:
        self.terminated = False
        self.acquire_timeout: Any = "not asked"

    async def close(self) -> None:
        await anyio.sleep_forever()

    def terminate(self) -> None:
        self.terminated = True

    def acquire(self, *, timeout: Any = None) -> str:
        self.acquire_timeout = timeout
        return "a connection"


async def test_a_close_that_never_ends_is_cut_after_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pgstore, "WAIT", 0.05)
    pool = StuckPool()
    with anyio.fail_after(5), anyio.CancelScope(shield=True):  # as the workers close it
        await PgJournal("postgresql://u:secret@db/x", "s", pool).close()
    assert pool.terminated


def test_a_connection_is_waited_for_at_most_the_wait() -> None:
    pool = StuckPool()
    PgJournal("postgresql://db/x", "s", pool).acquire()
    assert pool.acquire_timeout == pgstore.WAIT < float("inf")
