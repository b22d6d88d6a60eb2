"""Behaviour of ``multi`` that mutation testing showed no test pinned (docs/testing.md): the
round-wait edge, per-provider options, what a report records about providers and time, errors
that name their provider, read-backs over several targets, and the deprecation warnings."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Sequence

import anyio
import pytest

from contactgroups import errors, multi
from contactgroups.membership import BatchResult
from contactgroups.multi import Outcome, Target
from contactgroups.multi.job import ROUND_WAIT_MAX, worth_another_round
from contactgroups.multi.report import done_outcome


class Adapter:
    """A vendor in memory: ``answers`` decides each call (default: every id done)."""

    def __init__(self, provider: str = "mem", *, max_add: int = 10) -> None:
        self.provider = provider
        self.max_add_per_call = max_add
        self.max_remove_per_call = max_add
        self.default_concurrency = 4
        self.members_of: dict[str, set[str]] = {}
        self.reads: list[str] = []
        self.fail_with: errors.ContactGroupsError | None = None
        self.fail_in: set[str] | None = None  # groups whose calls fail (None: every group)
        self.unreadable: set[str] = set()  # groups whose read-back fails
        self.leave_out: set[str] = set()
        self.in_call = 0
        self.most_in_call = 0

    async def _change(self, group_id: str, ids: Sequence[str], add: bool) -> BatchResult:
        self.in_call += 1
        self.most_in_call = max(self.most_in_call, self.in_call)
        try:
            await anyio.sleep(0.001)  # let other calls start meanwhile
            members = self.members_of.setdefault(group_id, set())
            (members.update if add else members.difference_update)(ids)
            if self.fail_with is not None and (self.fail_in is None or group_id in self.fail_in):
                raise self.fail_with
            return BatchResult(done=tuple(i for i in ids if i not in self.leave_out))
        finally:
            self.in_call -= 1

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return await self._change(group_id, ids, add=True)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return await self._change(group_id, ids, add=False)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        self.reads.append(group_id)
        if group_id in self.unreadable:
            raise errors.ServerError("cannot list", status=503, provider=self.provider)
        for member in sorted(self.members_of.get(group_id, ())):
            yield member


class Client:
    def __init__(self, adapter: Adapter) -> None:
        self.membership = adapter


def test_a_wait_of_exactly_the_round_maximum_is_worth_another_round() -> None:
    def limited(seconds: float | None) -> errors.RateLimitError:
        return errors.RateLimitError("x", status=429, provider="p", retry_after=seconds)

    assert worth_another_round(limited(ROUND_WAIT_MAX)) is True
    assert worth_another_round(limited(ROUND_WAIT_MAX + 0.5)) is False
    assert worth_another_round(limited(None)) is True


def test_the_done_outcome_follows_the_action() -> None:
    assert done_outcome("add") is Outcome.ADDED
    assert done_outcome("remove") is Outcome.REMOVED


async def test_a_report_names_its_providers_and_stays_within_its_time() -> None:
    adapter = Adapter("alpha")
    report = await multi.add([Target(Client(adapter), "g", [str(i) for i in range(25)])])
    summary = report.providers["alpha"]
    assert summary.provider == "alpha"
    assert report.ledger.progress("alpha").provider == "alpha"
    assert 0.0 <= summary.seconds <= report.elapsed
    assert 0.0 <= report.elapsed < 60.0


async def test_per_provider_concurrency_applies_to_that_provider() -> None:
    adapter = Adapter("alpha", max_add=1)
    ids = [str(i) for i in range(20)]
    report = await multi.add([Target(Client(adapter), "g", ids)], concurrency={"alpha": 1})
    assert report.ok
    assert adapter.most_in_call == 1


async def test_an_id_the_vendor_did_not_report_on_fails_naming_the_vendor() -> None:
    adapter = Adapter("alpha")
    adapter.leave_out = {"2"}
    report = await multi.add([Target(Client(adapter), "g", ["1", "2"])], rounds=1, verify=False)
    assert report.outcome(0, "2") is Outcome.FAILED
    assert str(report.error(0, "2")) == "alpha did not report on this id"


async def test_a_read_back_covers_every_target_after_one_with_nothing_unsure() -> None:
    clean, unsure = Adapter("alpha"), Adapter("beta")
    unsure.fail_with = errors.ServerError("lost", status=503, provider="beta")  # applied, then 503
    report = await multi.add(
        [Target(Client(clean), "g1", ["1"]), Target(Client(unsure), "g2", ["2"])], rounds=1
    )
    assert report.outcome(1, "2") is Outcome.ADDED  # found by the read-back
    assert unsure.reads == ["g2"]
    assert clean.reads == []


async def test_a_read_back_goes_on_past_a_target_of_the_same_client_with_nothing_unsure() -> None:
    adapter = Adapter("alpha")
    # applied, then 503
    adapter.fail_with = errors.ServerError("lost", status=503, provider="alpha")
    adapter.fail_in = {"g2"}
    client = Client(adapter)
    report = await multi.add([Target(client, "g1", ["x"]), Target(client, "g2", ["y"])], rounds=1)
    assert report.counts() == {Outcome.ADDED: 2}
    assert adapter.reads == ["g2"]  # g1 had nothing unsure: not read


async def test_a_read_back_goes_on_past_a_group_it_cannot_read() -> None:
    adapter = Adapter("alpha")
    adapter.fail_with = errors.ServerError("lost", status=503, provider="alpha")
    adapter.unreadable = {"g1"}
    client = Client(adapter)
    report = await multi.add([Target(client, "g1", ["x"]), Target(client, "g2", ["y"])], rounds=1)
    assert report.outcome(0, "x") is Outcome.FAILED  # its read failed: still failed, not guessed
    assert report.outcome(1, "y") is Outcome.ADDED
    assert adapter.reads == ["g1", "g2"]


async def test_a_call_cut_off_by_the_deadline_names_its_provider() -> None:
    class Slow(Adapter):
        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            await anyio.sleep(5)
            return BatchResult(done=tuple(ids))

    report = await multi.add([Target(Client(Slow("alpha")), "g", ["1"])], deadline=0.1)
    error = report.error(0, "1")
    assert isinstance(error, errors.InterruptedCallError)
    assert error.provider == "alpha"
    assert "may have landed" in str(error)


def test_a_bulk_job_names_what_it_refuses() -> None:
    with pytest.raises(errors.InvalidRequestError, match="'add' or 'remove', not 'merge'"):
        multi.BulkJob("merge", [])  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidRequestError, match=r"expected a multi\.Target, got tuple"):
        multi.BulkJob("add", [(Client(Adapter()), "g", ["1"])])  # type: ignore[list-item]


def old_attribute_warning() -> warnings.WarningMessage:
    job = multi.BulkJob("add", [], concurrency=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert job.concurrency == 3
    (warning,) = caught
    return warning


def test_the_old_job_attributes_warn() -> None:
    warning = old_attribute_warning()
    assert warning.category is DeprecationWarning
    expected = "BulkJob.concurrency is deprecated; use BulkJob.options.concurrency"
    assert str(warning.message) == expected


def test_the_old_job_attributes_warn_at_the_callers_line() -> None:
    # (left out of mutation runs: mutmut's trampolines add frames between caller and warning)
    assert old_attribute_warning().filename == __file__
