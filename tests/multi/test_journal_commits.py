"""What keeps the journal cheap: calls cut from one run of positions are logged by their bounds,
ids are stored in blocks whatever they hold, and the marks of every running round are committed
as they come, whichever rounds have ended."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from contactgroups import multi
from contactgroups.errors import JournalError
from contactgroups.membership import BatchResult
from contactgroups.multi import blocks, ingest, records
from contactgroups.multi import journal as journal_module
from contactgroups.multi.handout import Run
from contactgroups.multi.journal import Journal, JournalLedger

pytestmark = pytest.mark.anyio


def target(ids: list[str]) -> multi.Target:
    client: Any = SimpleNamespace(membership=SimpleNamespace(provider="p"))
    return multi.Target(client, "g", ids)


async def test_a_chunk_cut_from_a_run_is_logged_by_its_bounds(tmp_path: Path) -> None:
    """The first round hands out runs; a chunk cut from one costs its two log rows no packed
    positions, and reads back as the same ids, in flight then added."""
    ids = [f"id{n}" for n in range(30)]
    journal = await Journal.open(tmp_path / "job.db")
    try:
        ledger = await JournalLedger.attach(journal, "add", [target(ids)])
        keys = [k async for k in ledger.pending(0, first=True)]
        assert len(keys) == 1 and type(keys[0]) is Run and keys[0].first == 0
        chunk = keys[0].part(10, 20)
        await ledger.flush(ledger.sending(0, chunk))
        ledger.set(0, chunk, multi.Outcome.ADDED)
        await ledger.flush()
        rows = journal.now(
            lambda db: db.execute("SELECT state, positions, low, high FROM log").fetchall()
        )
    finally:
        await journal.close()
    assert rows == [
        (records.IN_FLIGHT, b"", 10, 19),
        (records.STATE[multi.Outcome.ADDED], b"", 10, 19),
    ]
    outcomes = {
        key: outcome
        for key, outcome, _, _ in multi.Report.load(tmp_path / "job.db").ledger.items(0)
    }
    assert {k for k, o in outcomes.items() if o is multi.Outcome.ADDED} == set(ids[10:20])


async def test_recording_ids_never_handed_out_is_refused(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "job.db")
    try:
        ledger = await JournalLedger.attach(journal, "add", [target(["a", "b", "c"])])
        (run,) = [k async for k in ledger.pending(0, first=True)]
        ledger.set(0, run.part(0, 2), multi.Outcome.ADDED)
        with pytest.raises(KeyError):
            ledger.set(0, run.part(0, 1), multi.Outcome.ADDED)  # recorded already
        with pytest.raises(KeyError):
            ledger.set(0, ["b"], multi.Outcome.ADDED)
        ledger.set(0, ["c"], multi.Outcome.ALREADY)  # looked up by id: still handed out
    finally:
        await journal.close()


@pytest.mark.parametrize(
    "ids",
    [
        ["a", "b", "c"],
        ["héllo", "日本", "plain"],
        ["with\x00nul", "other"],  # a NUL in an id: the block is a JSON array
        ["", " ", "x"],  # ids refused before sending keep their (empty) keys
    ],
    ids=["ascii", "unicode", "nul", "empty"],
)
def test_a_block_of_ids_reads_back_as_written(ids: list[str]) -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(records.SCHEMA)
    blocks.add_block(db, 1, 0, ids, {}, {})
    blocks.add_block(db, 1, len(ids), ["last"], {}, {})
    assert [keys for _, keys, _ in blocks.blocks_from(db, 1, 0)] == [ids, ["last"]]
    blocks.check_blocks(db, 1, len(ids) + 1)
    with pytest.raises(ValueError, match="stores"):
        blocks.check_blocks(db, 1, len(ids) + 2)


def test_a_damaged_block_is_refused() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(records.SCHEMA)
    db.execute("INSERT INTO blocks (target, first, keys) VALUES (1, 0, x'ff00fe')")
    db.execute("INSERT INTO blocks (target, first, keys) VALUES (2, 0, '{\"a\": 1}')")
    for row in (1, 2):
        with pytest.raises(ValueError):
            list(blocks.blocks_from(db, row, 0))


async def test_a_round_that_ends_leaves_the_other_rounds_marks_committed(tmp_path: Path) -> None:
    """Each running round has a committer on the one ledger; when a later one ends (its round
    done), the marks of the rounds still running are still committed as they come, not only
    when a call waits for them."""
    journal = await Journal.open(tmp_path / "job.db")
    try:
        ledger = await JournalLedger.attach(journal, "add", [target(["a", "b", "c", "d"])])
        (run,) = [k async for k in ledger.pending(0, first=True)]
        async with anyio.create_task_group() as group:
            group.start_soon(ledger.keep_committing)  # the round still running
            await anyio.sleep(0.01)
            ended = anyio.CancelScope()  # a round that started later, and ended
            group.start_soon(_until_cancelled, ledger, ended)
            await anyio.sleep(0.01)
            ended.cancel()
            await anyio.sleep(0.01)
            ticket = ledger.sending(0, run.part(0, 2))
            with anyio.fail_after(5):
                while ledger._committed < ticket:  # noqa: ASYNC110 - no event to wait on: polled
                    await anyio.sleep(0.005)
            group.cancel_scope.cancel()
    finally:
        await journal.close()


async def _until_cancelled(ledger: JournalLedger, scope: anyio.CancelScope) -> None:
    with scope:
        await ledger.keep_committing()


def _open_files(path: Path) -> int:
    """This process's open descriptors on ``path`` (Linux: ``/proc/self/fd``)."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            found += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux's /proc/self/fd")
async def test_a_report_loaded_from_a_journal_keeps_no_file_open(tmp_path: Path) -> None:
    """It reads through a connection of its own each time it is asked, not one held for as long
    as the report lives."""
    path = tmp_path / "job.db"
    journal = await Journal.open(path)
    try:
        ledger = await JournalLedger.attach(journal, "add", [target(["a", "b"])])
        (run,) = [k async for k in ledger.pending(0, first=True)]
        ledger.set(0, run, multi.Outcome.ADDED)
        await ledger.flush()
    finally:
        await journal.close()
    report = multi.Report.load(path)
    assert _open_files(path) == 0
    assert report.counts() == {multi.Outcome.ADDED: 2}
    assert [o for _, _, o, _ in report.outcomes()] == [multi.Outcome.ADDED] * 2
    assert _open_files(path) == 0


async def test_one_id_of_a_streamed_journal_is_looked_up_without_reading_its_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``report.outcome(0, id)`` on a streamed job read back from disk finds the id through the
    ids seen while streaming and reads only the block that holds it (to check it), not every
    block; a held job's blocks are read from the first."""
    monkeypatch.setattr(blocks, "BLOCK", 10)  # 100 blocks of ids
    monkeypatch.setattr(ingest, "BLOCK", 10)
    ids = [f"id{n}" for n in range(1000)]
    for name, passed in (("streamed", iter(ids)), ("held", ids)):
        path = tmp_path / f"{name}.db"
        journal = await Journal.open(path)
        try:
            ledger = await JournalLedger.attach(journal, "add", [target(passed)])
            async for keys in ledger.pending(0, first=True):
                ledger.set(0, [k for k in keys if k == "id777"], multi.Outcome.ADDED)
            await ledger.flush()
        finally:
            await journal.close()
        report = multi.Report.load(path)
        read: list[int] = []
        with monkeypatch.context() as patch:
            patch.setattr(blocks, "blocks_from", partial(_counted, read, blocks.blocks_from))
            assert report.outcome(0, "id777") is multi.Outcome.ADDED
            assert report.outcome(0, "id778") is multi.Outcome.NOT_ATTEMPTED
            with pytest.raises(KeyError):
                report.outcome(0, "nope")
        if name == "streamed":
            assert read == [777, 778]  # each id's own block, once
        else:
            assert read and set(read) == {0}  # from the first block, until it is found


def _counted(read: list[int], real: Any, db: sqlite3.Connection, row: int, at: int) -> Any:
    read.append(at)
    return real(db, row, at)


class _Landing:
    """Every call lands."""

    provider = "p"
    max_add_per_call = max_remove_per_call = 10
    default_concurrency = 2

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_done(ids)

    remove = add


async def test_a_journal_whose_disk_hangs_stops_the_job_within_its_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit that never ends (a lost network mount) ends the run with ``JournalError`` once
    the journal's ``timeout`` has passed, instead of holding the job forever."""
    release = threading.Event()
    real = journal_module.write_all

    def hang(db: sqlite3.Connection, writes: list[Any]) -> None:
        release.wait(30)  # until the test lets it go (a bound, should the test fail first)
        real(db, writes)

    monkeypatch.setattr(journal_module, "write_all", hang)
    monkeypatch.setattr(Journal, "timeout", 0.3, raising=False)
    client: Any = SimpleNamespace(membership=_Landing())
    try:
        with anyio.fail_after(10), pytest.raises(JournalError, match="did not answer"):
            await multi.add(
                [multi.Target(client, "g", [f"c{n}" for n in range(50)])],
                journal=tmp_path / "job.db",
            )
    finally:
        release.set()
