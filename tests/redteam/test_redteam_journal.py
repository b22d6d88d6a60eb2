"""Red team of the SQLite journal (format 4): each test names the promise it attacks and failed
before its fix (a finding not fixed is a strict xfail). Promises: every id has exactly one
outcome; a kill or a cancellation costs nothing but the calls in flight; another job's journal,
a damaged journal and a second run at once are refused with ``JournalError``; the live report
and the report read back from disk agree."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_redteam_multi import Client, Hostile, ids_of, lost

from contactgroups import errors, multi
from contactgroups.membership import BatchResult
from contactgroups.multi import Outcome, Report, Target, ingest
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
    monkeypatch.setattr(ingest, "BLOCK", 2)  # a batch of ingest every two ids
    vendor = Hostile()
    report = await multi.add([Target(Client(vendor), "g", iter(ids))], journal=tmp_path / "job.db")
    unique = list(dict.fromkeys(ids))
    for read in (report, Report.load(tmp_path / "job.db")):
        assert [i for _, i, _, _ in read.outcomes()] == unique
        assert read.ok and read.total == len(unique)
    assert sorted(i for call in vendor.calls for i in call) == sorted(unique)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ids=st.lists(
        st.text(alphabet=["a", "7", "0", "\0", "\\", '"', "\n", "\u2028", "😀", " "], max_size=3),
        max_size=12,
    )
)
def test_streamed_hostile_text_ids_agree_with_held_ones(ids: list[str]) -> None:
    """Any text ids (NUL, backslashes, quotes, newlines, emoji, blanks), streamed through a
    journal in batches of three: the report read back lists the same ids, outcomes and given
    values as a job without a journal holding them, and each sendable id was sent once."""

    async def both() -> tuple[list[tuple[str, Outcome, str | None]], ...]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "job.db"
            streamed, held = Hostile(), Hostile()
            await multi.add([Target(Client(streamed), "g", iter(ids))], journal=path)
            memory = await multi.add([Target(Client(held), "g", ids)])
            loaded = Report.load(path)
            rows = [
                [(i, o, g) for i, o, _, g in report.ledger.items(0)] for report in (loaded, memory)
            ]
            sent = [sorted(i for call in v.calls for i in call) for v in (streamed, held)]
            return rows[0], rows[1], sent[0], sent[1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "BLOCK", 3)
        journaled, memory, sent_streamed, sent_held = anyio.run(both)
    assert journaled == memory
    assert sent_streamed == sent_held
    assert len(set(sent_streamed)) == len(sent_streamed)


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


# -- a damaged journal is refused with JournalError, never another error, never a silent mix ------


async def _finished(path: Path, *, failing: bool = False) -> Target:
    """A finished journaled job of 30 ids (failed, with errors, if ``failing``); its target."""
    target = Target(Client(Hostile(answer=lost if failing else None, size=10)), "g", ids_of(30))
    await multi.add([target], journal=path, rounds=1, verify=False)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    finally:
        db.close()
    return target


def _garble_table(path: Path, table: str) -> None:
    """Random bytes over the root page of ``table`` (a disk's bad sector, a torn copy)."""
    db = sqlite3.connect(path)
    try:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()
    finally:
        db.close()
    with open(path, "r+b") as file:
        file.seek((root[0] - 1) * page_size)
        file.write(bytes(range(256)) * (page_size // 256))


def _sql(statement: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        db = sqlite3.connect(path)
        try:
            with db:
                db.execute(statement)
        finally:
            db.close()

    return damage


def _read_whole(path: Path) -> None:
    report = Report.load(path)
    for target, contact_id, _, _ in report.outcomes():
        report.error(target, contact_id)


@pytest.mark.parametrize(
    ("damage", "failing"),
    [
        (lambda path: _garble_table(path, "blocks"), False),
        (lambda path: _garble_table(path, "errors"), True),
        (_sql("DELETE FROM blocks WHERE first = 0"), False),
        (_sql("UPDATE blocks SET keys = '[\"0\"]'"), False),
        (_sql("UPDATE blocks SET given = '[1]'"), False),
        (_sql("UPDATE meta SET value = '{' WHERE name = 'job:job'"), False),
        (_sql("UPDATE meta SET value = '[1]' WHERE name = 'job:job'"), False),
        (_sql("DELETE FROM errors"), True),
    ],
    ids=[
        "blocks-page-garbled",
        "errors-page-garbled",
        "a-block-gone",
        "a-block-cut",
        "given-not-a-map",
        "job-record-not-json",
        "job-record-a-list",
        "errors-gone",
    ],
)
async def test_a_damaged_journal_is_refused_with_journal_error(
    tmp_path: Path, damage: Callable[[Path], None], failing: bool
) -> None:
    """A journal damaged on disk (a garbled page: SQLite's "malformed"; ids or errors missing; a
    record that is not JSON) is ``JournalError`` from ``Report.load`` (or reading its ids) and
    from a resumed run, before anything is sent. It used to be a raw ``sqlite3.DatabaseError``,
    ``JSONDecodeError``, ``KeyError`` or ``AttributeError``, or, with a block gone, a report
    whose counts named 30 ids while it listed 20."""
    path = tmp_path / "job.db"
    target = await _finished(path, failing=failing)
    damage(path)
    with pytest.raises(errors.JournalError):
        _read_whole(path)
    vendor = Hostile()
    with pytest.raises(errors.JournalError):
        await multi.add([Target(Client(vendor), "g", target.ids)], journal=path)
    assert vendor.calls == []


async def test_a_journal_failing_mid_run_is_journal_error(tmp_path: Path) -> None:
    """The job raises ``JournalError`` for a journal it cannot use, also when the journal fails
    after the job started (here another program drops its log during the second call: the next
    commit, in a task of the job's task groups, fails)."""
    path = tmp_path / "job.db"
    calls = []

    def damaging(ids: Sequence[str]) -> BatchResult:
        calls.append(ids)
        if len(calls) == 2:
            _sql("DROP TABLE log")(path)
        return lost(ids)

    vendor = Hostile(answer=damaging, size=1)
    with pytest.raises(errors.JournalError):
        await multi.add([Target(Client(vendor), "g", ids_of(3))], journal=path, rounds=1)


# -- a second run at once is refused ------------------------------------------------------------


async def test_a_second_run_through_a_symlink_to_the_journal_is_refused(tmp_path: Path) -> None:
    """While a job runs on ``job.db``, the same job started through a symlink to it is refused
    with ``JournalError``: the lock used to be ``<name>.lock``, another file for each name, so
    both runs went on side by side (each taking the other's calls in flight for interrupted
    ones)."""
    path = tmp_path / "job.db"
    other = tmp_path / "link.db"
    other.symlink_to(path)
    first, second = Hostile(hang=True), Hostile()
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(
                lambda: multi.add([Target(Client(first), "g", ids_of(3))], journal=path)
            )
            assert first.called is not None
            await first.called.wait()
            try:
                with pytest.raises(errors.JournalError):
                    await multi.add([Target(Client(second), "g", ids_of(3))], journal=other)
            finally:
                group.cancel_scope.cancel()
    assert second.calls == []


# -- memory stays bounded for streamed ids --------------------------------------------------------


class _Quiet(Hostile):
    """A hostile vendor that keeps no record of its calls (the test measures the job's memory)."""

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        assert self.answer is not None
        return self.answer(ids)  # type: ignore[no-any-return]

    remove = add


async def _peak(tmp_path: Path, count: int, answer: Callable[[Sequence[str]], BatchResult]) -> int:
    """The traced peak memory of a journaled job of ``count`` streamed ids."""
    vendor = _Quiet(answer=answer, size=1000)
    ids = (str(10**9 + n) for n in range(count))
    tracemalloc.start()
    try:
        await multi.add(
            [Target(Client(vendor), "g", ids)],
            journal=tmp_path / f"{answer.__name__}-{count}.db",
            rounds=1,
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_a_streamed_job_whose_calls_may_have_landed_stays_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed job's memory does not grow with its ids (one byte each), also when every call
    fails after it may have landed (a vendor timing out) and the ids are to be read back; as it
    does not when they all land (checked first)."""
    monkeypatch.setattr(ingest, "BLOCK", 1000)  # ingest and pending slices of 1000 ids
    monkeypatch.setattr(journal_module, "PENDING_SLICE", 1000)
    monkeypatch.setattr(journal_module, "UNSURE_SLICE", 1000)  # read back 1000 at a time
    # both sizes past what a round holds at once whatever the ids (the calls marked ahead, the
    # slice being cut and the next): only what grows with the ids counts
    done = [await _peak(tmp_path, n, BatchResult.all_done) for n in (10_000, 40_000)]
    assert done[1] - done[0] < 30_000 * 20  # one byte an id, and some slack
    unclear = [await _peak(tmp_path, n, lost) for n in (10_000, 40_000)]
    assert unclear[1] - unclear[0] < 30_000 * 20


# -- the report read back from disk is this run's, never mixed with an earlier one's ---------------


async def test_a_part_planned_again_does_not_keep_the_last_runs_ending(tmp_path: Path) -> None:
    """A sync plans each part again on every run (its ids replaced): a run killed before it
    ended has no ending of its own, so the report read back must not show the ending of the run
    before (here: cancelled) beside this run's ids, as it used to."""
    path = tmp_path / "job.db"
    first = multi.BulkJob(
        "add", [Target(Client(Hostile(hang=True)), "g", ["a"])], journal=path, journal_part="add"
    )
    with anyio.move_on_after(0.2):
        await first.run()
    assert Report.load(path, "add").cancelled
    journal = await Journal.open(path)  # the next run: planned again, then killed mid-way
    try:
        await JournalLedger.attach(
            journal, "add", [Target(Client(Hostile()), "g", ["b"])], part="add", replace=True
        )
    finally:
        await journal.close()
    again = Report.load(path, "add")
    assert [i for _, i, _, _ in again.outcomes()] == ["b"]
    assert not again.cancelled


# -- another program's file is refused, and left as it was ---------------------------------------


@pytest.mark.parametrize(
    "meta",
    ["CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)", "CREATE TABLE meta (k, v)"],
    ids=["key-value-meta", "other-meta"],
)
async def test_another_programs_database_with_a_meta_table_is_refused_untouched(
    tmp_path: Path, meta: str
) -> None:
    """A SQLite file of another program that has a table named ``meta`` (a common name) is not a
    journal: refused with ``JournalError``, its tables and rows as they were. It used to get
    the journal's tables created in it and, with a key-value ``meta``, a ``format`` row, and
    then be used as a journal."""
    path = tmp_path / "app.db"
    _sql(meta)(path)
    _sql("INSERT INTO meta VALUES ('theme', 'dark')")(path)
    before = path.read_bytes()
    vendor = Hostile()
    with pytest.raises(errors.JournalError):
        await multi.add([Target(Client(vendor), "g", ["1"])], journal=path)
    assert vendor.calls == []
    assert path.read_bytes() == before
