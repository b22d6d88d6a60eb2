"""The journal's log (format 4): whatever a job records, the journal's ledger, the report read
back from disk and a resumed run agree with the in-memory ``Ledger`` given the same writes; and
a call costs the journal two rows whatever its size."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactgroups import multi
from contactgroups.errors import (
    ContactGroupsError,
    InterruptedCallError,
    ServerError,
    ValidationError,
)
from contactgroups.multi import Outcome, blocks, ingest, records
from contactgroups.multi.handout import Run
from contactgroups.multi.journal import Journal, JournalLedger
from contactgroups.testing.messageflow import MessageFlowFake

ERRORS: dict[str, ContactGroupsError] = {
    "server": ServerError("busy", status=503, provider="p", retry_after=2.5),  # worth a round
    "refused": ValidationError("no such contact", status=422, provider="p"),  # permanent
    "unclear": InterruptedCallError("timed out mid-call", provider="p"),  # may have landed
}
# what one chunk's answer can be: an outcome for all its ids, or left in flight (a kill)
ANSWERS = st.sampled_from(["added", "already", "server", "refused", "unclear", "in_flight"])


def target(ids: list[str], *, streamed: bool) -> multi.Target:
    client: Any = SimpleNamespace(membership=SimpleNamespace(provider="p"))
    return multi.Target(client, "g", iter(ids) if streamed else ids)


def items(ledger: multi.LedgerBase) -> list[tuple[str, Outcome, str | None]]:
    return [
        (key, outcome, None if error is None else type(error).__name__)
        for key, outcome, error, _ in ledger.items(0)
    ]


def chunks(keys: list[str], sizes: Iterator[int], *, runs: bool) -> Iterator[list[str]]:
    """``keys`` cut in turn: with ``runs``, every other chunk of a run as the job cuts it (a
    ``Run``, recorded by its bounds), the rest as plain lists (looked up id by id)."""
    start = 0
    number = 0
    while start < len(keys):
        size = next(sizes)
        number += 1
        if runs and number % 2 and isinstance(keys, Run):
            yield keys.part(start, start + size)
        else:
            yield keys[start : start + size]
        start += size


async def record(
    path: Path,
    ids: list[str],
    streamed: bool,
    rounds: list[list[str]],
    sizes: list[int],
    runs: bool = True,
) -> tuple[multi.Ledger, JournalLedger, set[str]]:
    """Run ``rounds`` of answers through a journal's ledger and the in-memory one; the ids left
    in flight (as at a kill)."""
    memory = multi.Ledger([target(ids, streamed=False)])
    journal = await Journal.open(path)
    in_flight: set[str] = set()
    try:
        ledger = await JournalLedger.attach(journal, "add", [target(ids, streamed=streamed)])
        answers = iter(a for answers in rounds for a in answers)
        size_cycle = (sizes[n % len(sizes)] for n in range(10**6))
        for number in range(len(rounds)):
            async for keys in ledger.pending(0, first=number == 0):
                for chunk in chunks(keys, size_cycle, runs=runs):
                    ledger.sending(0, chunk)
                    answer = next(answers, "added")
                    if answer == "in_flight":
                        in_flight.update(chunk)
                        continue
                    outcome = {"added": Outcome.ADDED, "already": Outcome.ALREADY}.get(
                        answer, Outcome.FAILED
                    )
                    error = ERRORS.get(answer)
                    in_flight.difference_update(chunk)
                    ledger.set(0, chunk, outcome, error)
                    memory.set(0, chunk, outcome, error)
                    if len(chunk) % 3 == 0:
                        await ledger.flush()  # commits at odd moments, as calls end
        await ledger.flush()
    finally:
        await journal.close()
    return memory, ledger, in_flight


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(1, 40),
    streamed=st.booleans(),
    rounds=st.lists(st.lists(ANSWERS, max_size=12), min_size=1, max_size=3),
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    repeats=st.integers(0, 5),
    runs=st.booleans(),
)
def test_the_log_agrees_with_the_in_memory_ledger(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
    streamed: bool,
    rounds: list[list[str]],
    sizes: list[int],
    repeats: int,
    runs: bool,
) -> None:
    monkeypatch.setattr(blocks, "BLOCK", 7)  # many blocks: ids cross their edges
    monkeypatch.setattr(ingest, "BLOCK", 7)
    path = tmp_path_factory.mktemp("log") / "job.db"
    ids = [f"id{n}" for n in range(size)]
    passed = ids + ids[:repeats]  # repeats, dropped by the target or by the journal
    memory, ledger, in_flight = anyio.run(record, path, passed, streamed, rounds, sizes, runs)

    # the live ledger: ids in flight keep their outcome until they are recorded
    assert ledger.counts() == memory.counts()
    assert items(ledger) == items(memory)

    # read back from disk: an id last recorded in flight is failed, interrupted
    for key in in_flight:
        memory.set(0, [key], Outcome.FAILED, InterruptedCallError("stopped"))
    report = multi.Report.load(path)
    assert items(report.ledger) == items(memory)
    assert report.counts() == memory.counts()
    opened = Journal.open_now(path)
    try:
        assert {key for _, key in opened.in_flight()} == in_flight
    finally:
        opened.close_now()

    # run again: the in-flight ids are the ones to read back; the resumed first round sends
    # what was never sent and what failed for a reason worth another round
    async def resume() -> tuple[set[str], set[str]]:
        journal = await Journal.open(path)
        try:
            again = await JournalLedger.attach(journal, "add", [target(passed, streamed=streamed)])
            unsure: set[str] = set()
            async for some in again.unsure(0):  # each slice settled before the next
                unsure.update(key for key, _ in some)
                again.set(0, sorted(key for key, _ in some), Outcome.ALREADY)  # they had landed
            pending = {key async for keys in again.pending(0, first=True) for key in keys}
            return unsure, pending
        finally:
            await journal.close()

    unsure, pending = anyio.run(resume)
    outcomes = dict(memory.outcomes_of(0))
    errors = memory.errors_of(0)
    assert unsure == {k for k, e in errors.items() if e.maybe_landed}
    assert pending == {
        k
        for k, o in outcomes.items()
        if o is Outcome.NOT_ATTEMPTED
        or (isinstance(errors.get(k), ServerError) and k not in unsure)
    }


@pytest.mark.anyio
async def test_a_call_costs_the_journal_two_rows_whatever_its_size(tmp_path: Path) -> None:
    """Its ids in flight, then their outcome: not a row written per id (the marks of calls cut
    from one run and marked one after the other share a row)."""
    path = tmp_path / "job.db"
    async with MessageFlowFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(5_000)  # 1000 ids a call
        report = await multi.add([multi.Target(client, group, ids)], journal=path)
    calls = sum(summary.calls for summary in report.providers.values())
    assert report.ok and calls == 5
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT state, COUNT(*) FROM log GROUP BY state").fetchall()
    finally:
        db.close()
    counted = dict(rows)
    assert counted.keys() == {records.IN_FLIGHT, records.STATE[Outcome.ADDED]}
    assert (
        1 <= counted[records.IN_FLIGHT] <= calls and counted[records.STATE[Outcome.ADDED]] == calls
    )
