"""A bulk job's durable record in SQLite: the job, every id's outcome, the ids in flight.

``Journal`` owns the file (schema, identity, the one connection, used off the event loop, one
call at a time); ``JournalLedger`` is the job's ledger on it: the counts in memory, every id's
record on disk, so a job of ten million ids runs in bounded memory. Writes are buffered and
committed together (``flush``: one transaction for every chunk recorded since the last), in WAL
mode with ``synchronous=NORMAL``: a killed process loses nothing committed; a power cut may lose
the last commits, which a resume then treats as in flight.

A job is known by its action, its targets (provider and group, in order) and a digest of each
target's canonical ids. Running the same job on the same file resumes it: ids with a final
outcome are not sent again, ids recorded in flight are verified first, the rest are sent. A file
holding another job is refused (``JournalError``), never mixed.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar
from urllib.request import pathname2url

import anyio

from ..errors import ContactGroupsError, InterruptedCallError, JournalError
from .ledger import PENDING_SLICE, Action, Item, LedgerBase, Outcome, TargetInfo
from .records import IN_FLIGHT, OUTCOME, SCHEMA, STATE, Write, clear_part, insert_ids, write_all
from .saved import SavedTarget, error_from_dict, error_to_dict
from .targets import IdDigest, IdEntry, Target

__all__ = ["FORMAT", "Journal", "JournalLedger", "JournalPath"]

JournalPath = str | os.PathLike[str]
T = TypeVar("T")

#: The journal's format; a file of another format is refused (format 1 stored a not-attempted
#: id's state as an added one's: such a file cannot be read right).
FORMAT = 2
_INGEST_BATCH = 20_000


class Journal:
    """One journal file. ``await Journal.open(path)`` creates it (or checks an existing one)."""

    def __init__(
        self, path: JournalPath, connection: sqlite3.Connection, lock: int | None = None
    ) -> None:
        self.path = os.fspath(path)
        self._lock = lock  # the run's hold on ``<path>.lock`` (None: reading only)
        # for reading back: quoted (``#`` and ``?`` are legal in names) and absolute (``cd``)
        self.uri = f"file:{pathname2url(os.path.abspath(self.path))}?mode=ro"
        self._db = connection
        self._limiter = anyio.CapacityLimiter(1)

    @classmethod
    async def open(cls, path: JournalPath) -> Journal:
        """The journal, held by this run: another run on it meanwhile is refused."""
        return await anyio.to_thread.run_sync(cls._open, path, True)

    @classmethod
    def open_now(cls, path: JournalPath) -> Journal:
        """The journal for reading (a saved report), blocking, outside an event loop."""
        return cls._open(path, False)

    @classmethod
    def _open(cls, path: JournalPath, hold: bool) -> Journal:
        lock = _hold(path) if hold else None
        db = None
        try:
            db = sqlite3.connect(os.fspath(path), isolation_level=None, check_same_thread=False)
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and "meta" not in tables:  # another program's data: never written into
                raise JournalError(f"{path} is a SQLite file of another program, not a journal")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE name='format'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            elif row[0] != str(FORMAT):
                raise JournalError(
                    f"{path} is a journal of format {row[0]}; this SDK reads {FORMAT}"
                )
        except BaseException as error:
            if db is not None:
                db.close()
            if lock is not None:
                os.close(lock)
            if isinstance(error, sqlite3.DatabaseError):
                raise JournalError(f"{path} cannot be used as a journal: {error}") from None
            raise
        return cls(path, db, lock)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` in a worker thread, one at a time; a database error is a
        ``JournalError``. Not cancellable once started (a write is never half done)."""

        def guarded() -> T:
            try:
                return work(self._db)
            except sqlite3.DatabaseError as error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise JournalError(f"writing the journal {self.path} failed: {error}") from None

        return await anyio.to_thread.run_sync(guarded, limiter=self._limiter)

    def now(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` here and now (opening, reading a saved report: no loop)."""
        return work(self._db)

    def meta(self, name: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    @staticmethod
    def put_meta(db: sqlite3.Connection, name: str, value: Any) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(value)))

    async def close(self) -> None:
        await self.run(lambda db: db.close())
        if self._lock is not None:
            os.close(self._lock)  # lets the next run in
            self._lock = None

    def parts(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT part FROM targets ORDER BY part")]


def _hold(path: JournalPath) -> int | None:
    """An exclusive hold on ``<path>.lock`` for this run (two runs of one job side by side would
    each take the other's calls for interrupted ones); None where the OS has no ``flock``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    name = f"{os.fspath(path)}.lock"
    try:
        fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise JournalError(f"the journal's lock {name} cannot be opened: {error}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise JournalError(
            f"{os.fspath(path)} is in use by another run of a job (it holds {name}); "
            "wait for it, or stop it"
        ) from None
    return fd


class JournalLedger(LedgerBase):
    """A job's ledger kept in a ``Journal`` under ``part`` (one job per part: ``"job"``, or a
    sync's ``"add"`` and ``"remove"``). Build it with ``await JournalLedger.attach(...)``."""

    durable = True

    def __init__(
        self, journal: Journal, part: str, targets: Sequence[TargetInfo], ids: Sequence[int]
    ) -> None:
        super().__init__(targets, [0] * len(targets))
        self.journal = journal
        self.part = part
        self._ids = list(ids)  # the targets' row ids in the journal
        self._writes: list[Write] = []
        self._written = 0  # writes buffered so far, ever
        self._committed = 0  # of those, how many a commit has made durable
        self._committing: anyio.Event | None = None  # set when the commit under way ends
        # ids handed out (by ``pending``/``unsure``): their outcome then, and their row
        self._taken: dict[tuple[int, str], tuple[Outcome, int]] = {}

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
    ) -> JournalLedger:
        """The ledger of this job in ``journal``: recorded now (every target's ids streamed in),
        or, if the journal holds this very job, resumed. ``replace``: drop whatever the part held
        (a sync plans again on every run). Another job: ``JournalError``."""
        if part == "job" and journal.meta("sync") is not None:
            raise JournalError(f"{journal.path} holds a sync, not a bulk job")
        stored = journal.meta(f"job:{part}")
        where = [[t.provider, str(t.group_id)] for t in targets]
        if stored is not None and stored.get("state") == "ready" and not replace:
            digests = [t.id_digest() for t in targets]
            if stored != {"action": action, "targets": where, "ids": digests, "state": "ready"}:
                raise JournalError(
                    f"{journal.path} holds another job ({stored['action']} on "
                    f"{len(stored['targets'])} target(s)); use a new journal for this one"
                )
            ledger = await cls._load(journal, part, targets)
            await journal.run(ledger.mark_interrupted)
            ledger.resumed = True
            return ledger
        await journal.run(lambda db: clear_part(db, part))
        digests = []
        for position, target in enumerate(targets):
            digests.append(await _ingest(journal, part, position, target))
        record = {"action": action, "targets": where, "ids": digests, "state": "ready"}
        await journal.run(lambda db: Journal.put_meta(db, f"job:{part}", record))
        return await cls._load(journal, part, targets)

    @classmethod
    def load(cls, journal: Journal, part: str = "job") -> tuple[Action, JournalLedger]:
        """A finished (or stopped) job's ledger, read back without clients."""
        stored = journal.meta(f"job:{part}")
        if stored is None or stored.get("state") != "ready":
            raise JournalError(f"{journal.path} holds no complete record of a job ({part})")
        targets = [SavedTarget(p, g) for p, g in stored["targets"]]
        return stored["action"], journal.now(lambda db: cls._build(journal, part, targets, db))

    @classmethod
    async def _load(
        cls, journal: Journal, part: str, targets: Sequence[TargetInfo]
    ) -> JournalLedger:
        return await journal.run(lambda db: cls._build(journal, part, targets, db))

    @classmethod
    def _build(
        cls, journal: Journal, part: str, targets: Sequence[TargetInfo], db: sqlite3.Connection
    ) -> JournalLedger:
        rows = db.execute("SELECT id FROM targets WHERE part=? ORDER BY position", (part,))
        ids = [r[0] for r in rows]
        counts = db.execute(
            f"SELECT target, state, COUNT(*) FROM ids WHERE target IN ({','.join('?' * len(ids))}) "
            "GROUP BY target, state",
            ids,
        ).fetchall()
        ledger = cls(journal, part, targets, ids)
        ledger.count_in(counts)
        return ledger

    def count_in(self, counts: Iterable[tuple[int, int, int]]) -> None:
        """Take the stored (target row id, state, ids) counts into the tallies."""
        position = {row_id: n for n, row_id in enumerate(self._ids)}
        for row_id, state, count in counts:
            index = position[row_id]
            self._grow(index, count)
            self._move(index, Outcome.NOT_ATTEMPTED, OUTCOME.get(state, Outcome.FAILED), count)

    def mark_interrupted(self, db: sqlite3.Connection) -> None:
        """Ids recorded in flight when the last run stopped: failed, unsure, to verify first."""
        error = InterruptedCallError("the job stopped while this call was in flight")
        db.execute("BEGIN")
        error_id = db.execute(
            "INSERT INTO errors (data) VALUES (?)", (json.dumps(error_to_dict(error)),)
        ).lastrowid
        for target in self._ids:
            db.execute(
                "UPDATE ids SET state=?, error=?, retry=1, unsure=1, wait=NULL "
                "WHERE target=? AND state=?",
                (STATE[Outcome.FAILED], error_id, target, IN_FLIGHT),
            )
        db.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------------

    def _set(
        self, index: int, ids: Sequence[str], outcome: Outcome, error: ContactGroupsError | None
    ) -> None:
        """Record ``ids``' outcome (durable at the next ``flush``). Each id must have been handed
        out by ``pending`` or ``unsure`` (that is how its outcome until now is known)."""
        rows: list[int] = []
        for contact_id in ids:
            old, row = self._taken.pop((index, contact_id))
            rows.append(row)
            self._move(index, old, outcome)
        self._writes.append((rows, STATE[outcome], error))
        self._written += 1

    def sending(self, index: int, ids: Sequence[str]) -> None:
        taken = self._taken
        self._writes.append(([taken[(index, i)][1] for i in ids], IN_FLIGHT, None))
        self._written += 1

    async def flush(self) -> None:
        """Return once every write buffered before the call is committed. One commit at a time
        takes everything buffered meanwhile (a group commit): forty calls in flight cost a few
        transactions, not forty."""
        wanted = self._written
        while self._committed < wanted:
            if self._committing is not None:  # another caller's commit: it may include ours
                await self._committing.wait()
                continue
            self._committing = anyio.Event()
            batch, self._writes, upto = self._writes, [], self._written
            try:
                await self.journal.run(partial(write_all, writes=batch))
                self._committed = upto
            finally:
                self._committing.set()
                self._committing = None

    # -- reading for the job ---------------------------------------------------------------------

    async def pending(self, index: int, *, first: bool) -> AsyncIterator[list[str]]:
        # unsent ids; failed ones worth a retry (later rounds, resumed); +target: by rowid
        states = (
            STATE[Outcome.NOT_ATTEMPTED] if first else -1,
            STATE[Outcome.FAILED] if self.resumed or not first else -1,
        )
        sql = "SELECT rowid, key, state FROM ids WHERE +target=? AND rowid>? AND (state=? OR "
        sql += f"(state=? AND retry=1)) ORDER BY rowid LIMIT {PENDING_SLICE}"
        after = 0

        def read(db: sqlite3.Connection) -> list[tuple[int, str, int]]:
            return db.execute(sql, (self._ids[index], after, *states)).fetchall()

        while True:
            rows = await self.journal.run(read)
            if not rows:
                return
            after = rows[-1][0]
            for rowid, key, state in rows:
                self._taken[(index, key)] = (OUTCOME[state], rowid)
            yield [key for _, key, _ in rows]

    async def unsure(self, index: int) -> list[tuple[str, ContactGroupsError]]:
        await self.flush()
        rows = await self.journal.run(
            lambda db: db.execute(
                "SELECT ids.key, ids.error, errors.data, ids.rowid FROM ids LEFT JOIN errors "
                "ON errors.id = ids.error WHERE ids.target=? AND ids.state=? AND ids.unsure=1",
                (self._ids[index], STATE[Outcome.FAILED]),
            ).fetchall()
        )
        errors: dict[int, ContactGroupsError] = {}
        unsure = []
        for key, error_id, data, rowid in rows:
            self._taken[(index, key)] = (Outcome.FAILED, rowid)
            if error_id not in errors:
                errors[error_id] = _error(data)
            unsure.append((key, errors[error_id]))
        return unsure

    async def longest_wait(self, index: int) -> float:
        await self.flush()
        row = await self.journal.run(
            lambda db: db.execute(
                "SELECT MAX(wait) FROM ids WHERE target=? AND state=? AND retry=1",
                (self._ids[index], STATE[Outcome.FAILED]),
            ).fetchone()
        )
        return float(row[0] or 0.0)

    # -- reading for the report (synchronous, on a connection of its own) --------------------------

    def _read(self, sql: str, args: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        db = sqlite3.connect(self.journal.uri, uri=True)
        try:
            yield from db.execute(sql, args)
        finally:
            db.close()

    def items(self, index: int) -> Iterator[Item]:
        errors: dict[int, ContactGroupsError] = {}
        sql = (
            "SELECT ids.key, ids.state, ids.error, errors.data, ids.given FROM ids LEFT JOIN "
            "errors ON errors.id = ids.error WHERE ids.target=? ORDER BY ids.rowid"
        )
        for key, state, error_id, data, given in self._read(sql, (self._ids[index],)):
            outcome = OUTCOME.get(state, Outcome.FAILED)
            error = None
            if outcome is Outcome.FAILED:
                if error_id not in errors:
                    errors[error_id] = _error(data)
                error = errors[error_id]
            yield key, outcome, error, given

    def _row(self, index: int, contact_id: str) -> tuple[Any, ...]:
        sql = (
            "SELECT ids.state, errors.data FROM ids LEFT JOIN errors "
            "ON errors.id = ids.error WHERE ids.target=? AND ids.key=?"
        )
        for row in self._read(sql, (self._ids[index], contact_id)):
            return row
        raise KeyError(contact_id)

    def outcome(self, index: int, contact_id: str) -> Outcome:
        return OUTCOME.get(self._row(index, contact_id)[0], Outcome.FAILED)

    def error(self, index: int, contact_id: str) -> ContactGroupsError | None:
        state, data = self._row(index, contact_id)
        return _error(data) if OUTCOME.get(state, Outcome.FAILED) is Outcome.FAILED else None


def _error(data: str | None) -> ContactGroupsError:
    if data is None:
        return InterruptedCallError("the job stopped while this call was in flight")
    return error_from_dict(json.loads(data))


async def _ingest(journal: Journal, part: str, position: int, target: Target) -> str:
    """Stream the target's ids into the journal (repeats dropped by the key); their digest."""

    def add_target(db: sqlite3.Connection) -> int:
        cursor = db.execute(
            "INSERT INTO targets (part, position, provider, group_id) VALUES (?, ?, ?, ?)",
            (part, position, target.provider, str(target.group_id)),
        )
        return cursor.lastrowid or 0

    row_id = await journal.run(add_target)
    digest = IdDigest()
    batch: list[IdEntry] = []

    async def write() -> None:
        rows = list(batch)
        batch.clear()
        await journal.run(lambda db: insert_ids(db, row_id, rows))

    for entry in target.entries(repeats=True):
        digest.add(entry.key)
        batch.append(entry)
        if len(batch) >= _INGEST_BATCH:
            await write()
    await write()
    return digest.hexdigest() if target.digest is None else target.digest
