"""A bulk job's durable record in SQLite: the job, every id's outcome, the ids in flight.

``Journal`` (``journalfile``) owns the file; ``JournalLedger`` is the job's ledger on it: one
byte per id in memory (its state), the ids and the log of every call on disk (``records``), so
a job of ten million ids runs in bounded memory. Writes are buffered and
committed together (``flush``: one transaction for every chunk recorded since the last), in WAL
mode with ``synchronous=NORMAL``: a killed process loses nothing committed; a power cut may lose
the last commits, which a resume then treats as in flight.

A job is known by its action, its targets (provider and group, in order) and a digest of each
target's canonical ids. Running the same job on the same file resumes it: ids with a final
outcome are not sent again, ids recorded in flight are verified first, the rest are sent. A file
holding another job is refused (``JournalError``), never mixed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import anyio

from ..errors import APIError, ContactGroupsError, InterruptedCallError, JournalError
from .blocks import (
    blocks_from,
    check_blocks,
    keys_at,
    keys_between,
    position_of,
)
from .handout import HandedOut
from .ingest import ingest_streamed, store_held_targets, stored_job
from .journalfile import FORMAT, Journal, JournalPath
from .ledger import PENDING_SLICE, UNSURE_SLICE, Action, Item, LedgerBase, Outcome, TargetInfo
from .records import (
    CODE_OUTCOME,
    IN_FLIGHT,
    NOT_SENT,
    RETRY,
    STATE,
    UNSURE,
    Write,
    assign,
    code_counts,
    code_of,
    last_errors,
    load_errors,
    log_row,
    logged,
    replay,
    runs,
    write_all,
)
from .saved import SavedTarget
from .targets import Target

__all__ = ["FORMAT", "Journal", "JournalLedger", "JournalPath"]


class JournalLedger(LedgerBase):
    """A job's ledger kept in a ``Journal`` under ``part`` (one job per part: ``"job"``, or a
    sync's ``"add"`` and ``"remove"``). Build it with ``await JournalLedger.attach(...)``.

    In memory: one byte per id (its state code, by position), the ids handed out and not yet
    recorded, and the writes not yet committed; a held target's ids are the ``Target``'s own.
    On disk: the ids in blocks and a log of every call and outcome (``records``).
    """

    durable = True

    def __init__(
        self,
        journal: Journal,
        part: str,
        targets: Sequence[TargetInfo],
        rows: Sequence[int],
        codes: list[bytearray],
    ) -> None:
        super().__init__(targets, [len(c) for c in codes])
        self.journal = journal
        self.part = part
        self._rows = list(rows)  # the targets' row ids in the journal
        self._codes = codes  # per target: each id's state code, by position
        # a target's ids where they are in memory (a Target holding them); else read from disk
        self._keys: list[Sequence[str] | None] = [
            t.ids if isinstance(t, Target) and not t.streamed and len(t.ids) == len(c) else None
            for t, c in zip(targets, codes, strict=True)
        ]
        self._handed = [HandedOut(len(c)) for c in codes]  # handed out, not yet recorded
        self._waits = [0.0] * len(codes)  # the longest Retry-After of this round's failures
        self._writes: list[Write] = []
        self._batch: list[Write] = []  # the writes the commit under way is making durable
        self._written = 0  # writes buffered so far, ever
        self._committed = 0  # of those, how many a commit has made durable
        self._committing: anyio.Event | None = None  # set when the commit under way ends
        self._buffered: anyio.Event | None = None  # set when ``sending`` buffers enough marks
        self._commit_every = 1  # marks a committer waits for (``keep_committing``)
        self._checkpointed = False
        for index, states in enumerate(codes):
            for code in set(states):
                if code:
                    self._move(index, Outcome.NOT_ATTEMPTED, CODE_OUTCOME[code], states.count(code))

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    async def attach(
        cls,
        journal: Journal,
        action: Action,
        targets: Sequence[Target],
        *,
        part: str = "job",
        replace: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> JournalLedger:
        """The ledger of this job in ``journal``: recorded now (every target's ids streamed in),
        or, if the journal holds this very job, resumed. ``replace``: drop whatever the part held
        (a sync plans again on every run). Another job: ``JournalError``. ``options``: this
        run's, recorded beside the job (``options:<part>``; not part of what makes it the same
        job: a resumed run may change them)."""
        if part == "job" and journal.meta("sync") is not None:
            raise JournalError(f"{journal.path} holds a sync, not a bulk job")
        stored = stored_job(journal, part)
        where = [[t.provider, str(t.group_id)] for t in targets]
        if stored is not None and stored.get("state") == "ready" and not replace:
            digests = [t.id_digest() for t in targets]
            if stored != {"action": action, "targets": where, "ids": digests, "state": "ready"}:
                raise JournalError(
                    f"{journal.path} holds another job ({stored['action']} on "
                    f"{len(stored['targets'])} target(s)); use a new journal for this one"
                )
            ledger = await journal.run(partial(cls._build, journal, part, targets))
            await journal.run(ledger.mark_interrupted)
            ledger.resumed = True
            await journal.run(lambda db: Journal.put_meta(db, f"options:{part}", options))
            return ledger
        await journal.run(partial(store_held_targets, part=part, targets=targets))
        digests = [
            await ingest_streamed(journal, part, position, t) if t.streamed else t.id_digest()
            for position, t in enumerate(targets)
        ]
        record = {"action": action, "targets": where, "ids": digests, "state": "ready"}

        def ready(db: sqlite3.Connection) -> JournalLedger:
            Journal.put_meta(db, f"options:{part}", options)
            Journal.put_meta(db, f"job:{part}", record)
            return cls._build(journal, part, targets, db, checked=True)  # no need to check

        return await journal.run(ready)

    @classmethod
    def load(cls, journal: Journal, part: str = "job") -> tuple[Action, JournalLedger]:
        """A finished (or stopped) job's ledger, read back without clients."""
        stored = stored_job(journal, part)
        if stored is None or stored.get("state") != "ready":
            raise JournalError(f"{journal.path} holds no complete record of a job ({part})")
        targets = [SavedTarget(p, g) for p, g in stored["targets"]]
        return stored["action"], journal.now(partial(cls._build, journal, part, targets))

    @classmethod
    def _build(
        cls,
        journal: Journal,
        part: str,
        targets: Sequence[TargetInfo],
        db: sqlite3.Connection,
        *,
        checked: bool = False,
    ) -> JournalLedger:
        rows = db.execute(
            "SELECT id, size FROM targets WHERE part=? ORDER BY position", (part,)
        ).fetchall()
        try:
            if len(rows) != len(targets):
                raise ValueError(f"{len(rows)} targets recorded for a job of {len(targets)}")
            for row, size in [] if checked else rows:
                check_blocks(db, row, size)
            codes = [replay(db, row, size) for row, size in rows]
        except (ValueError, IndexError, TypeError) as error:
            raise JournalError(f"{journal.path} is damaged: {error}") from None
        return cls(journal, part, targets, [row for row, _ in rows], codes)

    def mark_interrupted(self, db: sqlite3.Connection) -> None:
        """Ids recorded in flight when the last run stopped: failed, unsure, to verify first."""
        error = InterruptedCallError("the job stopped while this call was in flight")
        writes: list[Write] = []
        for index, codes in enumerate(self._codes):
            positions = [p for span in runs(codes, (IN_FLIGHT,)) for p in span]
            if positions:
                code = code_of(Outcome.FAILED, error)
                for position in positions:
                    codes[position] = code
                writes.append(log_row(self._rows[index], code, error, positions))
        if writes:
            write_all(db, writes)

    # -- writing ---------------------------------------------------------------------------------

    def _set(
        self, index: int, ids: Sequence[str], outcome: Outcome, error: ContactGroupsError | None
    ) -> None:
        """Record ``ids``' outcome (durable at the next ``flush``). Each id must have been handed
        out by ``pending`` or ``unsure`` and not recorded since (else ``KeyError``)."""
        positions = self._handed[index].positions(ids, release=True)
        codes = self._codes[index]
        for old, count in code_counts(codes, positions).items():
            self._move(index, CODE_OUTCOME[old], outcome, count)
        code = code_of(outcome, error)
        assign(codes, positions, code)
        if code & RETRY and isinstance(error, APIError) and error.retry_after:
            self._waits[index] = max(self._waits[index], error.retry_after)
        self._writes.append(log_row(self._rows[index], code, error, positions))
        self._written += 1

    def sending(self, index: int, ids: Sequence[str]) -> int:
        positions = self._handed[index].positions(ids, release=False)
        row = log_row(self._rows[index], IN_FLIGHT, None, positions)
        writes = self._writes
        if writes and _follows(writes[-1], row):  # the next chunk of a run, marked right after:
            writes[-1] = (*row[:4], writes[-1][4], row[5])  # one row for both
        else:
            writes.append(row)
        self._written += 1
        if self._buffered is not None and self._written - self._committed >= self._commit_every:
            self._buffered.set()
        return self._written

    async def keep_committing(self, every: int = 1) -> None:
        # one per running round, all on this ledger: they share one event, so that one ending
        # (its round done) never leaves the others waiting on an event no mark will set; a
        # call whose mark is not committed yet commits it itself (``flush``)
        self._commit_every = max(1, every)
        if not self._checkpointed:  # the ids just stored, copied into the file while the first
            self._checkpointed = True  # calls are out (else closing the journal copies them)
            await self.journal.run(Journal.checkpoint)
        while True:
            if self._written - self._committed < self._commit_every:
                buffered = self._buffered
                if buffered is None:
                    buffered = self._buffered = anyio.Event()
                await buffered.wait()
                if self._buffered is buffered:
                    self._buffered = None
            await self.flush()

    def not_sent(self, index: int, ids: Sequence[str]) -> None:
        positions = self._handed[index].positions(ids, release=True)
        self._writes.append(log_row(self._rows[index], NOT_SENT, None, positions))
        self._written += 1

    async def flush(self, upto: int | None = None) -> None:
        """Return once every write buffered before the call (or up to ticket ``upto``) is
        committed. One commit at a time takes everything buffered meanwhile (a group commit):
        forty calls in flight cost a few transactions, not forty."""
        wanted = self._written if upto is None else upto
        while self._committed < wanted:
            if self._committing is not None:  # another caller's commit: it may include ours
                await self._committing.wait()
                continue
            self._committing = anyio.Event()
            self._batch, self._writes, upto = self._writes, [], self._written
            try:
                await self.journal.run(partial(write_all, writes=self._batch))
                self._committed = upto
            except BaseException:
                self._writes[:0] = self._batch  # not written (cancelled first): the next commit's
                raise
            finally:
                self._batch = []
                self._committing.set()
                self._committing = None

    # -- reading for the job ---------------------------------------------------------------------

    async def pending(self, index: int, *, first: bool) -> AsyncIterator[list[str]]:
        # unsent ids; failed ones worth a retry (later rounds, and a resumed job's first)
        wanted = {STATE[Outcome.NOT_ATTEMPTED]} if first else set()
        if self.resumed or not first:
            failed = STATE[Outcome.FAILED]
            wanted |= {failed + RETRY, failed + RETRY + UNSURE}
        self._waits[index] = 0.0
        codes, handed = self._codes[index], self._handed[index]
        for start in range(0, len(codes), PENDING_SLICE):
            end = min(start + PENDING_SLICE, len(codes))
            spans = list(runs(codes, wanted, start, end))
            if not spans:
                continue
            window = await self._between(index, start, end)
            if len(spans) == 1:  # one run (the usual first round): its chunks know their places
                span = spans[0]
                yield handed.run(window[span.start - start : span.stop - start], span.start)
                continue
            keys: list[str] = []
            for span in spans:
                some = window[span.start - start : span.stop - start]
                handed.some(some, span)
                keys.extend(some)
            yield keys

    async def _between(self, index: int, start: int, end: int) -> Sequence[str]:
        held = self._keys[index]
        if held is not None:
            return held[start:end]
        row = self._rows[index]
        return await self.journal.run(partial(keys_between, target=row, start=start, end=end))

    async def unsure(self, index: int) -> AsyncIterator[list[tuple[str, ContactGroupsError]]]:
        # a window of positions at a time: one window's ids, keys and errors in memory
        codes, row, handed = self._codes[index], self._rows[index], self._handed[index]
        failed = STATE[Outcome.FAILED]
        marks = (failed + UNSURE, failed + RETRY + UNSURE)
        for start in range(0, len(codes), UNSURE_SLICE):
            end = min(start + UNSURE_SLICE, len(codes))
            if not any(codes.count(mark, start, end) for mark in marks):
                continue
            await self.flush()  # the errors are read from the log

            def read(
                db: sqlite3.Connection, start: int = start, end: int = end
            ) -> list[tuple[int, str, ContactGroupsError]]:
                last = last_errors(db, row, start, end, range(marks[0], marks[-1] + 1))
                positions = [p for span in runs(codes, marks, start, end) for p in span]
                errors = load_errors(db, {last[p] or 0 for p in positions})
                if len(errors) < len({last[p] for p in positions}):
                    raise sqlite3.DatabaseError("an error its log names is gone")
                keys = self._keys_at(db, index, positions)
                return [(p, k, errors[last[p] or 0]) for p, k in zip(positions, keys, strict=True)]

            unsure = await self.journal.run(read)
            handed.some([key for _, key, _ in unsure], [position for position, _, _ in unsure])
            yield [(key, error) for _, key, error in unsure]
            # read back and still unclear, or proven not landed
            handed.withdraw(key for _, key, _ in unsure)

    def _keys_at(self, db: sqlite3.Connection, index: int, positions: Sequence[int]) -> list[str]:
        held = self._keys[index]
        if held is not None:
            return [held[p] for p in positions]
        return keys_at(db, self._rows[index], positions)

    async def longest_wait(self, index: int) -> float:
        return self._waits[index]

    # -- reading for the report (synchronous, on a connection of its own) --------------------------

    def _failures(
        self, db: sqlite3.Connection, index: int, start: int, end: int
    ) -> dict[int, ContactGroupsError]:
        """Each failed id's error from position ``start`` to ``end``. An id read back as in
        flight (a stopped job's ledger) is interrupted; a live job's id in flight keeps its
        outcome until recorded."""
        row = self._rows[index]
        failed, in_flight = STATE[Outcome.FAILED], IN_FLIGHT
        last: dict[int, int | ContactGroupsError | None] = {}
        last.update(last_errors(db, row, start, end, range(failed, in_flight)))
        for target, _, error, data, low, high in (*self._batch, *self._writes):  # not on disk yet
            if target == row and error is not None:
                last.update((p, error) for p in logged(data, low, high) if start <= p < end)
        codes = self._codes[index]
        stored = load_errors(db, {e for e in last.values() if isinstance(e, int)})
        errors = {
            p: e if isinstance(e, ContactGroupsError) else stored[e or 0]
            for p, e in last.items()
            if failed <= codes[p] < in_flight
        }
        interrupted = (p for s in runs(codes, (in_flight,), start, end) for p in s)
        errors.update(dict.fromkeys(interrupted, _INTERRUPTED))
        return errors

    def items(self, index: int) -> Iterator[Item]:
        with self.journal.reading() as db:
            codes = self._codes[index]
            for first, keys, given in blocks_from(db, self._rows[index], 0):
                errors = self._failures(db, index, first, first + len(keys))  # block by block
                for position, key in enumerate(keys, first):
                    outcome = CODE_OUTCOME[codes[position]]
                    yield key, outcome, errors.get(position), given.get(key)

    def _position(self, db: sqlite3.Connection, index: int, contact_id: str) -> int:
        held = self._keys[index]
        if held is not None:
            if contact_id in held:
                return held.index(contact_id)
        else:
            position = position_of(db, self._rows[index], contact_id)
            if position is not None:
                return position
        raise KeyError(contact_id)

    def outcome(self, index: int, contact_id: str) -> Outcome:
        with self.journal.reading() as db:
            return CODE_OUTCOME[self._codes[index][self._position(db, index, contact_id)]]

    def error(self, index: int, contact_id: str) -> ContactGroupsError | None:
        with self.journal.reading() as db:
            position = self._position(db, index, contact_id)
            return self._failures(db, index, position, position + 1).get(position)


#: the error of an id whose call was in flight when its job stopped (and not read back since)
_INTERRUPTED = InterruptedCallError("the job stopped while this call was in flight")


def _follows(last: Write, row: Write) -> bool:
    """Whether ``row`` marks in flight the positions right after those ``last`` does, both by
    their bounds (the two may then be one row: nothing is logged between them)."""
    return (
        row[1] == IN_FLIGHT
        and not row[3]
        and row[4] is not None
        and last[:4] == (row[0], IN_FLIGHT, None, b"")
        and last[5] is not None
        and last[5] + 1 == row[4]
    )
