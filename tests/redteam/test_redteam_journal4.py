"""Red team of the journal's per-call path and format 4 (issue 15): ids handed out by position
(``HandedOut``), chunks recorded by their bounds, blocks as NUL-separated BLOBs, ``seen`` keeping
positions. Each test names the promise it attacks and failed before its fix (a finding not fixed
is a strict xfail). Promises: every id has one outcome, the same live, read back from disk and
on a resumed run; a damaged journal is refused with ``JournalError``, never misread; odd ids
round-trip; ``KeyError`` never escapes a job."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from test_redteam_multi import Checking, Client, Hostile, ids_of

from contactgroups import errors, multi
from contactgroups.membership import BatchResult
from contactgroups.multi import Outcome, Report, Target, blocks, records
from contactgroups.testing.messageflow import MessageFlowFake


def outcomes(report: Report) -> list[tuple[str, str, Outcome]]:
    return [(t.provider, i, o) for t, i, o, _ in report.outcomes()]


class Halving(Hostile):
    """Refuses any chunk of more than two ids before sending it (the job calls it again in
    halves); a call of two ids or fewer never returns."""

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        self.calls.append(list(ids))
        if len(ids) > 2:
            raise errors.InvalidRequestError("too many ids", provider=self.provider)
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    remove = add


# -- one outcome, the same live and on disk: halves waiting when the job stops -------------------


@pytest.mark.parametrize("stop", ["deadline", "cancel"])
async def test_halves_not_yet_sent_when_the_job_stops_are_not_in_flight_on_disk(
    tmp_path: Path, stop: str
) -> None:
    """A refused chunk is called again in halves; when the job stops while the first half is
    out, the second half was never sent: NOT_ATTEMPTED live, on disk and for a resumed run (the
    journal used to keep it in flight from the whole chunk's mark: read back as FAILED, 'may
    have landed', while the live report said not attempted)."""
    vendor = Halving(size=4)
    journal = tmp_path / "job.db"
    target = Target(Client(vendor), "g", ids_of(4))
    if stop == "deadline":
        report = await multi.add([target], journal=journal, deadline=0.3, verify=False)
    else:
        job = multi.BulkJob("add", [target], journal=journal, verify=False)
        with anyio.move_on_after(0.3):
            await job.run()
        report = job.report
    assert vendor.calls == [["0", "1", "2", "3"], ["0", "1"]]
    expected = [
        ("hostile", "0", Outcome.FAILED),
        ("hostile", "1", Outcome.FAILED),
        ("hostile", "2", Outcome.NOT_ATTEMPTED),
        ("hostile", "3", Outcome.NOT_ATTEMPTED),
    ]
    assert outcomes(report) == expected
    assert outcomes(Report.load(journal)) == expected
    read_back: list[list[str]] = []

    def checked(ids: Sequence[str]) -> dict[str, bool]:
        read_back.append(list(ids))
        return dict.fromkeys(ids, False)

    honest = Checking(checked)
    resumed = await multi.add([Target(Client(honest), "g", ids_of(4))], journal=journal)
    assert read_back == [["0", "1"]]  # only the ids whose call was out: not the unsent half
    assert resumed.ok and sorted(i for call in honest.calls for i in call) == ids_of(4)


# -- a damaged journal is refused, never misread --------------------------------------------------


def _job(journal: Path, *, streamed: bool) -> None:
    """A finished job on ``journal``: "a" failed alone, "b", "c", "d" added in one call."""

    def answer(ids: Sequence[str]) -> BatchResult:
        refused = errors.ValidationError("no such contact", status=422, provider="hostile")
        return BatchResult(done=[i for i in ids if i != "a"], failed={"a": refused})

    ids = ["a", "b", "c", "d"]
    vendor = Hostile(answer=answer)
    target = Target(Client(vendor), "g", iter(ids) if streamed else ids)
    anyio.run(lambda: multi.add([target], journal=journal))  # type: ignore[arg-type]


DAMAGE = {
    # "a"'s failed row with bounds that say "d": its error, found by the bounds, was lost
    # (read back failed with no error), silently
    "log-bounds-lie": "UPDATE log SET low=3, high=3 WHERE state BETWEEN 4 AND 7",
    # a stored error that is JSON but not an object: AttributeError escaped Report.load
    "error-not-an-object": "UPDATE errors SET data='[1]'",
    # a negative position: Python's indexing read the last id's outcome
    "seen-negative": "UPDATE seen SET position=-1 WHERE key='b'",
    # "b" said to be where "a" is: "a"'s outcome was reported for "b"
    "seen-moved": "UPDATE seen SET position=0 WHERE key='b'",
    # a failed row without its error (every failure has one): KeyError escaped Report.load
    "failed-without-an-error": "UPDATE log SET error=NULL WHERE error IS NOT NULL",
    "failed-state-without-an-error": "UPDATE log SET state=5 WHERE state=1",
    # how the job ended, as JSON that is not an object: AttributeError escaped Report.load
    "ended-not-an-object": "UPDATE meta SET value='[1]' WHERE name='ended:job'",
    "ended-elapsed-not-a-number": 'UPDATE meta SET value=\'{"elapsed": "x"}\' '
    "WHERE name='ended:job'",
    # an id as passed that is not a string
    "given-not-a-string": "UPDATE blocks SET given='{\"b\": 5}'",
}


def _read_everything(journal: Path) -> Any:
    report = Report.load(journal)
    return list(report.outcomes()), report.outcome(0, "b"), report.error(0, "b")


@pytest.mark.parametrize(
    "damage",
    [
        *(pytest.param(damage, id=name) for name, damage in DAMAGE.items()),
        pytest.param(
            "DELETE FROM seen WHERE key='b'",
            id="seen-deleted",
            marks=pytest.mark.xfail(
                strict=True,
                reason="a streamed id missing from ``seen`` reads as an id the job does not "
                "hold; finding it would take counting ``seen`` against the target's size on "
                "every load",
            ),
        ),
    ],
)
def test_a_damaged_journal_is_refused_not_misread(tmp_path: Path, damage: str) -> None:
    """A journal whose log, errors, ``seen`` or blocks hold what this SDK never writes is a
    ``JournalError`` when read back, never another id's outcome or a stray exception."""
    journal = tmp_path / "job.db"
    _job(journal, streamed=True)
    db = sqlite3.connect(journal)
    db.execute(damage)
    db.commit()
    db.close()
    with pytest.raises(errors.JournalError):
        _read_everything(journal)


# -- odd ids: a lone surrogate is no id of the journal ------------------------------------------


@pytest.mark.parametrize("streamed", [False, True], ids=["held", "streamed"])
def test_asking_for_a_lone_surrogate_is_a_key_error_not_a_damaged_journal(
    tmp_path: Path, streamed: bool
) -> None:
    """A target renames an id holding a lone surrogate (no vendor could take it): asking a
    report for that id is a ``KeyError``, as without a journal (the journal's look-up used to
    fail to encode it and called the journal damaged)."""
    journal = tmp_path / "job.db"
    ids = ["q", "\ud800", "z"]
    vendor = Hostile()
    report = anyio.run(
        lambda: multi.add(
            [Target(Client(vendor), "g", iter(ids) if streamed else ids)], journal=journal
        )
    )
    plain = anyio.run(lambda: multi.add([Target(Client(Hostile()), "g", ids)]))
    assert outcomes(report) == outcomes(plain)
    for read in (plain, report, Report.load(journal)):
        with pytest.raises(KeyError):
            read.outcome(0, "\ud800")
        assert read.outcome(0, "q") is Outcome.ADDED


ODD = ["a\0b", "\0", "a\0", "é", "😀", "x" * 20_000, "007", "7", '"', "\\"]


@pytest.mark.parametrize("streamed", [False, True], ids=["held", "streamed"])
def test_odd_ids_round_trip_held_and_streamed(tmp_path: Path, streamed: bool) -> None:
    """Ids with NULs, non-ASCII, very long ones and look-alike digits are each sent once and
    read back as themselves, by position and by id."""
    journal = tmp_path / "job.db"
    vendor = Hostile(size=3)
    report = anyio.run(
        lambda: multi.add(
            [Target(Client(vendor), "g", iter(ODD) if streamed else ODD)], journal=journal
        )
    )
    assert sorted(i for call in vendor.calls for i in call) == sorted(ODD)
    loaded = Report.load(journal)
    for read in (report, loaded):
        assert [i for _, i, _ in outcomes(read)] == ODD
        assert read.ok
        for key in ODD:
            assert read.outcome(0, key) is Outcome.ADDED


# -- one outcome everywhere: partial answers, halves, retry rounds, stops, several accounts -------


class Erratic(Hostile):
    """A vendor whose every answer is drawn from ``rng``: all done or already, a mix per id
    (done, already, failed worth a round or not, left out, strangers and repeats added), the
    chunk refused before sending (halves), lost after sending, or a 503; read-backs answer
    True, False or nothing per id. Each call takes up to 10 ms (so that a stop falls mid-round)."""

    def __init__(self, rng: random.Random, provider: str, *, honest: bool = False) -> None:
        super().__init__(provider, size=rng.choice([1, 2, 3, 5]))
        self.rng = rng
        self.default_concurrency = rng.choice([1, 3])
        self.honest = honest

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        await anyio.sleep(self.rng.random() / 100)
        self.calls.append(list(ids))
        return BatchResult.all_done(ids) if self.honest else self._answer(ids)

    remove = add

    def _answer(self, ids: Sequence[str]) -> BatchResult:
        rng, provider = self.rng, self.provider
        kind = rng.choice(["done", "already", "mix", "refuse", "lost", "busy", "omit"])
        if kind == "done":
            return BatchResult.all_done(ids)
        if kind == "already":
            return BatchResult(already=list(ids))
        if kind == "refuse":
            raise errors.InvalidRequestError("refused", provider=provider)
        if kind == "lost":
            raise errors.TransportError("connection lost", provider=provider)
        if kind == "busy":
            raise errors.ServerError("busy", status=503, provider=provider)
        done: list[str] = []
        already: list[str] = []
        failed: dict[str, errors.ContactGroupsError] = {}
        for key in ids:
            draw = rng.random()
            if draw < 0.3:
                done.append(key)
            elif draw < 0.5:
                already.append(key)
            elif draw < 0.65:
                failed[key] = errors.ServerError("busy", status=503, provider=provider)
            elif draw < 0.8:
                failed[key] = errors.ValidationError("no", status=422, provider=provider)
            elif kind == "mix":
                done.append(key)
        if rng.random() < 0.2:
            done.append("stranger")  # not in the chunk: ignored
        if ids and rng.random() < 0.2:
            already.append(ids[0])  # listed twice
        return BatchResult(done=done, already=already, failed=failed)

    async def check_members(self, group_id: str, ids: Sequence[str]) -> dict[str, Any]:
        await anyio.sleep(self.rng.random() / 100)
        return {key: self.rng.choice([True, False, None]) for key in ids}


def _targets(
    seed: int, *, honest: bool = False, kind: type[Erratic] = Erratic
) -> tuple[list[Erratic], list[Target]]:
    rng = random.Random(seed)
    vendors: list[Erratic] = []
    targets: list[Target] = []
    for account in range(2):
        vendor = kind(rng, f"p{account}", honest=honest)
        vendors.append(vendor)
        for number in range(2):
            ids = [f"{account}{number}-{n}" for n in range(rng.randint(0, 25))]
            streamed = rng.random() < 0.5
            targets.append(Target(Client(vendor), f"g{number}", iter(ids) if streamed else ids))
    return vendors, targets


def _all(report: Report) -> list[tuple[str, str, str, Outcome]]:
    return [(t.provider, str(t.group_id), i, o) for t, i, o, _ in report.outcomes()]


@pytest.mark.parametrize("seed", range(24))
async def test_erratic_answers_stopped_anywhere_agree_live_on_disk_and_resumed(
    tmp_path: Path, seed: int
) -> None:
    """Whatever mix of answers two accounts of two targets each give, over three rounds, with
    read-backs or not, stopped by a deadline or a cancellation anywhere: the job never raises
    (no ``KeyError`` from ids handed out), the live report and the one read back agree id by
    id, and a resumed run sends no id that already has a final outcome."""
    rng = random.Random(-seed)
    journal = tmp_path / "job.db"
    _, targets = _targets(seed)
    options: dict[str, Any] = {"rounds": 3, "verify": rng.random() < 0.5}
    if rng.random() < 0.5:
        report = await multi.add(
            targets, journal=journal, deadline=rng.random() / 5, verify_grace=0.02, **options
        )
    else:
        job = multi.BulkJob("add", targets, journal=journal, **options)
        with anyio.move_on_after(rng.random() / 5):
            await job.run()
        report = job.report
    try:
        loaded = Report.load(journal)
    except errors.JournalError:  # stopped while the ids were being stored: no job yet
        assert report.total == 0
        return
    assert _all(report) == _all(loaded)
    assert report.counts() == loaded.counts()
    final = {(p, i) for p, _, i, o in _all(loaded) if o in (Outcome.ADDED, Outcome.ALREADY)}
    vendors, again = _targets(seed, honest=True)
    resumed = await multi.add(again, journal=journal, rounds=3, verify=False)
    sent = {(v.provider, key) for v in vendors for call in v.calls for key in call}
    assert not sent & final
    assert _all(resumed) == _all(Report.load(journal))


@pytest.mark.parametrize("streamed", [False, True], ids=["held", "streamed"])
async def test_messageflow_ids_with_leading_zeros_round_trip(
    tmp_path: Path, streamed: bool
) -> None:
    """MessageFlow's ids as passed with leading zeros or spaces are sent once, by their canonical
    form, a repeat in another form dropped, "000" refused; the report read back agrees with the
    live one, id by id and error by error."""
    journal = tmp_path / "job.db"
    async with MessageFlowFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(4)
        passed = ["00" + ids[0], f" {ids[1]} ", ids[2], "0" + ids[2], ids[3], "000"]
        report = await multi.add(
            [Target(client, group, iter(passed) if streamed else passed)], journal=journal
        )
        assert fake.member_ids(group) == set(ids)
    loaded = Report.load(journal)
    for read in (report, loaded):
        assert [(i, o) for _, i, o in outcomes(read)] == [
            *((key, Outcome.ADDED) for key in ids),
            ("0", Outcome.FAILED),
        ]
        assert [read.outcome(0, key) for key in ids] == [Outcome.ADDED] * 4
    assert type(loaded.error(0, "0")) is type(report.error(0, "0"))


# -- a kill loses nothing but the calls in flight -----------------------------------------------


def _on_disk(journal: Path) -> dict[tuple[str, str, str], int]:
    """Each id's state code as committed now (what a kill at this instant would leave)."""
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        states: dict[tuple[str, str, str], int] = {}
        for row, provider, group, size in db.execute(
            "SELECT id, provider, group_id, size FROM targets"
        ):
            keys = blocks.keys_between(db, row, 0, size)
            codes = records.replay(db, row, size)
            states.update(((provider, group, k), c) for k, c in zip(keys, codes, strict=True))
        return states
    finally:
        db.close()


class Watched(Erratic):
    """An erratic vendor that, at every call, reads what a kill would leave of the journal."""

    journal: Path
    lost: list[tuple[str, str, str, int | None]]

    def __init__(self, rng: random.Random, provider: str, *, honest: bool = False) -> None:
        super().__init__(rng, provider, honest=honest)
        self.sent: set[tuple[str, str]] = set()

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        if self.journal.exists():
            states = _on_disk(self.journal)
            for key in ids:  # marked in flight, and committed, before it is sent
                state = states.get((self.provider, group_id, key))
                if state != records.IN_FLIGHT:
                    self.lost.append(("sent unmarked", group_id, key, state))
            for group, key in self.sent:  # once sent, never not attempted again
                state = states.get((self.provider, group, key))
                if state in (None, records.STATE[Outcome.NOT_ATTEMPTED]):
                    self.lost.append(("sent, then forgotten", group, key, state))
        self.sent.update((group_id, key) for key in ids)
        return await super().add(group_id, ids)

    remove = add


@pytest.mark.parametrize("seed", range(12))
async def test_a_kill_at_any_call_loses_nothing_but_the_calls_in_flight(
    tmp_path: Path, seed: int
) -> None:
    """At every call of an erratic job (halves, partial answers, retry rounds, read-backs,
    stopped anywhere), what a kill would leave on disk holds this call's ids in flight and
    every id sent before in flight or with its outcome: a resumed run sends again only ids
    marked in flight at the kill."""
    rng = random.Random(-seed)
    journal = tmp_path / "job.db"
    vendors, targets = _targets(seed, kind=Watched)
    lost: list[tuple[str, str, str, int | None]] = []
    for vendor in vendors:
        assert isinstance(vendor, Watched)
        vendor.journal, vendor.lost = journal, lost
    options: dict[str, Any] = {"rounds": 3, "verify": rng.random() < 0.5}
    if rng.random() < 0.5:
        await multi.add(targets, journal=journal, deadline=rng.random() / 5, **options)
    else:
        with anyio.move_on_after(rng.random() / 5):
            await multi.BulkJob("add", targets, journal=journal, **options).run()
    assert lost == []


# -- a sync's parts: the live result and the parts read back agree --------------------------------


class Members(Hostile):
    """A group held in memory: adds and removes land; ``stuck``: an add never returns."""

    def __init__(self, members: Sequence[str]) -> None:
        super().__init__()
        self.group = set(members)
        self.stuck = False

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        if self.stuck:
            await anyio.sleep_forever()
        self.group.update(ids)
        return BatchResult.all_done(ids)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        self.group.difference_update(ids)
        return BatchResult.all_done(ids)

    async def members(self, group_id: str) -> Any:
        for member in sorted(self.group):
            yield member


async def test_a_sync_stopped_before_its_removes_reads_back_what_it_returned(
    tmp_path: Path,
) -> None:
    """The second run of a sync, its deadline spent on its adds, returns its removes not
    attempted: ``Report.load(journal, "remove")`` says the same, not the first run's removes."""
    journal = tmp_path / "sync.db"
    group = Members(["x"])
    first = await multi.sync(Client(group), "g", ["a"], journal=journal)
    assert first.removed is not None and first.removed.ok
    group.group = {"y"}  # "a" removed and "y" added by someone else meanwhile
    group.stuck = True
    second = await multi.sync(Client(group), "g", ["a"], journal=journal, deadline=0.2)
    assert second.removed is not None
    live = [(i, o) for _, i, o, _ in second.removed.outcomes()]
    assert live == [("y", Outcome.NOT_ATTEMPTED)]
    loaded = [(i, o) for _, i, o, _ in Report.load(journal, "remove").outcomes()]
    assert loaded == live
