"""The journal's tables, and the statements that write and read them (run by ``journal`` in its
thread).

A target's ids are numbered from 0 in the order they were passed (repeats dropped) and stored in
``blocks`` of consecutive positions. What happens to them is a ``log``: one row per call sent (its
ids' positions, in flight) and one per outcome recorded (positions, state, error), in order, so
that recording a call costs one row whatever its size; an id's state is that of the last row
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
from collections.abc import Iterable, Iterator, Mapping, Sequence

from ..errors import ContactGroupsError, InvalidRequestError
from .ledger import Outcome
from .retrying import worth_another_round
from .saved import error_from_dict, error_to_dict
from .targets import IdEntry, Target

__all__ = [
    "BLOCK",
    "CODE_OUTCOME",
    "IN_FLIGHT",
    "NOT_SENT",
    "OUTCOME",
    "RETRY",
    "SCHEMA",
    "STATE",
    "UNSURE",
    "Write",
    "add_block",
    "add_streamed",
    "assign",
    "blocks_from",
    "check_blocks",
    "clear_part",
    "code_of",
    "keys_at",
    "keys_between",
    "last_errors",
    "load_errors",
    "pack",
    "replay",
    "runs",
    "store_held",
    "store_streamed",
    "unpack",
    "write_all",
]

IN_FLIGHT = 9  # a state only the journal has: sent, answer not recorded
NOT_SENT = 10  # a log row only: marked in flight, then not sent after all (the state before holds)
STATE = {
    Outcome.NOT_ATTEMPTED: 0,
    Outcome.ADDED: 1,
    Outcome.REMOVED: 2,
    Outcome.ALREADY: 3,
    Outcome.FAILED: 4,
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

#: ids per block of a target's ids on disk (and per batch of a streamed target's ingest)
BLOCK = 10_000

#: One buffered log row: (target row id, state code, error of a failed state, packed positions).
Write = tuple[int, int, ContactGroupsError | None, bytes]

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
    target INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY (target, key)) WITHOUT ROWID;
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
    if positions[-1] == end - 1 <= len(codes) - 1 and list(positions) == list(range(first, end)):
        codes[first:end] = bytes((code,)) * count
        return
    for position in positions:
        codes[position] = code


def replay(db: sqlite3.Connection, target: int, size: int) -> bytearray:
    """Every id's state code now: the log of ``target`` applied in order (``ValueError`` or
    ``IndexError`` for a row this SDK never writes)."""
    codes = bytearray(size)
    unsent = db.execute(
        "SELECT 1 FROM log WHERE target=? AND state=? LIMIT 1", (target, NOT_SENT)
    ).fetchone()
    before: dict[int, int] | None = {} if unsent else None  # in flight: the state before
    for state, data in db.execute(
        "SELECT state, positions FROM log WHERE target=? ORDER BY id", (target,)
    ):
        known = state in CODE_OUTCOME or state == NOT_SENT
        if not known or not isinstance(data, bytes) or len(data) % 4:
            raise ValueError(f"a log row of target {target} is not one this SDK writes")
        positions = unpack(data)
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


def check_blocks(db: sqlite3.Connection, target: int, size: int) -> None:
    """``ValueError`` unless the target's blocks hold positions 0 to ``size - 1``, each once (a
    block lost or cut would leave ids with a state and no id; SQLite reads each block's length
    without building its keys), and every error its log names is stored."""
    end = 0
    for first, count, given in db.execute(
        "SELECT first, json_array_length(keys), json_type(given) FROM blocks WHERE target=? "
        "ORDER BY first",
        (target,),
    ):
        if first != end or given not in (None, "object"):
            raise ValueError(f"the ids of target {target} are not stored whole")
        end += count
    if end != size:
        raise ValueError(f"target {target} stores {end} ids of its {size}")
    lost = db.execute(
        "SELECT 1 FROM log WHERE target=? AND error IS NOT NULL "
        "AND error NOT IN (SELECT id FROM errors) LIMIT 1",
        (target,),
    ).fetchone()
    if lost is not None:
        raise ValueError(f"an error the log of target {target} names is not stored")


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


def _error_row(db: sqlite3.Connection, error: ContactGroupsError) -> int:
    data = json.dumps(error_to_dict(error))
    return db.execute("INSERT INTO errors (data) VALUES (?)", (data,)).lastrowid or 0


def add_block(
    db: sqlite3.Connection,
    target: int,
    first: int,
    keys: Sequence[str],
    given: Mapping[str, str],
    refused: Mapping[str, ContactGroupsError],
) -> None:
    """Store ``keys`` as the target's ids from position ``first``: what the caller passed where
    it differs (``given``), and the ids refused before sending, logged failed."""
    db.execute(
        "INSERT INTO blocks (target, first, keys, given) VALUES (?, ?, ?, ?)",
        (target, first, json.dumps(list(keys)), json.dumps(dict(given)) if given else None),
    )
    if refused:
        for position, key in enumerate(keys, first):
            error = refused.get(key)
            if error is not None:
                row = (target, code_of(Outcome.FAILED, error), _error_row(db, error))
                db.execute(
                    "INSERT INTO log (target, state, error, positions, low, high) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (*row, pack([position]), position, position),
                )


def add_streamed(
    db: sqlite3.Connection, target: int, first: int, entries: Sequence[IdEntry]
) -> int:
    """A streamed target's next ids, from position ``first``: repeats dropped (among them, and
    of the ids already stored: ``seen``), first kept. Returns how many were new."""
    unique: dict[str, IdEntry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    listed = json.dumps(list(unique))
    # json_each ends a string at an escaped NUL ("a\0b" would be "a"): such a batch is bound
    # id by id
    exact = "\\u0000" in listed
    if exact:
        ask = "SELECT 1 FROM seen WHERE target=? AND key=?"
        held = {k for k in unique if db.execute(ask, (target, k)).fetchone()}
    else:
        held = {
            r[0]
            for r in db.execute(
                "SELECT key FROM seen WHERE target=? AND key IN (SELECT value FROM json_each(?))",
                (target, listed),
            )
        }
    keys = [key for key in unique if key not in held]
    if not keys:
        return 0
    if exact:
        db.executemany("INSERT INTO seen (target, key) VALUES (?, ?)", [(target, k) for k in keys])
    else:
        db.execute(
            "INSERT INTO seen (target, key) SELECT ?, value FROM json_each(?)",
            (target, json.dumps(keys)),
        )
    given = {k: e.given for k in keys if (e := unique[k]).given is not None}
    refused = {k: e.refused for k in keys if (e := unique[k]).refused is not None}
    add_block(db, target, first, keys, given, refused)
    return len(keys)


def blocks_from(
    db: sqlite3.Connection, target: int, position: int
) -> Iterator[tuple[int, list[str], dict[str, str]]]:
    """The target's blocks (first position, keys, given) in order, from the one holding
    ``position``."""
    row = db.execute(
        "SELECT MAX(first) FROM blocks WHERE target=? AND first<=?", (target, position)
    ).fetchone()
    rows = db.execute(
        "SELECT first, keys, given FROM blocks WHERE target=? AND first>=? ORDER BY first",
        (target, row[0] or 0),
    )
    for first, keys, given in rows:
        yield first, json.loads(keys), json.loads(given) if given else {}


def keys_at(db: sqlite3.Connection, target: int, positions: Sequence[int]) -> list[str]:
    """The keys at ``positions`` (ascending), reading only the blocks that hold them."""
    keys: list[str] = []
    index = 0
    while index < len(positions):
        before = index
        for first, block, _ in blocks_from(db, target, positions[index]):
            end = first + len(block)
            while index < len(positions) and positions[index] < end:
                keys.append(block[positions[index] - first])
                index += 1
            break  # the next position may be blocks away: look it up
        if index == before:
            raise IndexError(f"no id at position {positions[index]} of target {target}")
    return keys


def keys_between(db: sqlite3.Connection, target: int, start: int, end: int) -> list[str]:
    """The keys at positions ``start`` to ``end`` (excluded)."""
    keys: list[str] = []
    base = None
    for first, block, _ in blocks_from(db, target, start):
        base = first if base is None else base
        keys.extend(block)
        if first + len(block) >= end:
            break
    return [] if base is None else keys[start - base : end - base]


def write_all(db: sqlite3.Connection, writes: list[Write]) -> None:
    """Every buffered log row, committed together; each distinct error stored once.

    Rows go in as one statement (no error among them: one step, its own transaction): each step
    lets go of the GIL, and taking it back from a busy event loop costs up to the interpreter's
    switch interval, so a commit of many steps would hold every call waiting on it that long."""
    error_ids: dict[int, int] = {}
    rows: list[object] = []
    failing = any(error is not None for _, _, error, _ in writes)
    if failing:
        db.execute("BEGIN")
    for target, state, error, positions in writes:
        error_id = None
        if error is not None:
            error_id = error_ids.get(id(error))
            if error_id is None:
                error_id = error_ids[id(error)] = _error_row(db, error)
        rows += (target, state, error_id, positions, *_bounds(positions))
    for start in range(0, len(writes), _ROWS_PER_INSERT):
        count = min(_ROWS_PER_INSERT, len(writes) - start)
        values = ",".join(("(?, ?, ?, ?, ?, ?)",) * count)
        db.execute(
            f"INSERT INTO log (target, state, error, positions, low, high) VALUES {values}",
            rows[start * 6 : (start + count) * 6],
        )
    if failing:
        db.execute("COMMIT")


def _bounds(packed: bytes) -> tuple[int | None, int | None]:
    """The lowest and highest position of a row (what ``last_errors`` selects rows by)."""
    positions = unpack(packed)
    return (min(positions), max(positions)) if positions else (None, None)


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
        positions = unpack(data)
        if low is not None and start <= low and high < end:  # the whole row in the window
            last.update(dict.fromkeys(positions, error_id))
        else:
            last.update((p, error_id) for p in positions if start <= p < end)
    return last


def store_held(db: sqlite3.Connection, target: int, ids: Target) -> None:
    """A held target's ids in blocks, in one transaction."""
    keys = ids.ids
    given: list[dict[str, str]] = [{} for _ in range(0, len(keys), BLOCK)]
    refused: list[dict[str, InvalidRequestError]] = [{} for _ in given]
    if ids.given or ids.refused:
        position = {key: n for n, key in enumerate(keys)}
        for key, passed in ids.given.items():
            given[position[key] // BLOCK][key] = passed
        for key, error in ids.refused.items():
            refused[position[key] // BLOCK][key] = error
    db.execute("BEGIN")
    for number, first in enumerate(range(0, len(keys), BLOCK)):
        add_block(db, target, first, keys[first : first + BLOCK], given[number], refused[number])
    db.execute("UPDATE targets SET size=? WHERE id=?", (len(keys), target))
    db.execute("COMMIT")


def store_streamed(db: sqlite3.Connection, target: int, first: int, entries: list[IdEntry]) -> int:
    db.execute("BEGIN")
    added = add_streamed(db, target, first, entries)
    db.execute("UPDATE targets SET size=? WHERE id=?", (first + added, target))
    db.execute("COMMIT")
    return added


def load_errors(db: sqlite3.Connection, ids: Iterable[int]) -> dict[int, ContactGroupsError]:
    wanted = sorted(ids)
    errors: dict[int, ContactGroupsError] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        for error_id, data in db.execute(
            f"SELECT id, data FROM errors WHERE id IN ({','.join('?' * len(part))})", part
        ):
            errors[error_id] = error_from_dict(json.loads(data))
    if len(errors) != len(wanted):
        raise ValueError("an error the log names is not stored")
    return errors
