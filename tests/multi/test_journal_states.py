"""The journal tells an id not sent yet from an id added (found by the crash tests, issue 15).

Ids are stored with state 0 when ingested, and state 0 is also ``Outcome.ADDED`` (the states are
the outcomes' positions): an id never sent read back as "added", and a resumed add sent every
added id again.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from contactgroups import multi
from contactgroups.multi import Action, Outcome
from contactgroups.multi.journal import Journal, JournalLedger
from contactgroups.multi.records import pack


def _writes(fake: Any) -> int:
    return len(fake.requests_to("POST", "/group/")) + len(fake.requests_to("DELETE", "/group/"))


async def test_a_finished_journaled_add_run_again_sends_nothing(
    messageflow_fake: Any, tmp_path: Path
) -> None:
    group = messageflow_fake.seed_group("g")
    ids = messageflow_fake.seed_contacts(2_500)
    journal = tmp_path / "job.db"
    async with messageflow_fake.client() as client:
        first = await multi.add([multi.Target(client, group, ids)], journal=journal)
        sent = _writes(messageflow_fake)
        again = await multi.add([multi.Target(client, group, ids)], journal=journal)
    assert first.ok
    assert sent == 3
    assert _writes(messageflow_fake) == sent  # nothing left to send
    assert again.counts()[Outcome.ADDED] == 2_500


@pytest.mark.parametrize("action", ["add", "remove"])
async def test_ids_recorded_but_never_sent_are_not_attempted(
    messageflow_fake: Any, tmp_path: Path, action: Action
) -> None:
    """A job whose ids are in the journal and nothing sent yet (as after a kill at that point):
    its ledger, the saved report and the rows all say "not attempted"."""
    group = messageflow_fake.seed_group("g")
    ids = messageflow_fake.seed_contacts(300)
    path = tmp_path / "job.db"
    journal = await Journal.open(path)
    async with messageflow_fake.client() as client:
        try:
            ledger = await JournalLedger.attach(journal, action, [multi.Target(client, group, ids)])
        finally:
            await journal.close()
    assert ledger.counts() == Counter({Outcome.NOT_ATTEMPTED: 300})
    assert multi.Report.load(path).counts() == Counter({Outcome.NOT_ATTEMPTED: 300})
    db = sqlite3.connect(os.fspath(path))
    try:
        logged = db.execute("SELECT COUNT(*) FROM log").fetchone()[0]
    finally:
        db.close()
    assert logged == 0  # nothing sent, nothing recorded: every id still at its first state


async def test_a_sync_run_again_with_nothing_left_reports_what_landed(
    messente_fake: Any, tmp_path: Path
) -> None:
    """A sync killed after its last remove landed, before its answer was recorded (its ids still
    in flight in the journal), run again: the plan is empty, and the remove part of the journal
    must not go on saying those ids failed."""
    group = messente_fake.seed_group("g")
    phones = messente_fake.seed_contacts(6)
    messente_fake.seed_members(group, phones[:3])
    journal = tmp_path / "job.db"
    async with messente_fake.client() as client:
        await multi.sync(client, group, phones[3:], journal=journal)
        db = sqlite3.connect(os.fspath(journal))  # as a SIGKILL right after the removes landed
        try:
            with db:
                for target, size in db.execute("SELECT id, size FROM targets WHERE part='remove'"):
                    db.execute(
                        "INSERT INTO log (target, state, positions) VALUES (?, 9, ?)",
                        (target, pack(range(size))),
                    )
        finally:
            db.close()
        again = await multi.sync(client, group, phones[3:], journal=journal)
    assert again.plan.empty
    assert messente_fake.member_ids(group) == set(phones[3:])
    assert multi.Report.load(journal, part="remove").ok
