"""Ids read back and proven not landed stay failed for the reason they had, but are no longer
"may have landed": a later run does not read them back again before sending them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from contactgroups import errors, multi
from contactgroups.membership import BatchResult
from contactgroups.multi import Outcome, Target

pytestmark = pytest.mark.anyio


class Down:
    """Every add ends in a 503 (it may have landed) and lands nothing; the group's listing is
    complete (and empty)."""

    provider = "down"
    max_add_per_call = max_remove_per_call = 10
    default_concurrency = 1

    def __init__(self) -> None:
        self.listings = 0

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        raise errors.ServerError("busy", status=503, provider="down")

    remove = add

    async def members(self, group_id: str) -> AsyncIterator[str]:
        self.listings += 1
        for member in ():
            yield member


class Client:
    def __init__(self, adapter: Down) -> None:
        self.membership = adapter


IDS = [f"c{n}" for n in range(25)]


async def test_ids_proven_not_landed_are_no_longer_unsure() -> None:
    down = Down()
    target = Target(Client(down), "g", IDS)
    report = await multi.add([target], rounds=1)
    assert report.counts() == {Outcome.FAILED: 25}
    assert down.listings == 1  # read back once
    for contact_id in IDS:
        error = report.error(target, contact_id)
        assert isinstance(error, errors.ServerError) and error.status == 503
        assert not error.maybe_landed  # proven: it did not land


async def test_a_resumed_job_does_not_read_back_what_was_proven_not_landed(
    tmp_path: Path,
) -> None:
    down = Down()
    journal = tmp_path / "job.db"
    await multi.add([Target(Client(down), "g", IDS)], rounds=1, journal=journal)
    assert down.listings == 1
    again = await multi.add([Target(Client(down), "g", IDS)], rounds=1, journal=journal)
    # sent again (worth another round) and read back once after; not read back first
    assert down.listings == 2
    assert again.counts() == {Outcome.FAILED: 25}
