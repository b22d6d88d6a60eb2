"""multi against in-memory adapters: chunking, accounting, rounds, verification, deadlines."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactgroups import errors, multi
from contactgroups.membership import BatchResult
from contactgroups.multi import Outcome, Target


class MemoryAdapter:
    """A vendor in memory. ``fail_rate``: share of calls that fail; half of those fail *after*
    applying the change (a lost answer), the other half before."""

    def __init__(
        self,
        provider: str = "mem",
        *,
        max_add: int = 50,
        max_remove: int = 1,
        concurrency: int = 4,
        fail_rate: float = 0.0,
        bad_ids: frozenset[str] = frozenset(),
        seed: int = 0,
        delay: float = 0.0,
    ) -> None:
        self.provider = provider
        self.max_add_per_call = max_add
        self.max_remove_per_call = max_remove
        self.default_concurrency = concurrency
        self.fail_rate = fail_rate
        self.bad_ids = bad_ids
        self.rng = random.Random(seed)
        self.delay = delay
        self.groups: dict[str, set[str]] = {}
        self.chunks: list[tuple[str, int]] = []
        self.seen: set[str] = set()
        self.in_call = 0
        self.max_in_call = 0

    async def _run(self, action: str, group_id: str, ids: Sequence[str]) -> BatchResult:
        limit = self.max_add_per_call if action == "add" else self.max_remove_per_call
        assert 1 <= len(ids) <= limit, "chunk over the vendor limit"
        if any(i in self.bad_ids for i in ids):
            raise errors.InvalidRequestError("bad id", provider=self.provider)
        self.chunks.append((action, len(ids)))
        self.seen.update(ids)
        self.in_call += 1
        self.max_in_call = max(self.max_in_call, self.in_call)
        try:
            if self.delay:
                await anyio.sleep(self.delay)
            members = self.groups.setdefault(group_id, set())
            if self.fail_rate and self.rng.random() < self.fail_rate:
                raise errors.ServerError("boom", status=503, provider=self.provider)
            done, already = [], []
            for i in ids:
                present = i in members
                if action == "add":
                    (already if present else done).append(i)
                    members.add(i)
                else:
                    (done if present else already).append(i)
                    members.discard(i)
            if self.fail_rate and self.rng.random() < self.fail_rate:
                raise errors.TransportError("answer lost after applying", provider=self.provider)
            return BatchResult(done=tuple(done), already=tuple(already))
        finally:
            self.in_call -= 1

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return await self._run("add", group_id, ids)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return await self._run("remove", group_id, ids)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        for member in sorted(self.groups.get(group_id, ())):
            yield member


class MemoryClient:
    def __init__(self, adapter: MemoryAdapter) -> None:
        self.membership = adapter


def ids_strategy() -> st.SearchStrategy[list[str]]:
    return st.lists(st.integers(0, 400).map(str), max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids_a=ids_strategy(),
    ids_b=ids_strategy(),
    max_add=st.integers(1, 60),
    max_remove=st.integers(1, 7),
    fail_rate=st.sampled_from([0.0, 0.1, 0.4, 1.0]),
    seed=st.integers(0, 1000),
)
async def test_every_id_has_exactly_one_outcome_and_chunks_respect_limits(
    ids_a: list[str],
    ids_b: list[str],
    max_add: int,
    max_remove: int,
    fail_rate: float,
    seed: int,
) -> None:
    a = MemoryAdapter("a", max_add=max_add, max_remove=max_remove, fail_rate=fail_rate, seed=seed)
    b = MemoryAdapter("b", max_add=3, max_remove=1, fail_rate=fail_rate / 2, seed=seed + 1)
    targets = [Target(MemoryClient(a), "g", ids_a), Target(MemoryClient(b), "g", ids_b)]
    for action in ("add", "remove"):
        runner = multi.add if action == "add" else multi.remove
        report = await runner(targets)
        distinct = len(set(ids_a)) + len(set(ids_b))
        assert report.total == distinct
        assert sum(report.counts().values()) == distinct
        listed = [(t.provider, i) for t, i, _, _ in report.outcomes()]
        assert len(listed) == len(set(listed)) == distinct
        for adapter in (a, b):
            for kind, size in adapter.chunks:
                limit = adapter.max_add_per_call if kind == "add" else adapter.max_remove_per_call
                assert 1 <= size <= limit
        # the report equals the state: what it calls done is there, what it calls failed is not
        for target, contact_id, outcome, error in report.outcomes():
            members = target.adapter.groups.get("g", set())  # type: ignore[attr-defined]
            if outcome.ok:
                assert (contact_id in members) == (action == "add")
                assert error is None
            else:
                assert outcome is Outcome.FAILED
                assert (contact_id in members) == (action == "remove")
                assert isinstance(error, errors.ContactGroupsError)
        summary_total = sum(sum(p.outcomes.values()) for p in report.providers.values())
        assert summary_total == distinct


async def test_duplicates_are_sent_once_and_already_members_count_as_success() -> None:
    adapter = MemoryAdapter(max_add=2)
    adapter.groups["g"] = {"1"}
    report = await multi.add([Target(MemoryClient(adapter), "g", ["1", "2", "2", "3", 3])])
    assert report.ok
    assert report.total == 3
    assert report.outcome(0, "1") is Outcome.ALREADY
    assert report.outcome(0, "2") is Outcome.ADDED
    assert sorted(n for _, n in adapter.chunks) == [1, 2]


async def test_a_failing_provider_does_not_stop_the_others() -> None:
    down = MemoryAdapter("down", fail_rate=1.0)
    up = MemoryAdapter("up")
    ids = [str(i) for i in range(120)]
    report = await multi.add(
        [Target(MemoryClient(down), "g", ids), Target(MemoryClient(up), "g", ids)]
    )
    assert report.providers["up"].outcomes[Outcome.ADDED] == 120
    assert report.providers["down"].outcomes[Outcome.FAILED] == 120
    assert not report.ok
    assert len(report.failed_ids()) == 120
    retry = report.failed_targets()
    assert len(retry) == 1
    assert retry[0].provider == "down"


async def test_lost_answers_are_settled_by_reading_the_group() -> None:
    class LosesEveryAnswer(MemoryAdapter):
        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            self.groups.setdefault(group_id, set()).update(ids)
            raise errors.ReadTimeoutError("read timed out", provider=self.provider)

    adapter = LosesEveryAnswer()
    report = await multi.add([Target(MemoryClient(adapter), "g", ["1", "2"])], rounds=1)
    assert report.ok
    assert report.outcome(0, "1") is Outcome.ADDED
    unverified = await multi.add(
        [Target(MemoryClient(adapter), "h", ["1"])], rounds=1, verify=False
    )
    assert unverified.outcome(0, "1") is Outcome.FAILED


async def test_retryable_failures_get_another_round() -> None:
    class FailsOnce(MemoryAdapter):
        calls = 0

        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            FailsOnce.calls += 1
            if FailsOnce.calls == 1:
                raise errors.RateLimitError("slow", status=429, provider=self.provider)
            return await super().add(group_id, ids)

    adapter = FailsOnce(max_add=10)
    report = await multi.add([Target(MemoryClient(adapter), "g", [str(i) for i in range(10)])])
    assert report.ok
    assert report.providers["mem"].calls == 2
    once = await multi.add([Target(MemoryClient(FailsOnce(max_add=10)), "g", ["a"])], rounds=1)
    assert once.ok  # FailsOnce.calls is shared: the first call of this run succeeds


async def test_ids_refused_client_side_are_isolated_without_failing_the_chunk() -> None:
    adapter = MemoryAdapter(max_add=50, bad_ids=frozenset({"7", "33"}))
    report = await multi.add([Target(MemoryClient(adapter), "g", [str(i) for i in range(50)])])
    failed = {i for _, _, i in report.failed_ids()}
    assert failed == {"7", "33"}
    assert isinstance(report.error(0, "7"), errors.InvalidRequestError)
    assert adapter.groups["g"] == {str(i) for i in range(50)} - failed


async def test_concurrency_limit_is_respected() -> None:
    adapter = MemoryAdapter(max_add=1, delay=0.01)
    await multi.add(
        [Target(MemoryClient(adapter), "g", [str(i) for i in range(40)])], concurrency=3
    )
    assert adapter.max_in_call == 3


async def test_rate_spaces_call_starts() -> None:
    adapter = MemoryAdapter(max_add=1)
    started = anyio.current_time()
    await multi.add([Target(MemoryClient(adapter), "g", ["1", "2", "3", "4", "5"])], rate=50)
    assert anyio.current_time() - started >= 4 / 50 * 0.9


async def test_deadline_reports_unsent_ids_as_not_attempted() -> None:
    adapter = MemoryAdapter(max_add=1, concurrency=2, delay=0.05)
    ids = [str(i) for i in range(100)]
    report = await multi.add([Target(MemoryClient(adapter), "g", ids)], deadline=0.3)
    assert report.deadline_passed
    counts = report.counts()
    assert sum(counts.values()) == 100
    assert counts[Outcome.NOT_ATTEMPTED] > 50
    not_attempted = {i for _, i, o, _ in report.outcomes() if o is Outcome.NOT_ATTEMPTED}
    assert not_attempted.isdisjoint(adapter.seen)
    assert not_attempted | adapter.seen == set(ids)


async def test_cancellation_propagates_and_leaves_a_complete_report() -> None:
    adapter = MemoryAdapter(max_add=5, concurrency=2, delay=0.05)
    ids = [str(i) for i in range(200)]
    job = multi.BulkJob("add", [Target(MemoryClient(adapter), "g", ids)])
    task = asyncio.create_task(job.run())
    await asyncio.sleep(0.12)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    report = job.report
    assert report.cancelled
    assert report.total == 200
    not_attempted = {i for _, i, o, _ in report.outcomes() if o is Outcome.NOT_ATTEMPTED}
    assert not_attempted == set(ids) - adapter.seen
    interrupted = [e for _, _, o, e in report.outcomes() if o is Outcome.FAILED]
    assert all(isinstance(e, multi.InterruptedCallError) for e in interrupted)


async def test_progress_reaches_the_total() -> None:
    seen: list[multi.Progress] = []
    adapter = MemoryAdapter(max_add=7)
    await multi.add(
        [Target(MemoryClient(adapter), "g", [str(i) for i in range(50)])], on_progress=seen.append
    )
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == seen[-1].total == 50


async def test_sync_plans_and_applies() -> None:
    adapter = MemoryAdapter(max_add=10, max_remove=1)
    adapter.groups["g"] = {"1", "2", "3"}
    client = MemoryClient(adapter)
    plan = await multi.sync(client, "g", ["2", "3", "4", "5"], dry_run=True)
    assert plan.plan.to_add == ("4", "5")
    assert plan.plan.to_remove == ("1",)
    assert plan.plan.unchanged == 2
    assert adapter.groups["g"] == {"1", "2", "3"}
    assert adapter.chunks == []
    result = await multi.sync(client, "g", ["2", "3", "4", "5"])
    assert result.ok
    assert adapter.groups["g"] == {"2", "3", "4", "5"}


def test_bad_arguments_fail_before_running() -> None:
    client = MemoryClient(MemoryAdapter())
    with pytest.raises(errors.InvalidRequestError):
        Target(client, "g", "12345")
    with pytest.raises(errors.InvalidRequestError):
        multi.BulkJob("add", [Target(client, "g", ["1"])], deadline=0)
    with pytest.raises(errors.InvalidRequestError):
        multi.BulkJob("move", [])  # type: ignore[arg-type]


async def test_outcome_unknown_items_are_settled_by_another_round_and_the_read_back() -> None:
    class VagueVendor(MemoryAdapter):
        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            self.groups.setdefault(group_id, set()).update(ids[:1])  # only the first one lands
            unknown = errors.OutcomeUnknownError("no item named", status=207, provider="mem")
            return BatchResult(failed=dict.fromkeys(ids, unknown))

    adapter = VagueVendor(max_add=10)
    report = await multi.add([Target(MemoryClient(adapter), "g", ["a", "b"])])
    assert report.outcome(0, "a") is Outcome.ADDED  # landed: the read-back says so
    assert report.outcome(0, "b") is Outcome.FAILED  # never landed, even after a second round
    assert isinstance(report.error(0, "b"), errors.OutcomeUnknownError)
    assert report.providers["mem"].calls == 2  # the second round repeated the unsettled ids


async def test_a_later_round_waits_for_retry_after_and_skips_long_waits() -> None:
    class AsksToWait(MemoryAdapter):
        def __init__(self, wait: float) -> None:
            super().__init__(max_add=10)
            self.wait = wait
            self.starts: list[float] = []

        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            self.starts.append(anyio.current_time())
            if len(self.starts) == 1:
                raise errors.RateLimitError(
                    "slow down", status=429, provider="mem", retry_after=self.wait
                )
            return await super().add(group_id, ids)

    short = AsksToWait(0.3)
    report = await multi.add([Target(MemoryClient(short), "g", ["a"])])
    assert report.ok
    assert short.starts[1] - short.starts[0] >= 0.3 * 0.9
    long = AsksToWait(3600)
    report = await multi.add([Target(MemoryClient(long), "g", ["a"])], verify=False)
    assert len(long.starts) == 1  # an hour is for the caller to schedule, not a second round
    error = report.error(0, "a")
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 3600


async def test_progress_reports_what_the_read_back_settled() -> None:
    class LosesEveryAnswer(MemoryAdapter):
        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            self.groups.setdefault(group_id, set()).update(ids)
            raise errors.ReadTimeoutError("read timed out", provider=self.provider)

    seen: list[multi.Progress] = []
    report = await multi.add(
        [Target(MemoryClient(LosesEveryAnswer()), "g", ["1", "2"])],
        rounds=1,
        on_progress=seen.append,
    )
    assert report.ok
    assert seen[-1].failed == 0
    assert seen[-1].done == seen[-1].total == 2


async def test_two_accounts_of_one_vendor_each_get_their_own_concurrency() -> None:
    together = {"now": 0, "max": 0}

    class Counted(MemoryAdapter):
        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            together["now"] += 1
            together["max"] = max(together["max"], together["now"])
            try:
                return await super().add(group_id, ids)
            finally:
                together["now"] -= 1

    first, second = Counted(max_add=1, delay=0.02), Counted(max_add=1, delay=0.02)
    ids = [str(i) for i in range(12)]
    report = await multi.add(
        [Target(MemoryClient(first), "g", ids), Target(MemoryClient(second), "g", ids)],
        concurrency=2,
    )
    assert report.ok
    assert report.providers["mem"].requested == 24  # one summary per provider name
    assert first.max_in_call == second.max_in_call == 2
    assert together["max"] == 4  # each account ran its own 2 calls at once, side by side
