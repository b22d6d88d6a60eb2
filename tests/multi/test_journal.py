"""The journal: a job recorded in SQLite resumes where it stopped, refuses another job, and its
report can be read back from disk."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from contactgroups import multi
from contactgroups.errors import InvalidRequestError, JournalError, ServerError
from contactgroups.multi import records
from contactgroups.multi.journal import Journal, JournalLedger
from contactgroups.multi.records import pack
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messente import MessenteFake

pytestmark = pytest.mark.anyio


def sent_phones(fake: MessenteFake) -> Counter[str]:
    """How many add/remove calls carried each phone (Messente: one phone per call)."""
    return Counter(
        r.path.rsplit("/", 1)[-1] for r in fake.requests if r.method in ("POST", "DELETE")
    )


async def test_a_job_stopped_by_its_deadline_resumes_without_sending_anything_twice(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "job.db"
    async with MessenteFake(faults=Faults(latency=0.01)) as fake, fake.client() as client:
        group = fake.seed_group("g")
        phones = fake.seed_contacts(120)
        first = await multi.add(
            [multi.Target(client, group, phones)], journal=journal, deadline=0.15, concurrency=2
        )
        assert first.counts()[multi.Outcome.NOT_ATTEMPTED] > 0
        once = sent_phones(fake)
        second = await multi.add([multi.Target(client, group, phones)], journal=journal)
    assert second.ok and second.total == 120
    assert fake.member_ids(group) == set(phones)
    twice = {p for p, n in sent_phones(fake).items() if n > 1}
    # only what the deadline interrupted in flight may go twice (it is read back first)
    interrupted = {
        i for _, i, o, e in first.outcomes() if isinstance(e, multi.InterruptedCallError)
    }
    assert twice <= interrupted
    assert set(once) | set(sent_phones(fake)) == set(phones)
    loaded = multi.Report.load(journal)
    assert loaded.counts() == second.counts() and loaded.ok


async def test_ids_recorded_in_flight_are_verified_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    """As after a kill: the journal says ten ids were in flight; five of them had landed."""
    journal = tmp_path / "job.db"
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(30)
        # record the job without sending: a deadline too short for anything
        target = multi.Target(client, group, ids)
        await multi.add([target], journal=journal, deadline=1e-9)
        with sqlite3.connect(journal) as db:  # as a kill with its first ten ids in flight
            db.execute(
                "INSERT INTO log (target, state, positions) SELECT id, 9, ? FROM targets",
                (pack(range(10)),),
            )
        fake.seed_members(group, ids[:5])
        before = len(fake.requests)
        report = await multi.add([multi.Target(client, group, ids)], journal=journal)
        added = [r for r in fake.requests[before:] if r.method in ("POST", "PUT")]
    carried = " ".join(r.query + r.body.decode() for r in added)
    assert not any(i in carried for i in ids[:5])  # landed before the kill: verified, not sent
    assert all(i in carried for i in ids[5:])
    assert report.ok and fake.member_ids(group) == set(ids)


async def test_a_journal_of_another_job_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "job.db"
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(6)
        await multi.add([multi.Target(client, group, ids)], journal=journal)
        before = len(fake.requests)
        with pytest.raises(JournalError, match="another job"):
            await multi.add([multi.Target(client, group, ids[:5])], journal=journal)
        with pytest.raises(JournalError, match="another job"):
            await multi.remove([multi.Target(client, group, ids)], journal=journal)
        with pytest.raises(JournalError, match="not a sync"):
            await multi.sync(client, group, ids, journal=journal)
        assert len(fake.requests) == before  # refused before anything was sent
        (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
        with pytest.raises(JournalError):
            await multi.add([multi.Target(client, group, ids)], journal=tmp_path / "junk.db")
    assert multi.Report.load(journal).ok  # the first job's record is untouched


async def test_streamed_ids_live_in_the_journal_only(tmp_path: Path) -> None:
    journal = tmp_path / "job.db"
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(250)
        target = multi.Target(client, group, (i for i in [*ids, *ids[:50], None]))
        assert target.streamed
        with pytest.raises(InvalidRequestError):
            _ = target.ids
        report = await multi.add([target], journal=journal)
    assert report.total == 251  # repeats dropped in the journal, the None kept as failed
    assert report.counts()[multi.Outcome.ADDED] == 250
    assert fake.member_ids(group) == set(ids)
    assert [i for _, i, _, _ in report.outcomes()][:250] == ids  # in the order given


async def test_a_sync_run_again_on_its_journal_plans_only_what_is_left(tmp_path: Path) -> None:
    journal = tmp_path / "sync.db"
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(40)
        fake.seed_members(group, ids[30:])
        first = await multi.sync(client, group, ids[:30], journal=journal)
        assert first.ok and fake.member_ids(group) == set(ids[:30])
        assert multi.Report.load(journal, "add").counts()[multi.Outcome.ADDED] == 30
        assert multi.Report.load(journal, "remove").counts()[multi.Outcome.REMOVED] == 10
        again = await multi.sync(client, group, ids[:30], journal=journal)
        assert again.plan.empty
        with pytest.raises(JournalError, match="another sync"):
            await multi.sync(client, group, ids[:29], journal=journal)
        # the journal holds the latest run: nothing was left to do
        assert multi.Report.load(journal, "add").total == 0
        assert multi.Report.load(journal, "remove").ok


async def test_both_ledgers_refuse_an_outcome_and_error_that_do_not_go_together(
    tmp_path: Path,
) -> None:
    """The one check in ``LedgerBase.set``: a FAILED outcome needs its error, no other has one;
    only the journal's ledger is durable (its hooks run on every call)."""
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        target = multi.Target(client, group, fake.seed_contacts(2))
        memory = multi.Ledger([target])
        journal = await Journal.open(tmp_path / "job.db")
        try:
            durable = await JournalLedger.attach(journal, "add", [target])
            for ledger in (memory, durable):
                with pytest.raises(ValueError, match="FAILED"):
                    ledger.set(0, list(target.ids), multi.Outcome.FAILED)
                with pytest.raises(ValueError, match="FAILED"):
                    ledger.set(
                        0,
                        list(target.ids),
                        multi.Outcome.ADDED,
                        ServerError("x", status=503, provider="messagebird"),
                    )
            assert durable.durable and not memory.durable
        finally:
            await journal.close()


async def test_the_journal_records_each_runs_options_beside_the_job(tmp_path: Path) -> None:
    """The options are recorded (JSON-safe, the callback left out) but do not make it another
    job: a run with other options resumes it and records its own."""
    journal = tmp_path / "job.db"

    def recorded() -> object:
        opened = Journal.open_now(journal)
        try:
            return opened.meta("options:job")
        finally:
            opened.close_now()

    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(30)
        await multi.add(
            [multi.Target(client, group, ids[:10])],
            journal=journal,
            concurrency={"messagebird": 3},
            rounds=2,
            on_progress=lambda progress: None,
        )
        assert recorded() == {
            "concurrency": {"messagebird": 3},
            "max_concurrency": 64,
            "rate": None,
            "deadline": None,
            "rounds": 2,
            "verify": True,
            "verify_grace": 10.0,
        }
        report = await multi.add(
            [multi.Target(client, group, ids[:10])], journal=journal, rate=5.0, verify=False
        )
    assert report.ok and report.ledger.resumed
    assert recorded() == {
        "concurrency": "adaptive",
        "max_concurrency": 64,
        "rate": 5.0,
        "deadline": None,
        "rounds": 2,
        "verify": False,
        "verify_grace": 10.0,
    }


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE log SET positions = x'ffffff7f' WHERE id = (SELECT MAX(id) FROM log)",
        "UPDATE log SET positions = x'010203' WHERE id = (SELECT MAX(id) FROM log)",
        "UPDATE log SET state = 8 WHERE id = (SELECT MAX(id) FROM log)",
        "DELETE FROM targets",
    ],
    ids=["position past the target", "torn positions", "unknown state", "targets gone"],
)
async def test_a_damaged_journal_is_refused_not_misread(tmp_path: Path, damage: str) -> None:
    """Rows this SDK never writes: ``JournalError`` naming the file, from the report and from a
    resumed run, before anything is sent."""
    journal = tmp_path / "job.db"
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        target = multi.Target(client, group, fake.seed_contacts(10))
        await multi.add([target], journal=journal)
        with sqlite3.connect(journal) as db:
            db.execute(damage)
        with pytest.raises(JournalError, match="damaged"):
            multi.Report.load(journal)
        before = len(fake.requests)
        with pytest.raises(JournalError, match="damaged"):
            await multi.add([target], journal=journal)
        assert len(fake.requests) == before


async def test_a_sync_journal_does_not_grow_with_every_run(tmp_path: Path) -> None:
    """Each run plans its parts again; the errors only the last run's rows named go with them."""
    journal = tmp_path / "sync.db"
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(20)
        sizes = []
        for _ in range(4):  # two ids refused on every run: an error stored for each
            report = await multi.sync(client, group, [*ids, None, ""], journal=journal)
            assert not report.ok
            with sqlite3.connect(journal) as db:
                sizes.append(db.execute("SELECT COUNT(*) FROM errors").fetchone()[0])
    assert sizes[0] > 0 and sizes[-1] == sizes[0]


async def test_calls_marked_ahead_but_never_sent_are_not_attempted_on_disk_too(
    tmp_path: Path,
) -> None:
    """A journal marks calls in flight a few chunks ahead of sending them; a job stopped by its
    deadline before sending some of those says "not attempted" for their ids, live and read
    back from disk alike (a ``NOT_SENT`` row puts back what they were)."""
    journal = tmp_path / "job.db"
    async with MessageBirdFake(faults=Faults(latency=0.05)) as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(600)  # 12 calls of 50, one at a time: about 0.6 s
        report = await multi.add(
            [multi.Target(client, group, ids)],
            journal=journal,
            concurrency=1,
            deadline=0.2,
            verify=False,
        )
    assert report.deadline_passed and report.counts()[multi.Outcome.NOT_ATTEMPTED] > 0

    def outcomes(of: multi.Report) -> list[tuple[str, multi.Outcome]]:
        return sorted((contact_id, outcome) for _, contact_id, outcome, _ in of.outcomes())

    assert outcomes(multi.Report.load(journal)) == outcomes(report)
    with sqlite3.connect(journal) as db:
        unsent = db.execute("SELECT COUNT(*) FROM log WHERE state = ?", (records.NOT_SENT,))
        assert unsent.fetchone()[0] >= 1


async def test_calls_stopped_while_waiting_their_turn_are_not_attempted_on_disk_too(
    tmp_path: Path,
) -> None:
    """Calls marked in flight and committed, then held by ``rate`` when the deadline comes:
    never sent, so "not attempted" live and read back from disk (not "interrupted")."""
    journal = tmp_path / "job.db"
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(600)  # 12 calls of 50, four at a time, five a second
        report = await multi.add(
            [multi.Target(client, group, ids)],
            journal=journal,
            concurrency=4,
            rate=5.0,
            deadline=0.5,
            verify=False,
        )
    assert report.deadline_passed and report.counts()[multi.Outcome.NOT_ATTEMPTED] > 0
    assert multi.Outcome.FAILED not in report.counts()

    def outcomes(of: multi.Report) -> list[tuple[str, multi.Outcome]]:
        return sorted((contact_id, outcome) for _, contact_id, outcome, _ in of.outcomes())

    assert outcomes(multi.Report.load(journal)) == outcomes(report)
