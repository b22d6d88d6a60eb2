"""The journal's tables, and the statements that write and read them (run by ``journal`` in its
thread).

A target's ids are numbered from 0 in the order they were passed (repeats dropped) and stored in
blocks of consecutive positions (``blocks``). What happens to them is a ``log``: one row per call
sent (its ids' positions, in flight) and one per outcome recorded (positions, state, error), in
order, so that recording a call costs one row whatever its size (its positions packed 4 bytes
each, or a run of consecutive ones by its bounds alone); an id's state is that of the last row
naming it (``replay``). A state (``code``): 0 not attempted, 1 added, 2 removed, 3 already, 4-7
failed (+1: worth another round, +2: may have landed), 9 in flight (sent, its answer not
recorded). A failed row keeps its error (one row of ``errors`` per distinct error).
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

from ..errors import ContactGroupsError
from .ledger import Outcome
from .retrying import worth_another_round
from .saved import error_from_dict, error_to_dict

__all__ = [
    "CODE_OUTCOME",
    "IN_FLIGHT",
    "NOT_SENT",
    "OUTCOME",
    "RETRY",
    "SCHEMA",
    "STATE",
    "UNSURE",
    "Write",
    "assign",
    "clear_part",
    "code_counts",
    "code_of",
    "error_row",
    "last_errors",
    "load_errors",
    "log_row",
    "logged",
    "pack",
    "replay",
    "runs",
    "unpack",
    "write_all",
]

IN_FLIGHT = 9  # a state only the journal has: sent, answer not recorded
FAILED = 4  # the first failed state (4-7)
NOT_SENT = 10  # a log row only: marked in flight, then not sent after all (the state before holds)
STATE = {
    Outcome.NOT_ATTEMPTED: 0,
    Outcome.ADDED: 1,
    Outcome.REMOVED: 2,
    Outcome.ALREADY: 3,
    Outcome.FAILED: FAILED,
}
OUTCOME = {n: o for o, n in STATE.items()}
RETRY = 1  # added to a failed state: worth another round
UNSURE = 2  # added to a failed state: the call may have landed (read back before resending)
#: every code's outcome (in flight reads as failed: the call may have landed)
CODE_OUTCOME = {
    **OUTCOME,
    5: Outcome.FAILED,
    6: Outcome.FAILED,
    7: Outcome.FAILED,
    9: Outcome.FAILED,
}

#: One buffered log row: (target row id, state code, error of a failed state, packed positions,
#: lowest position, highest position).
Write = tuple[int, int, ContactGroupsError | None, bytes, int | None, int | None]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY, part TEXT NOT NULL, position INTEGER NOT NULL,
    provider TEXT NOT NULL, group_id TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0,
    UNIQUE (part, position));
CREATE TABLE IF NOT EXISTS blocks (
    target INTEGER NOT NULL, first INTEGER NOT NULL, keys TEXT NOT NULL, given TEXT,
    PRIMARY KEY (target, first));
CREATE TABLE IF NOT EXISTS seen (
    target INTEGER NOT NULL, key TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (target, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS errors (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY, target INTEGER NOT NULL, state INTEGER NOT NULL, error INTEGER,
    positions BLOB NOT NULL, low INTEGER, high INTEGER);
CREATE INDEX IF NOT EXISTS log_target ON log (target, state);
"""

#: log rows one INSERT takes at most (6 parameters each, under SQLite's 32,766)
_ROWS_PER_INSERT = 5000
_SWAP = sys.byteorder != "little"  # positions are stored little-endian, 4 bytes each


def pack(positions: Sequence[int]) -> bytes:
    packed = array("I", positions)
    if _SWAP:  # pragma: no cover - big-endian hosts
        packed.byteswap()
    return packed.tobytes()


def log_row(
    target: int, state: int, error: ContactGroupsError | None, positions: Sequence[int]
) -> Write:
    """The log row naming ``positions``: packed, or a ``range`` (a chunk's usual run) by its
    bounds alone (no bytes)."""
    if not positions:
        return (target, state, error, b"", None, None)
    if type(positions) is range and positions.step == 1:
        return (target, state, error, b"", positions.start, positions.stop - 1)
    return (target, state, error, pack(positions), min(positions), max(positions))


def logged(data: object, low: object, high: object, *, bounded: bool = False) -> Sequence[int]:
    """A log row's positions (``log_row``'s), or ``ValueError`` for a row this SDK never
    writes. ``bounded``: check that a packed row's bounds are its positions' (a failed row's
    error is found by its bounds: ``last_errors``; a step per position, so only there)."""
    if not isinstance(data, bytes) or len(data) % 4:
        raise ValueError("a log row's positions are not whole")
    if data:
        positions = unpack(data)
        if bounded and low is not None and (low != min(positions) or high != max(positions)):
            raise ValueError("a log row's bounds are not those of its positions")
        return positions
    if low is None and high is None:
        return ()
    if type(low) is not int or type(high) is not int or not 0 <= low <= high:
        raise ValueError("a log row's run of positions is not one this SDK writes")
    return range(low, high + 1)


def unpack(data: bytes) -> array[int]:
    positions = array("I")
    positions.frombytes(data)
    if _SWAP:  # pragma: no cover - big-endian hosts
        positions.byteswap()
    return positions


def code_of(outcome: Outcome, error: ContactGroupsError | None) -> int:
    """The state code of an outcome (a failed one's says whether to repeat or read it back)."""
    code = STATE[outcome]
    if error is not None:
        code += (RETRY if worth_another_round(error) else 0) + (UNSURE if error.maybe_landed else 0)
    return code


def runs(
    codes: bytearray, wanted: Iterable[int], start: int = 0, end: int | None = None
) -> Iterator[range]:
    """The runs of consecutive positions in ``codes[start:end]`` whose code is one of
    ``wanted`` (a regular expression walks the bytes: no Python step per id)."""
    pattern = re.compile(b"[" + re.escape(bytes(sorted(wanted))) + b"]+")
    for match in pattern.finditer(codes, start, len(codes) if end is None else end):
        yield range(match.start(), match.end())


def assign(codes: bytearray, positions: Sequence[int], code: int) -> None:
    """``codes[p] = code`` for each position; a run of consecutive ones (the usual chunk) at
    once."""
    count = len(positions)
    if not count:
        return
    first = positions[0]
    end = first + count
    if positions[-1] == end - 1 < len(codes) and (
        type(positions) is range or list(positions) == list(range(first, end))
    ):
        codes[first:end] = bytes((code,)) * count
        return
    for position in positions:
        codes[position] = code


def code_counts(codes: bytearray, positions: Sequence[int]) -> Mapping[int, int]:
    """How many of ``positions`` hold each code (a ``range``'s counted in C)."""
    if type(positions) is range:
        before = codes[positions.start : positions.stop]
        if before and before.count(before[0]) == len(before):  # the usual run: one code
            return {before[0]: len(before)}
        return {code: before.count(code) for code in set(before)}
    return Counter(map(codes.__getitem__, positions))


def replay(db: sqlite3.Connection, target: int, size: int) -> bytearray:
    """Every id's state code now: the log of ``target`` applied in order (``ValueError`` or
    ``IndexError`` for a row this SDK never writes)."""
    codes = bytearray(size)
    unsent = db.execute(
        "SELECT 1 FROM log WHERE target=? AND state=? LIMIT 1", (target, NOT_SENT)
    ).fetchone()
    before: dict[int, int] | None = {} if unsent else None  # in flight: the state before
    for state, data, low, high in db.execute(
        "SELECT state, positions, low, high FROM log WHERE target=? ORDER BY id", (target,)
    ):
        if state not in CODE_OUTCOME and state != NOT_SENT:
            raise ValueError(f"a log row of target {target} is not one this SDK writes")
        positions = logged(data, low, high, bounded=FAILED <= state < IN_FLIGHT)
        if before is not None:  # a slower walk, only where a job stopped with ids marked ahead
            if state == NOT_SENT:
                for position in positions:
                    codes[position] = before.pop(position, codes[position])
                continue
            for position in positions:
                if state == IN_FLIGHT and codes[position] != IN_FLIGHT:
                    before[position] = codes[position]
                elif state != IN_FLIGHT:
                    before.pop(position, None)
        assign(codes, positions, state)  # a position past the target: IndexError
    return codes


def clear_part(db: sqlite3.Connection, part: str) -> None:
    db.execute("BEGIN")
    old = [(r[0],) for r in db.execute("SELECT id FROM targets WHERE part=?", (part,))]
    for table in ("blocks", "seen", "log"):
        db.executemany(f"DELETE FROM {table} WHERE target=?", old)
    if old:  # the errors only those rows named (a sync's journal would grow on every run)
        db.execute("DELETE FROM errors WHERE id NOT IN (SELECT error FROM log WHERE error > 0)")
    db.execute("DELETE FROM targets WHERE part=?", (part,))
    names = (f"job:{part}", f"options:{part}", f"ended:{part}")  # how the last run ended too
    db.execute("DELETE FROM meta WHERE name IN (?, ?, ?)", names)
    db.execute("COMMIT")


def error_row(db: sqlite3.Connection, error: ContactGroupsError) -> int:
    data = json.dumps(error_to_dict(error))
    return db.execute("INSERT INTO errors (data) VALUES (?)", (data,)).lastrowid or 0


def write_all(db: sqlite3.Connection, writes: list[Write]) -> None:
    """Every buffered log row, committed together; each distinct error stored once.

    Rows go in as one statement (no error among them: one step, its own transaction): each step
    lets go of the GIL, and taking it back from a busy event loop costs up to the interpreter's
    switch interval, so a commit of many steps would hold every call waiting on it that long."""
    error_ids: dict[int, int] = {}
    rows: list[object] = []
    failing = any(write[2] is not None for write in writes)
    if failing:
        db.execute("BEGIN")
    for target, state, error, positions, low, high in writes:
        error_id = None
        if error is not None:
            error_id = error_ids.get(id(error))
            if error_id is None:
                error_id = error_ids[id(error)] = error_row(db, error)
        rows += (target, state, error_id, positions, low, high)
    for start in range(0, len(writes), _ROWS_PER_INSERT):
        count = min(_ROWS_PER_INSERT, len(writes) - start)
        values = ",".join(("(?, ?, ?, ?, ?, ?)",) * count)
        db.execute(
            f"INSERT INTO log (target, state, error, positions, low, high) VALUES {values}",
            rows[start * 6 : (start + count) * 6],
        )
    if failing:
        db.execute("COMMIT")


def last_errors(
    db: sqlite3.Connection, target: int, start: int, end: int, states: range
) -> dict[int, int | None]:
    """For each position from ``start`` to ``end`` (excluded) that a log row with a state in
    ``states`` names, the error of the last such row: one window's worth in memory, however
    many ids the target has."""
    last: dict[int, int | None] = {}
    for error_id, data, low, high in db.execute(
        "SELECT error, positions, low, high FROM log WHERE target=? AND state>=? AND state<? "
        "AND (low IS NULL OR (low<? AND high>=?)) ORDER BY id",
        (target, states.start, states.stop, end, start),
    ):
        positions = logged(data, low, high)
        if low is not None and start <= low and high < end:  # the whole row in the window
            last.update(dict.fromkeys(positions, error_id))
        else:
            last.update((p, error_id) for p in positions if start <= p < end)
    return last


def load_errors(db: sqlite3.Connection, ids: Iterable[int]) -> dict[int, ContactGroupsError]:
    wanted = sorted(ids)
    errors: dict[int, ContactGroupsError] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        for error_id, data in db.execute(
            f"SELECT id, data FROM errors WHERE id IN ({','.join('?' * len(part))})", part
        ):
            stored = json.loads(data)
            if not isinstance(stored, dict):
                raise ValueError("a stored error is not one this SDK writes")
            errors[error_id] = error_from_dict(stored)
    if len(errors) != len(wanted):
        raise ValueError("an error the log names is not stored")
    return errors
