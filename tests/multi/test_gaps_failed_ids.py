"""After a deadline, every id that was never sent is in ``Report.failed_ids()`` (the list the CLI
writes to its failed-ids file) and in ``failed_targets()`` (what ``retry_failed`` sends again), so
a re-run picks up exactly the ids that did not land, the unsent ones included."""

from __future__ import annotations

from contactgroups import multi
from contactgroups.multi import Outcome, Target
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake

IDS = 500  # ten calls of 50 at MessageBird, one at a time


async def test_unsent_ids_after_a_deadline_are_failed_ids_and_a_rerun_sends_them() -> None:
    async with MessageBirdFake(faults=Faults(latency=0.1)) as fake, fake.client() as client:
        group = fake.seed_group("deadline")
        ids = fake.seed_contacts(IDS)
        report = await multi.add([Target(client, group, ids)], concurrency=1, deadline=0.25)
        assert report.deadline_passed
        assert not report.ok
        outcomes = {i: report.outcome(0, i) for i in ids}
        unsent = {i for i, o in outcomes.items() if o is Outcome.NOT_ATTEMPTED}
        assert len(unsent) >= 250  # at most three calls of ten fit in 0.25 s
        not_landed = {i for i, o in outcomes.items() if not o.ok}
        # no id the report calls done is missing, and no unsent id is there (a call cut off in
        # flight is failed, "may have landed": the fake may still apply it after we left)
        assert set(ids) - fake.member_ids(group) <= not_landed
        assert not unsent & fake.member_ids(group)

        failed = report.failed_ids()
        assert len(failed) == len(set(failed))
        assert {i for _, _, i in failed} == not_landed  # unsent ids included, by default
        assert {(p, g) for p, g, _ in failed} == {("messagebird", group)}
        sent_but_failed = report.failed_ids(include_not_attempted=False)
        assert {i for _, _, i in sent_but_failed} == not_landed - unsent
        (again,) = report.failed_targets()
        assert set(again.ids) == not_landed

        fake.faults.latency = 0.0
        rerun = await multi.retry_failed(report)
        assert rerun.ok
        assert rerun.total == len(not_landed)
        assert fake.member_ids(group) == set(ids)
