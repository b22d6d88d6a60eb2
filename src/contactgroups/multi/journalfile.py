"""The journal's file: its schema and format, the one connection (used off the event loop, one
call at a time) and the lock a run holds on it. ``journal.JournalLedger`` is a job's ledger in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.request import pathname2url

import anyio

from ..errors import JournalError
from .blocks import keys_at
from .records import IN_FLIGHT, SCHEMA, replay, runs

__all__ = ["FORMAT", "Journal", "JournalPath"]

JournalPath = str | os.PathLike[str]
T = TypeVar("T")

#: The journal's format; a file of another format is refused (format 1 stored a not-attempted
#: id's state as an added one's; format 2 kept a row per id, rewritten by every call; format 3
#: stored blocks of ids as JSON and every log row's positions one by one).
FORMAT = 4


class Journal:
    """One journal file. ``await Journal.open(path)`` creates it (or checks an existing one).

    ``timeout``: the seconds one step (opening, a commit, a read) may take before the run stops
    with ``JournalError``: a disk that hangs (a lost network mount) must not hold a job forever.
    The step may still finish in its thread; the journal then takes no other step in this
    process, and keeps its lock until the process ends (the next run resumes from the file)."""

    timeout: float = 60.0

    def __init__(
        self, path: JournalPath, connection: sqlite3.Connection, lock: int | None = None
    ) -> None:
        self.path = os.fspath(path)
        self._lock = lock  # the run's hold on ``<path>.lock`` (None: reading only)
        # for reading back: quoted (``#`` and ``?`` are legal in names) and absolute (``cd``)
        self.uri = f"file:{pathname2url(os.path.abspath(self.path))}?mode=ro"
        self._db = connection
        self._limiter = anyio.CapacityLimiter(1)
        self._stuck: str | None = None  # why no step may be taken any more (one did not end)

    @classmethod
    async def open(cls, path: JournalPath) -> Journal:
        """The journal, held by this run: another run on it meanwhile is refused."""
        with anyio.CancelScope(shield=True), anyio.move_on_after(cls.timeout):
            return await anyio.to_thread.run_sync(cls._open, path, True, abandon_on_cancel=True)
        raise JournalError(f"{os.fspath(path)} did not open within {cls.timeout:g}s (a hung disk?)")

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
            # a file with tables is a journal only if it says so: another program's data (even
            # with a table named "meta") is refused before anything is written into it
            if tables and _format(db) is None:
                raise JournalError(f"{path} is a SQLite file of another program, not a journal")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if not tables:  # a new journal: its tables and format at once (a kill leaves none)
                db.executescript(
                    f"BEGIN; {SCHEMA} INSERT OR IGNORE INTO meta VALUES ('format', '{FORMAT}');"
                    " COMMIT;"
                )
            found = _format(db)
            if found != str(FORMAT):
                raise JournalError(
                    f"{path} is a journal of format {found}; this SDK reads {FORMAT}"
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
        """``work(connection)`` in a worker thread, one at a time; a database error, or data
        this SDK never writes, is a ``JournalError``. Not cancellable once started (a write is
        never half done): waited for, ``timeout`` at most."""
        if self._stuck is not None:
            raise JournalError(self._stuck)
        with anyio.CancelScope(shield=True), anyio.move_on_after(self.timeout):
            return await anyio.to_thread.run_sync(
                self.now, work, limiter=self._limiter, abandon_on_cancel=True
            )
        self._stuck = (
            f"the journal {self.path} did not answer within {self.timeout:g}s (its disk hangs?); "
            "this run stops: run it again to resume from what the journal holds"
        )
        raise JournalError(self._stuck)

    def now(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` here and now (opening, reading a saved report: no loop)."""
        with self.guard(self._db):
            return work(self._db)

    @contextlib.contextmanager
    def guard(self, db: sqlite3.Connection) -> Iterator[None]:
        """A database error (a damaged file: "malformed") or data no run of this SDK writes
        (``ValueError``, ``IndexError``) as a ``JournalError``; a transaction left open is rolled
        back."""
        try:
            yield
        except (sqlite3.DatabaseError, ValueError, IndexError) as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(error, sqlite3.DatabaseError):
                raise JournalError(f"the journal {self.path} failed: {error}") from None
            raise JournalError(f"{self.path} is damaged: {error}") from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection of its own (a report reads while the job writes), guarded."""
        db = sqlite3.connect(self.uri, uri=True)
        try:
            with self.guard(db):
                yield db
        finally:
            db.close()

    def meta(self, name: str) -> Any:
        def read(db: sqlite3.Connection) -> Any:
            row = db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
            return None if row is None else json.loads(row[0])

        return self.now(read)

    @staticmethod
    def put_meta(db: sqlite3.Connection, name: str, value: Any) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(value)))

    @staticmethod
    def checkpoint(db: sqlite3.Connection) -> None:
        """Copy what the write-ahead log holds into the file, as far as no reader is in the way
        (SQLite does it every 1000 pages, and when the journal is closed)."""
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def close(self) -> None:
        if self._stuck is not None:  # its thread may still hold the file: the lock stays too
            return
        await self.run(lambda db: db.close())
        if self._lock is not None:
            os.close(self._lock)  # lets the next run in
            self._lock = None

    def close_now(self) -> None:
        """Close the connection here and now (a journal opened with ``open_now``)."""
        self._db.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def parts(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT part FROM targets ORDER BY part")]

    def in_flight(self) -> list[tuple[str, str]]:
        """(provider, id) of every id whose call was in flight when its job last stopped (sent,
        its answer not recorded: the next run reads them back first)."""
        found = []
        for row, provider, size in self._db.execute("SELECT id, provider, size FROM targets"):
            codes = replay(self._db, row, size)
            positions = [p for span in runs(codes, (IN_FLIGHT,)) for p in span]
            found += [(provider, key) for key in keys_at(self._db, row, positions)]
        return found


def _format(db: sqlite3.Connection) -> str | None:
    """The format a journal's ``meta`` records, or None (no such table, row or columns)."""
    try:
        row = db.execute("SELECT value FROM meta WHERE name='format'").fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else str(row[0])


def _hold(path: JournalPath) -> int | None:
    """An exclusive hold on ``<path>.lock`` for this run (two runs of one job side by side would
    each take the other's calls for interrupted ones); None where the OS has no ``flock``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    name = f"{os.path.realpath(path)}.lock"  # one lock whatever name (a symlink) is used
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
