"""The journal's tables, and the statements that write them (run by ``journal`` in its thread).

An id's ``state``: 0 not attempted, 1 added, 2 removed, 3 already, 4 failed, 9 in flight (sent,
its answer not recorded). A failed id keeps its error (one row of ``errors`` per distinct error)
and, for the job's next steps, whether it is worth another round (``retry``), may have landed
(``unsure``) and how long the vendor asked to wait (``wait``).
"""

from __future__ import annotations

import json
import sqlite3

from ..errors import APIError, ContactGroupsError
from .ledger import Outcome
from .retrying import worth_another_round
from .saved import error_to_dict
from .targets import IdEntry

__all__ = [
    "IN_FLIGHT",
    "OUTCOME",
    "SCHEMA",
    "STATE",
    "Write",
    "clear_part",
    "insert_ids",
    "write_all",
]

#: One buffered write: (the ids' rows, their new state, the error of a failed state).
Write = tuple[list[int], int, ContactGroupsError | None]

IN_FLIGHT = 9  # a state only the journal has: sent, answer not recorded
STATE = {
    Outcome.NOT_ATTEMPTED: 0,  # the queries below say "state=0"
    Outcome.ADDED: 1,
    Outcome.REMOVED: 2,
    Outcome.ALREADY: 3,
    Outcome.FAILED: 4,
}
OUTCOME = {n: o for o, n in STATE.items()}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY, part TEXT NOT NULL, position INTEGER NOT NULL,
    provider TEXT NOT NULL, group_id TEXT NOT NULL, digest TEXT, UNIQUE (part, position));
CREATE TABLE IF NOT EXISTS errors (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ids (
    target INTEGER NOT NULL, key TEXT NOT NULL, given TEXT, state INTEGER NOT NULL,
    error INTEGER, retry INTEGER NOT NULL DEFAULT 0, unsure INTEGER NOT NULL DEFAULT 0,
    wait REAL, PRIMARY KEY (target, key));
"""


def clear_part(db: sqlite3.Connection, part: str) -> None:
    db.execute("BEGIN")
    old = [r[0] for r in db.execute("SELECT id FROM targets WHERE part=?", (part,))]
    db.executemany("DELETE FROM ids WHERE target=?", [(i,) for i in old])
    db.execute("DELETE FROM targets WHERE part=?", (part,))
    db.execute("DELETE FROM meta WHERE name=?", (f"job:{part}",))
    db.execute("COMMIT")


def insert_ids(db: sqlite3.Connection, target: int, entries: list[IdEntry]) -> None:
    db.execute("BEGIN")
    plain = [(target, e.key, e.given) for e in entries if e.refused is None]
    db.executemany("INSERT OR IGNORE INTO ids (target, key, given, state) VALUES (?,?,?,0)", plain)
    for entry in entries:
        if entry.refused is not None:
            data = json.dumps(error_to_dict(entry.refused))
            error_id = db.execute("INSERT INTO errors (data) VALUES (?)", (data,)).lastrowid
            db.execute(
                "INSERT OR IGNORE INTO ids (target, key, given, state, error) VALUES (?,?,?,?,?)",
                (target, entry.key, entry.given, STATE[Outcome.FAILED], error_id),
            )
    db.execute("COMMIT")


def write_all(db: sqlite3.Connection, writes: list[Write]) -> None:
    """Every buffered write in one transaction; each distinct error stored once."""
    error_ids: dict[int, int] = {}
    db.execute("BEGIN")
    for rows, state, error in writes:
        if state == IN_FLIGHT:
            db.executemany("UPDATE ids SET state=? WHERE rowid=?", [(state, r) for r in rows])
            continue
        args: list[tuple[int, int | None, int, int, float | None, int]]
        if error is None:
            args = [(state, None, 0, 0, None, r) for r in rows]
        else:
            if id(error) not in error_ids:
                data = json.dumps(error_to_dict(error))
                error_ids[id(error)] = (
                    db.execute("INSERT INTO errors (data) VALUES (?)", (data,)).lastrowid or 0
                )
            retry = worth_another_round(error)
            wait = error.retry_after if isinstance(error, APIError) and retry else None
            row = (state, error_ids[id(error)], int(retry), int(error.maybe_landed), wait)
            args = [(*row, r) for r in rows]
        db.executemany(
            "UPDATE ids SET state=?, error=?, retry=?, unsure=?, wait=? WHERE rowid=?", args
        )
    db.execute("COMMIT")
