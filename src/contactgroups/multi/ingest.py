"""Storing a job in a journal: its record (checked as read back), and its targets' ids: those
held in memory at once, streamed ones as they come (repeats dropped), each with its digest."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any

from ..errors import JournalError
from .blocks import BLOCK, store_held, store_streamed
from .journalfile import Journal
from .records import clear_part
from .targets import IdDigest, IdEntry, Target

__all__ = ["ingest_streamed", "store_held_targets", "stored_job"]


def stored_job(journal: Journal, part: str) -> dict[str, Any] | None:
    """The job recorded under ``part`` (None: none yet), as this SDK writes it, or
    ``JournalError``."""
    stored = journal.meta(f"job:{part}")
    if stored is None or (
        isinstance(stored, dict)
        and stored.keys() == {"action", "targets", "ids", "state"}
        and stored["action"] in ("add", "remove")
        and isinstance(stored["targets"], list)
        and all(
            isinstance(t, list) and len(t) == 2 and all(isinstance(v, str) for v in t)
            for t in stored["targets"]
        )
    ):
        return stored
    raise JournalError(f"{journal.path} is damaged: its record of the job ({part}) is not ours")


def store_held_targets(db: sqlite3.Connection, part: str, targets: Sequence[Target]) -> None:
    """Clear ``part`` and store the ids of its targets held in memory (a streamed target's
    stream in afterwards: ``ingest_streamed``)."""
    clear_part(db, part)
    for position, target in enumerate(targets):
        if not target.streamed:
            store_held(db, _add_target(db, part, position, target), target)


def _add_target(db: sqlite3.Connection, part: str, position: int, target: Target) -> int:
    cursor = db.execute(
        "INSERT INTO targets (part, position, provider, group_id) VALUES (?, ?, ?, ?)",
        (part, position, target.provider, str(target.group_id)),
    )
    return cursor.lastrowid or 0


async def ingest_streamed(journal: Journal, part: str, position: int, target: Target) -> str:
    """Stream the target's ids into the journal as they come (repeats dropped); their digest."""
    row = await journal.run(partial(_add_target, part=part, position=position, target=target))
    digest = IdDigest()
    size = 0
    batch: list[IdEntry] = []

    async def write() -> None:
        nonlocal size
        entries = list(batch)
        batch.clear()
        size += await journal.run(partial(store_streamed, target=row, first=size, entries=entries))

    for entry in target.entries(repeats=True):
        digest.add(entry.key)
        batch.append(entry)
        if len(batch) >= BLOCK:
            await write()
    await write()
    return digest.hexdigest()
