"""A journal's ids: each target's, numbered from 0 in the order passed (repeats dropped), in
``blocks`` of ``BLOCK`` consecutive positions (a block's keys NUL-separated, or a JSON array
where a key holds a NUL); a streamed target's repeats are dropped as they come (``seen``, which
also finds an id's position without reading the blocks).
Run by ``journal`` in its thread."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence

from ..errors import ContactGroupsError, InvalidRequestError
from .ledger import Outcome
from .records import code_of, error_row, pack
from .targets import IdEntry, Target

__all__ = [
    "BLOCK",
    "add_block",
    "add_streamed",
    "blocks_from",
    "check_blocks",
    "keys_at",
    "keys_between",
    "position_of",
    "store_held",
    "store_streamed",
]

#: ids per block of a target's ids on disk (and per batch of a streamed target's ingest)
BLOCK = 10_000


def _encoded(keys: Sequence[str]) -> str | bytes:
    """A block's keys as stored: NUL-separated UTF-8 (a BLOB: joined in C, no JSON to write or
    parse), or a JSON array (TEXT) where a key holds a NUL."""
    joined = "\x00".join(keys)
    if joined.count("\x00") == len(keys) - 1:
        try:
            return joined.encode("utf-8")
        except UnicodeEncodeError:
            pass
    return json.dumps(list(keys))


def _decoded(data: object) -> list[str]:
    """A block's keys (``ValueError`` for what ``_encoded`` never writes)."""
    if isinstance(data, bytes):
        return data.decode("utf-8").split("\x00")
    keys = json.loads(data) if isinstance(data, str) else None
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise ValueError("a block of ids is not one this SDK writes")
    return keys


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
        (target, first, _encoded(keys), json.dumps(dict(given)) if given else None),
    )
    if refused:
        for position, key in enumerate(keys, first):
            error = refused.get(key)
            if error is not None:
                row = (target, code_of(Outcome.FAILED, error), error_row(db, error))
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
        db.executemany(
            "INSERT INTO seen (target, key, position) VALUES (?, ?, ?)",
            [(target, k, position) for position, k in enumerate(keys, first)],
        )
    else:  # json_each's key is the index in the array
        db.execute(
            "INSERT INTO seen (target, key, position) SELECT ?, value, ? + key FROM json_each(?)",
            (target, first, json.dumps(keys)),
        )
    given = {k: e.given for k in keys if (e := unique[k]).given is not None}
    refused = {k: e.refused for k in keys if (e := unique[k]).refused is not None}
    add_block(db, target, first, keys, given, refused)
    return len(keys)


def check_blocks(db: sqlite3.Connection, target: int, size: int) -> None:
    """``ValueError`` unless the target's blocks hold positions 0 to ``size - 1``, each once (a
    block lost or cut would leave ids with a state and no id; SQLite reads each block's length
    without building its keys), and every error its log names is stored."""
    end = 0
    for first, count, data, given in db.execute(
        "SELECT first, CASE typeof(keys) WHEN 'text' THEN json_array_length(keys) END, "
        "CASE typeof(keys) WHEN 'blob' THEN keys END, json_type(given) FROM blocks "
        "WHERE target=? ORDER BY first",
        (target,),
    ):
        if data is not None:
            count = data.count(b"\x00") + 1
        if first != end or count is None or given not in (None, "object"):
            raise ValueError(f"the ids of target {target} are not stored whole")
        end += count
    if end != size:
        raise ValueError(f"target {target} stores {end} ids of its {size}")
    # a failed row names its error (4-7: failed), and every error named is stored
    lost = db.execute(
        "SELECT 1 FROM log WHERE target=? AND (error IS NOT NULL AND error NOT IN "
        "(SELECT id FROM errors) OR error IS NULL AND state BETWEEN 4 AND 7) LIMIT 1",
        (target,),
    ).fetchone()
    if lost is not None:
        raise ValueError(f"an error the log of target {target} names is not stored")


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
        passed = json.loads(given) if given else {}
        if not isinstance(passed, dict) or not all(isinstance(v, str) for v in passed.values()):
            raise ValueError("a block's ids as passed are not strings")
        yield first, _decoded(keys), passed


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


def position_of(db: sqlite3.Connection, target: int, key: str) -> int | None:
    """Where the target holds ``key`` (None: nowhere): a streamed target's looked up in
    ``seen`` (and checked in the one block that holds it), a held one's blocks read until it is
    found."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no id a journal holds (a target renames it)
        return None
    row = db.execute("SELECT position FROM seen WHERE target=? AND key=?", (target, key)).fetchone()
    if row is not None:
        position = row[0]
        if type(position) is not int or position < 0:  # -1 would read the last id's state
            raise ValueError(f"target {target}'s id seen at {position!r} is not one we write")
        if keys_at(db, target, [position]) != [key]:  # the one block that holds it, read
            raise ValueError(f"target {target}'s id seen at {position} is another id there")
        return position
    if db.execute("SELECT 1 FROM seen WHERE target=? LIMIT 1", (target,)).fetchone():
        return None  # streamed: every id it holds is in ``seen``
    for first, keys, _ in blocks_from(db, target, 0):
        if key in keys:
            return first + keys.index(key)
    return None
