"""The per-id ledger keeps its counts equal to its outcomes; targets de-duplicate; job options are
typed keywords (a misspelt one is a TypeError, not silently ignored)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactgroups import errors, multi
from contactgroups.membership import BatchResult
from contactgroups.multi import JobOptions, Ledger, Outcome, Target


class StubAdapter:
    """Every id is added at once; the group is always empty when read."""

    max_add_per_call = 10
    max_remove_per_call = 10
    default_concurrency = 2

    def __init__(self, provider: str) -> None:
        self.provider = provider

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_done(ids)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_already(ids)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        empty: tuple[str, ...] = ()
        for member in empty:
            yield member


class StubClient:
    def __init__(self, provider: str) -> None:
        self.membership = StubAdapter(provider)


POOL = [str(i) for i in range(8)]
ERROR = errors.ContactGroupsError("refused")


def set_calls() -> st.SearchStrategy[list[tuple[int, list[str], Outcome, bool]]]:
    ids = st.lists(st.sampled_from([*POOL, "unknown"]), max_size=6)
    return st.lists(
        st.tuples(st.integers(0, 2), ids, st.sampled_from(list(Outcome)), st.booleans()),
        max_size=40,
    )


@settings(max_examples=200, deadline=None)
@given(
    id_lists=st.lists(st.lists(st.sampled_from(POOL), max_size=8), min_size=3, max_size=3),
    calls=set_calls(),
)
def test_ledger_counts_equal_its_outcomes_after_any_sequence_of_sets(
    id_lists: list[list[str]], calls: list[tuple[int, list[str], Outcome, bool]]
) -> None:
    # two targets share a provider (two accounts of one vendor), the third has its own
    clients = [StubClient("p"), StubClient("p"), StubClient("q")]
    targets = [Target(c, "g", ids) for c, ids in zip(clients, id_lists, strict=True)]
    ledger = Ledger(targets)
    model = [dict.fromkeys(t.ids, Outcome.NOT_ATTEMPTED) for t in targets]
    for index, ids, outcome, with_error in calls:
        error = ERROR if with_error else None
        if with_error != (outcome is Outcome.FAILED):
            with pytest.raises(ValueError, match="FAILED"):
                ledger.set(index, ids, outcome, error)
            continue
        applied = list(itertools.takewhile(model[index].__contains__, ids))  # up to an unknown
        if applied == ids:
            ledger.set(index, ids, outcome, error)
        else:
            with pytest.raises(KeyError):
                ledger.set(index, ids, outcome, error)
        for contact_id in applied:
            model[index][contact_id] = outcome

        for provider in ("p", "q"):
            expected: Counter[Outcome] = Counter()
            for target, outcomes in zip(targets, model, strict=True):
                if target.provider == provider:
                    expected.update(outcomes.values())
            assert ledger.counts(provider) == +expected
            assert ledger.requested(provider) == sum(expected.values())
            progress = ledger.progress(provider)
            assert progress.done == progress.total - expected[Outcome.NOT_ATTEMPTED]
            assert progress.failed == expected[Outcome.FAILED]
        for position, outcomes in enumerate(model):
            assert dict(ledger.outcomes_of(position)) == outcomes
            failed = {i for i, o in outcomes.items() if o is Outcome.FAILED}
            assert set(ledger.errors_of(position)) == failed
    assert sum(ledger.counts().values()) == ledger.total == sum(len(m) for m in model)


def test_target_ids_are_distinct_strings_in_first_seen_order() -> None:
    target = Target(StubClient("p"), "g", ["2", "1", "2", 1, 3, "3"])
    assert target.ids == ("2", "1", "3")


async def test_a_misspelt_keyword_is_a_type_error_in_retry_failed_and_sync() -> None:
    client = StubClient("p")
    report = await multi.add([Target(client, "g", ["1"])])
    with pytest.raises(TypeError, match="deadlin"):
        await multi.retry_failed(report, deadlin=30)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="deadlin"):
        await multi.sync(client, "g", ["1"], deadlin=30)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="deadlin"):
        multi.BulkJob("add", [], deadlin=30)  # type: ignore[call-arg]


async def test_options_are_checked_before_anything_is_read_or_sent() -> None:
    client = StubClient("p")
    with pytest.raises(errors.InvalidRequestError, match="rounds"):
        await multi.sync(client, "g", ["1"], rounds=0)
    with pytest.raises(errors.InvalidRequestError, match="deadline"):
        await multi.retry_failed(await multi.add([Target(client, "g", ["1"])]), deadline=-1)
    with pytest.raises(errors.InvalidRequestError, match="rounds"):
        JobOptions(rounds=0)


def test_job_keywords_override_the_options_given() -> None:
    base = JobOptions(rounds=3, verify=False)
    job = multi.BulkJob("add", [], base, verify=True)
    assert job.options == JobOptions(rounds=3, verify=True)
    assert multi.BulkJob("add", []).options == JobOptions()


def test_the_options_as_job_attributes_are_deprecated_aliases() -> None:
    job = multi.BulkJob("add", [], concurrency=3, rounds=4)
    with pytest.deprecated_call():
        assert job.concurrency == 3
    with pytest.deprecated_call():
        assert job.rounds == 4


async def test_retry_failed_sends_only_what_did_not_land() -> None:
    class RefusesOnce(StubAdapter):
        def __init__(self, provider: str) -> None:
            super().__init__(provider)
            self.sent: list[list[str]] = []

        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            self.sent.append(list(ids))
            if len(self.sent) == 1:
                refused = errors.ValidationError("not now", status=400, provider=self.provider)
                return BatchResult(done=tuple(ids[:1]), failed=dict.fromkeys(ids[1:], refused))
            return await super().add(group_id, ids)

    client = StubClient("p")
    adapter = client.membership = RefusesOnce("p")
    report = await multi.add([Target(client, "g", ["1", "2", "3"])])
    assert report.failed_ids() == [("p", "g", "2"), ("p", "g", "3")]
    # a validation error will recur: not repeated unless asked
    nothing = await multi.retry_failed(report, rounds=1)
    assert adapter.sent == [["1", "2", "3"]]
    assert nothing.total == 0
    seen: list[multi.Progress] = []
    again = await multi.retry_failed(
        report, rounds=1, on_progress=seen.append, include_permanent=True
    )
    assert adapter.sent == [["1", "2", "3"], ["2", "3"]]
    assert again.ok
    assert again.total == 2
    assert seen[-1].done == seen[-1].total == 2
    assert seen[-1].final


async def test_no_round_pause_starts_that_would_end_past_the_deadline() -> None:
    """A vendor asking ``Retry-After: 50`` with a job deadline of 8 s: the job returns its 429s
    at once rather than sleeping out the deadline (red-team finding)."""
    import time

    from contactgroups.testing import Faults
    from contactgroups.testing.messagebird import MessageBirdFake

    async with MessageBirdFake(faults=Faults(rate_limit=1.0, retry_after=50)) as fake:
        group, ids = fake.seed_group("g"), fake.seed_contacts(20)
        async with fake.client(retry=None) as client:
            started = time.monotonic()
            report = await multi.add([multi.Target(client, group, ids)], deadline=8)
            elapsed = time.monotonic() - started
    assert elapsed < 4  # not the 8 s deadline
    assert not report.deadline_passed
    assert report.counts()[multi.Outcome.FAILED] == 20
    assert all(isinstance(e, errors.RateLimitError) for _, _, _, e in report.outcomes())


async def test_the_report_keeps_errors_without_the_frames_that_raised_them() -> None:
    """A failed chunk's error lives as long as the report; its traceback's frames (and their
    locals, such as a parsed answer of many MB) must not (red-team finding)."""
    from contactgroups.testing import Faults
    from contactgroups.testing.messagebird import MessageBirdFake

    async with MessageBirdFake(faults=Faults(server_error=1.0)) as fake:
        group, ids = fake.seed_group("g"), fake.seed_contacts(3)
        async with fake.client(retry=None) as client:
            report = await multi.add([multi.Target(client, group, ids)], verify=False)
    failures = [e for _, _, _, e in report.outcomes()]
    assert failures and all(isinstance(e, errors.ServerError) for e in failures)
    assert all(e is not None and e.__traceback__ is None for e in failures)
