"""Red team of the SQLite journal (format 3): each test names the promise it attacks and failed
before its fix (a finding not fixed is a strict xfail). Promises: every id has exactly one
outcome; a kill or a cancellation costs nothing but the calls in flight; another job's journal,
a damaged journal and a second run at once are refused with ``JournalError``; the live report
and the report read back from disk agree."""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import pytest
from test_redteam_multi import Client, Hostile

from contactgroups import multi
from contactgroups.multi import Outcome, Report, Target
from contactgroups.multi import journal as journal_module
from contactgroups.multi.journal import Journal, JournalLedger

# -- every id has exactly one outcome: ids JSON cannot carry whole ---------------------------------


@pytest.mark.parametrize(
    "ids",
    [
        ["a\0b", "a\0c"],  # one batch: both were "a" to SQLite's json_each (a UNIQUE error)
        ["a\0b", "x", "y", "a"],  # "a" in a later batch: taken for a repeat of "a\0b", dropped
        ["a", "x", "y", "a\0b", "a"],
    ],
    ids=["same-batch", "later-batch-silent", "repeat-kept-once"],
)
async def test_streamed_ids_holding_a_nul_are_each_kept_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ids: list[str]
) -> None:
    """A streamed target's ids that differ only after a NUL are distinct ids: each is sent and
    reported once, as a held target's are (the journal's de-duplication used to cut them at the
    NUL: a ``JournalError`` or, across batches, an id silently dropped with no outcome)."""
    monkeypatch.setattr(journal_module, "BLOCK", 2)  # a batch of ingest every two ids
    vendor = Hostile()
    report = await multi.add([Target(Client(vendor), "g", iter(ids))], journal=tmp_path / "job.db")
    unique = list(dict.fromkeys(ids))
    for read in (report, Report.load(tmp_path / "job.db")):
        assert [i for _, i, _, _ in read.outcomes()] == unique
        assert read.ok and read.total == len(unique)
    assert sorted(i for call in vendor.calls for i in call) == sorted(unique)


# -- a cancellation costs nothing but the calls in flight ------------------------------------------


async def test_outcomes_buffered_when_a_commit_is_cancelled_still_reach_the_disk(
    tmp_path: Path,
) -> None:
    """A commit cancelled while it waits for the journal's thread (a cancelled or timed-out job:
    another call's write is under way) keeps its writes for the next commit. It used to drop
    them: the job's last flush then committed only later writes, so ids whose outcome the live
    report held were read back from disk as interrupted (and read back or sent again on resume).
    """
    path = tmp_path / "job.db"
    ids = [str(n) for n in range(6)]
    journal = await Journal.open(path)
    busy, release = threading.Event(), threading.Event()

    def hold(db: object) -> None:  # another write under way in the journal's one thread
        busy.set()
        release.wait(5)

    try:
        ledger = await JournalLedger.attach(journal, "add", [Target(Client(Hostile()), "g", ids)])
        async for keys in ledger.pending(0, first=True):
            ledger.sending(0, keys)
            ledger.set(0, keys, Outcome.ADDED)
        async with anyio.create_task_group() as group:
            group.start_soon(journal.run, hold)
            await anyio.to_thread.run_sync(busy.wait)
            with anyio.CancelScope() as scope:
                scope.cancel()  # the flush is cancelled while it waits for the thread
                await ledger.flush()
            release.set()
        await ledger.flush()  # the job's last flush, as ``_finish`` makes it
        live = [(i, o) for _, i, o, _ in Report.of("add", ledger).outcomes()]
    finally:
        release.set()
        await journal.close()
    loaded = [(i, o) for _, i, o, _ in Report.load(path).outcomes()]
    assert live == loaded == [(i, Outcome.ADDED) for i in ids]
