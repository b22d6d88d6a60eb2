"""Removing from a group that does not exist is a failure, not "already not a member", at the
vendors that answer both with the same 404 (MessageBird, Messente)."""

from __future__ import annotations

import pytest

from contactgroups import errors, multi
from contactgroups.multi import Outcome, Target
from contactgroups.testing.pytest_plugin import start_fake


@pytest.mark.parametrize("provider", ["messagebird", "messente"])
async def test_remove_from_a_missing_group_fails_and_non_members_are_already(
    provider: str,
) -> None:
    async with start_fake(f"{provider}_fake") as fake, fake.client() as client:
        group = fake.seed_group("real")
        ids = fake.seed_contacts(3)
        missing = "5792a02a-e5c2-422b-a0a0-0ae65d814663" if provider == "messente" else "f" * 32
        report = await multi.remove([Target(client, group, ids), Target(client, missing, ids)])
        gets = [r for r in fake.requests if r.method == "GET"]
    assert [report.outcome(0, i) for i in ids] == [Outcome.ALREADY] * 3
    assert [report.outcome(1, i) for i in ids] == [Outcome.FAILED] * 3
    assert all(isinstance(report.error(1, i), errors.NotFoundError) for i in ids)
    # one look-up for the real group, remembered; the missing one is asked about per call
    assert sum(1 for r in gets if group in r.path) == 1
