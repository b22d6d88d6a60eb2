"""Bulk membership changes across providers, concurrently, with every id accounted for.

``multi`` knows no vendor. A target is ``(client, group_id, ids)``; the client's ``membership``
adapter says how many ids one call takes and how many calls may run at once. ``add``/``remove``:

- de-duplicate each target's ids and cut them into calls of the vendor's size;
- run every provider at once (one anyio task group), each with its own concurrency limit and an
  optional rate (calls per second), under one overall deadline;
- count "already a member" / "not a member" as success; repeat what failed for a reason worth
  repeating in a second round (the transport already retried each call within its policy);
- check, by reading the group once, every id whose call ended without a clear answer (a timeout
  or a lost connection may have landed), so the report never calls a landed id failed;
- return a ``Report`` with exactly one outcome per requested id — also when the deadline passes,
  a provider is down, or the job is cancelled (then ``BulkJob.report`` holds it).
"""

from __future__ import annotations

import enum
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import anyio
import attrs

from ._http.stats import CallStats, collect_stats
from ._http.validate import unique
from .errors import (
    APIError,
    ContactGroupsError,
    InterruptedCallError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TransportError,
)
from .membership import BatchResult, HasMembership, MembershipAdapter

__all__ = [
    "BatchResult",
    "BulkJob",
    "HasMembership",
    "InterruptedCallError",
    "MembershipAdapter",
    "Outcome",
    "Progress",
    "ProviderSummary",
    "Report",
    "SyncPlan",
    "SyncResult",
    "Target",
    "add",
    "remove",
    "retry_failed",
    "sync",
]

Action = Literal["add", "remove"]


class Outcome(str, enum.Enum):
    """What happened to one id."""

    ADDED = "added"
    REMOVED = "removed"
    ALREADY = "already"  # already a member (add) / not a member (remove)
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"  # never sent: deadline or cancellation came first

    @property
    def ok(self) -> bool:
        return self in (Outcome.ADDED, Outcome.REMOVED, Outcome.ALREADY)


def _distinct_ids(ids: Iterable[object]) -> tuple[str, ...]:
    if isinstance(ids, (str, bytes)):
        raise InvalidRequestError("a target's ids must be a list of ids, not a single string")
    return tuple(unique(str(i) for i in ids))


@attrs.frozen
class Target:
    """Ids to add to (or remove from) one group at one provider.

    ``ids`` are what the provider's membership calls take: contact ids, or E.164 phone numbers at
    Messente. Repeats are dropped (first one kept).
    """

    client: HasMembership
    group_id: str
    ids: tuple[str, ...] = attrs.field(converter=_distinct_ids)

    @property
    def adapter(self) -> MembershipAdapter:
        return self.client.membership

    @property
    def provider(self) -> str:
        return self.adapter.provider


@attrs.frozen
class Progress:
    """Passed to ``on_progress`` after every call: ids finished so far for one provider."""

    provider: str
    done: int
    total: int
    failed: int


@attrs.define
class ProviderSummary:
    """Per-provider counts and timings."""

    provider: str
    requested: int = 0
    outcomes: Counter[Outcome] = attrs.field(factory=Counter)
    calls: int = 0
    stats: CallStats = attrs.field(factory=CallStats)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        """HTTP requests sent, retries included."""
        return self.stats.requests

    @property
    def retries(self) -> int:
        return self.stats.retries

    @property
    def failed(self) -> int:
        return self.outcomes[Outcome.FAILED] + self.outcomes[Outcome.NOT_ATTEMPTED]


@attrs.define
class _TargetState:
    target: Target
    outcomes: dict[str, Outcome]
    errors: dict[str, ContactGroupsError] = attrs.field(factory=dict)


@attrs.define
class Report:
    """One outcome per requested id, per-provider summaries, timings."""

    action: Action
    _states: list[_TargetState]
    providers: dict[str, ProviderSummary]
    elapsed: float = 0.0
    deadline_passed: bool = False
    cancelled: bool = False

    @property
    def targets(self) -> list[Target]:
        return [s.target for s in self._states]

    @property
    def ok(self) -> bool:
        """Every id added/removed or already in the wanted state."""
        return all(o.ok for s in self._states for o in s.outcomes.values())

    @property
    def total(self) -> int:
        return sum(len(s.outcomes) for s in self._states)

    def counts(self) -> Counter[Outcome]:
        counts: Counter[Outcome] = Counter()
        for state in self._states:
            counts.update(state.outcomes.values())
        return counts

    def outcome(self, target: int | Target, contact_id: str) -> Outcome:
        return self._state(target).outcomes[str(contact_id)]

    def error(self, target: int | Target, contact_id: str) -> ContactGroupsError | None:
        return self._state(target).errors.get(str(contact_id))

    def outcomes(self) -> Iterator[tuple[Target, str, Outcome, ContactGroupsError | None]]:
        """Every (target, id, outcome, error)."""
        for state in self._states:
            for contact_id, outcome in state.outcomes.items():
                yield state.target, contact_id, outcome, state.errors.get(contact_id)

    def failed_ids(self, *, include_not_attempted: bool = True) -> list[tuple[str, str, str]]:
        """(provider, group id, id) of everything that did not land."""
        wanted = {Outcome.FAILED} | ({Outcome.NOT_ATTEMPTED} if include_not_attempted else set())
        return [
            (state.target.provider, state.target.group_id, contact_id)
            for state in self._states
            for contact_id, outcome in state.outcomes.items()
            if outcome in wanted
        ]

    def failed_targets(self) -> list[Target]:
        """The targets again, holding only the ids that failed or were not attempted."""
        result = []
        for state in self._states:
            ids = [i for i, o in state.outcomes.items() if not o.ok]
            if ids:
                result.append(attrs.evolve(state.target, ids=ids))
        return result

    def _state(self, target: int | Target) -> _TargetState:
        if isinstance(target, int):
            return self._states[target]
        for state in self._states:
            if state.target is target:
                return state
        raise KeyError("that target is not part of this report")


ProgressCallback = Callable[[Progress], None]
PerProvider = Mapping[str, int] | int | None
PerProviderRate = Mapping[str, float] | float | None


class _RateLimiter:
    """At most ``rate`` call starts per second (evenly spaced)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_start = 0.0
        self.lock = anyio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.interval
        if start > now:
            await anyio.sleep(start - now)


def _per_provider(value: Mapping[str, float] | float | None, provider: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(provider)
    return value


#: A later round waits out a vendor's ``Retry-After`` up to this; ids asked to wait longer stay
#: failed (with ``retry_after`` on their error) for the caller to schedule.
ROUND_WAIT_MAX = 60.0


def _worth_another_round(error: ContactGroupsError) -> bool:
    if isinstance(error, APIError) and (error.retry_after or 0.0) > ROUND_WAIT_MAX:
        return False
    return isinstance(error, (RateLimitError, ServerError, TransportError, OutcomeUnknownError))


class BulkJob:
    """One bulk add or remove. ``await job.run()`` returns the report; if the job is cancelled,
    ``job.report`` still holds a complete report (unsent ids ``NOT_ATTEMPTED``, ids of calls that
    were in flight ``FAILED`` with ``InterruptedCallError``) and the cancellation propagates.
    """

    def __init__(
        self,
        action: Action,
        targets: Iterable[Target],
        *,
        concurrency: PerProvider = None,
        rate: PerProviderRate = None,
        deadline: float | None = None,
        rounds: int = 2,
        verify: bool = True,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if action not in ("add", "remove"):
            raise InvalidRequestError(f"action must be 'add' or 'remove', not {action!r}")
        self.action: Action = action
        self.targets = list(targets)
        for target in self.targets:
            if not isinstance(target, Target):
                raise InvalidRequestError(f"expected a multi.Target, got {type(target).__name__}")
        if deadline is not None and deadline <= 0:
            raise InvalidRequestError("deadline must be a positive number of seconds")
        if rounds < 1:
            raise InvalidRequestError("rounds must be at least 1")
        self.concurrency = concurrency
        self.rate = rate
        self.deadline = deadline
        self.rounds = rounds
        self.verify = verify
        self.on_progress = on_progress
        states = [
            _TargetState(t, dict.fromkeys(t.ids, Outcome.NOT_ATTEMPTED)) for t in self.targets
        ]
        providers: dict[str, ProviderSummary] = {}
        for state in states:
            summary = providers.setdefault(
                state.target.provider, ProviderSummary(state.target.provider)
            )
            summary.requested += len(state.outcomes)
        self.report = Report(action, states, providers)
        self._in_flight: dict[int, tuple[_TargetState, Sequence[str]]] = {}
        self._finished: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()

    # -- running ---------------------------------------------------------------------------------

    async def run(self) -> Report:
        started = time.monotonic()
        try:
            with anyio.move_on_after(math.inf if self.deadline is None else self.deadline) as scope:
                async with anyio.create_task_group() as group:
                    for states in self._by_client():
                        group.start_soon(self._run_provider, states[0].target.provider, states)
            self.report.deadline_passed = scope.cancelled_caught
        except BaseException:
            self.report.cancelled = True
            raise
        finally:
            self._settle_in_flight()
            self.report.elapsed = time.monotonic() - started
            self._summarise()
        return self.report

    def _by_client(self) -> list[list[_TargetState]]:
        """Targets grouped by membership adapter: each client (vendor account) gets its own
        concurrency and rate; the report still sums them per provider."""
        grouped: dict[int, list[_TargetState]] = {}
        for state in self.report._states:
            grouped.setdefault(id(state.target.adapter), []).append(state)
        return list(grouped.values())

    async def _run_provider(self, provider: str, states: list[_TargetState]) -> None:
        summary = self.report.providers[provider]
        started = time.monotonic()
        try:
            with collect_stats(summary.stats):
                for round_number in range(self.rounds):
                    work = [
                        (state, self._pending_ids(state, first=round_number == 0))
                        for state in states
                    ]
                    work = [(s, ids) for s, ids in work if ids]
                    if not work:
                        break
                    if round_number:
                        await anyio.sleep(self._round_pause(work))
                    await self._run_round(provider, work)
                if self.verify:
                    await self._verify(states)
                self._progress(provider)  # the read-back may have settled some ids
        finally:
            summary.seconds = max(summary.seconds, time.monotonic() - started)

    @staticmethod
    def _round_pause(work: list[tuple[_TargetState, list[str]]]) -> float:
        """The longest ``Retry-After`` a vendor asked for among the ids about to be repeated."""
        waits = [
            error.retry_after
            for state, ids in work
            for error in (state.errors[i] for i in ids)
            if isinstance(error, APIError) and error.retry_after
        ]
        return max(waits, default=0.0)

    def _pending_ids(self, state: _TargetState, *, first: bool) -> list[str]:
        if first:
            return [i for i, o in state.outcomes.items() if o is Outcome.NOT_ATTEMPTED]
        return [
            i
            for i, o in state.outcomes.items()
            if o is Outcome.FAILED and _worth_another_round(state.errors[i])
        ]

    async def _run_round(self, provider: str, work: list[tuple[_TargetState, list[str]]]) -> None:
        adapter = work[0][0].target.adapter
        limit = _per_provider(self.concurrency, provider) or adapter.default_concurrency
        rate = _per_provider(self.rate, provider)
        limiter = _RateLimiter(rate) if rate else None
        chunks = self._chunks(work)

        async def worker() -> None:
            for state, chunk in chunks:  # one shared iterator: each chunk goes to one worker
                await self._call(provider, state, chunk, limiter)

        async with anyio.create_task_group() as group:
            for _ in range(max(1, int(limit))):
                group.start_soon(worker)

    def _chunks(
        self, work: list[tuple[_TargetState, list[str]]]
    ) -> Iterator[tuple[_TargetState, Sequence[str]]]:
        for state, ids in work:
            adapter = state.target.adapter
            size = adapter.max_add_per_call if self.action == "add" else adapter.max_remove_per_call
            for start in range(0, len(ids), size):
                yield state, ids[start : start + size]

    async def _call(
        self,
        provider: str,
        state: _TargetState,
        chunk: Sequence[str],
        limiter: _RateLimiter | None,
    ) -> None:
        adapter = state.target.adapter
        if limiter is not None:
            await limiter.wait()
        key = id(chunk)
        self._in_flight[key] = (state, chunk)
        self.report.providers[provider].calls += 1
        try:
            call = adapter.add if self.action == "add" else adapter.remove
            result = await call(state.target.group_id, chunk)
        except InvalidRequestError as error:
            del self._in_flight[key]
            if len(chunk) > 1:
                # refused before sending: split to find the bad ids without failing the good ones
                middle = len(chunk) // 2
                await self._call(provider, state, chunk[:middle], limiter)
                await self._call(provider, state, chunk[middle:], limiter)
                return
            result = BatchResult(failed={chunk[0]: error})
        except ContactGroupsError as error:
            del self._in_flight[key]
            result = BatchResult(failed=dict.fromkeys(chunk, error))
        else:
            del self._in_flight[key]
        self._record(provider, state, chunk, result)

    def _record(
        self, provider: str, state: _TargetState, chunk: Sequence[str], result: BatchResult
    ) -> None:
        done = Outcome.ADDED if self.action == "add" else Outcome.REMOVED
        settled: set[str] = set()
        in_chunk = set(chunk)
        for ids, outcome in ((result.done, done), (result.already, Outcome.ALREADY)):
            for contact_id in ids:
                if contact_id in in_chunk and contact_id not in settled:
                    settled.add(contact_id)
                    self._set(provider, state, contact_id, outcome)
        for contact_id in chunk:
            if contact_id not in settled:
                error = result.failed.get(contact_id) or ContactGroupsError(
                    f"{provider} did not report on this id"
                )
                self._set(provider, state, contact_id, Outcome.FAILED, error)
        self._progress(provider)

    def _progress(self, provider: str) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(
                    provider=provider,
                    done=self._finished[provider],
                    total=self.report.providers[provider].requested,
                    failed=self._failed[provider],
                )
            )

    def _set(
        self,
        provider: str,
        state: _TargetState,
        contact_id: str,
        outcome: Outcome,
        error: ContactGroupsError | None = None,
    ) -> None:
        before = state.outcomes[contact_id]
        if before is Outcome.NOT_ATTEMPTED:
            self._finished[provider] += 1
        if before is Outcome.FAILED:
            self._failed[provider] -= 1
        if outcome is Outcome.FAILED:
            self._failed[provider] += 1
        state.outcomes[contact_id] = outcome
        if error is None:
            state.errors.pop(contact_id, None)
        else:
            state.errors[contact_id] = error

    async def _verify(self, states: list[_TargetState]) -> None:
        """Read the group once for targets with ids whose fate is unknown, and settle them."""
        for state in states:
            unsure = {i for i, e in state.errors.items() if e.maybe_landed}
            if not unsure:
                continue
            present: set[str] = set()
            try:
                async for member in state.target.adapter.members(state.target.group_id):
                    if member in unsure:
                        present.add(member)
            except ContactGroupsError:
                continue  # cannot tell: the ids stay failed, with their original errors
            done = Outcome.ADDED if self.action == "add" else Outcome.REMOVED
            for contact_id in unsure:
                if (self.action == "add") == (contact_id in present):
                    self._set(state.target.provider, state, contact_id, done)

    def _settle_in_flight(self) -> None:
        for state, chunk in self._in_flight.values():
            error = InterruptedCallError(
                "the call was in flight when the job stopped; it may have landed",
                provider=state.target.provider,
            )
            for contact_id in chunk:
                self._set(state.target.provider, state, contact_id, Outcome.FAILED, error)
        self._in_flight.clear()

    def _summarise(self) -> None:
        for summary in self.report.providers.values():
            summary.outcomes.clear()
        for state in self.report._states:
            self.report.providers[state.target.provider].outcomes.update(state.outcomes.values())


async def add(
    targets: Iterable[Target],
    *,
    concurrency: PerProvider = None,
    rate: PerProviderRate = None,
    deadline: float | None = None,
    rounds: int = 2,
    verify: bool = True,
    on_progress: ProgressCallback | None = None,
) -> Report:
    """Add every target's ids to its group, all providers at once.

    ``concurrency``: calls at once per provider (a number, or ``{"messente": 20}``); defaults to
    each adapter's ``default_concurrency``. ``rate``: call starts per second per provider.
    ``deadline``: seconds for the whole job; what is not sent by then is ``NOT_ATTEMPTED``.
    ``rounds``: passes over ids that failed for a retryable reason. ``verify``: read the group to
    settle ids whose call ended without a clear answer.
    """
    job = BulkJob(
        "add",
        targets,
        concurrency=concurrency,
        rate=rate,
        deadline=deadline,
        rounds=rounds,
        verify=verify,
        on_progress=on_progress,
    )
    return await job.run()


async def remove(
    targets: Iterable[Target],
    *,
    concurrency: PerProvider = None,
    rate: PerProviderRate = None,
    deadline: float | None = None,
    rounds: int = 2,
    verify: bool = True,
    on_progress: ProgressCallback | None = None,
) -> Report:
    """Remove every target's ids from its group, all providers at once (see ``add``)."""
    job = BulkJob(
        "remove",
        targets,
        concurrency=concurrency,
        rate=rate,
        deadline=deadline,
        rounds=rounds,
        verify=verify,
        on_progress=on_progress,
    )
    return await job.run()


async def retry_failed(report: Report, **options: Any) -> Report:
    """Run the same action again on just the ids that failed or were not attempted."""
    job = BulkJob(report.action, report.failed_targets(), **options)
    return await job.run()


@attrs.frozen
class SyncPlan:
    """What it takes to make a group hold exactly the desired ids."""

    target: Target
    to_add: tuple[str, ...]
    to_remove: tuple[str, ...]
    unchanged: int

    @property
    def empty(self) -> bool:
        return not self.to_add and not self.to_remove


@attrs.frozen
class SyncResult:
    """The plan, and (unless it was a dry run) the reports of applying it."""

    plan: SyncPlan
    added: Report | None = None
    removed: Report | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in (self.added, self.removed) if r is not None)


async def sync(
    client: HasMembership,
    group_id: str,
    desired_ids: Iterable[str],
    *,
    dry_run: bool = False,
    deadline: float | None = None,
    **options: Any,
) -> SyncResult:
    """Make the group hold exactly ``desired_ids``: read its members, add what is missing, remove
    what is extra. ``dry_run`` only returns the plan. ``deadline`` bounds all of it (the read,
    the adds and the removes); other keywords go to ``add``/``remove``.
    """
    if deadline is not None and deadline <= 0:
        raise InvalidRequestError("deadline must be a positive number of seconds")
    ends = None if deadline is None else time.monotonic() + deadline
    desired = unique(str(i) for i in desired_ids)
    wanted = set(desired)
    current: set[str] = set()
    with anyio.move_on_after(math.inf if deadline is None else deadline) as reading:
        async for member in client.membership.members(group_id):
            current.add(member)
    if reading.cancelled_caught:
        raise TimeoutError(
            f"the members of group {group_id} could not be read within the deadline; "
            "nothing was changed",
            provider=client.membership.provider,
        )
    to_add = tuple(i for i in desired if i not in current)
    to_remove = tuple(sorted(current - wanted))
    plan = SyncPlan(
        target=Target(client, group_id, desired),
        to_add=to_add,
        to_remove=to_remove,
        unchanged=len(current & wanted),
    )
    if dry_run:
        return SyncResult(plan)

    def remaining() -> float | None:
        return None if ends is None else max(0.001, ends - time.monotonic())

    added = (
        await add([Target(client, group_id, to_add)], deadline=remaining(), **options)
        if to_add
        else None
    )
    removed = (
        await remove([Target(client, group_id, to_remove)], deadline=remaining(), **options)
        if to_remove
        else None
    )
    return SyncResult(plan, added, removed)
