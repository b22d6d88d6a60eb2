"""``BulkJob``: scheduling one bulk add or remove over every target, and recording each call."""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import anyio
import attrs

from .._http import JobSpan, collect_stats
from ..errors import (
    APIError,
    ContactGroupsError,
    InterruptedCallError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TransportError,
)
from ..membership import AdaptiveConcurrency, BatchResult, MembershipAdapter
from .options import JobOptions, PerProviderConcurrency, PerProviderRate, ProgressCallback
from .report import Action, Outcome, Report, done_outcome
from .targets import Target
from .verify import read_back

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import JobKeywords

__all__ = ["ROUND_WAIT_MAX", "BulkJob", "worth_another_round"]

#: A later round waits out a vendor's ``Retry-After`` up to this; ids asked to wait longer stay
#: failed (with ``retry_after`` on their error) for the caller to schedule.
ROUND_WAIT_MAX = 60.0

#: Ids of one target to send, by the target's index in the ledger.
Work = list[tuple[int, list[str]]]


def worth_another_round(error: ContactGroupsError) -> bool:
    """A failure a later round may turn into success (429, 5xx, transport, unknown outcome)."""
    if isinstance(error, APIError) and (error.retry_after or 0.0) > ROUND_WAIT_MAX:
        return False
    return isinstance(error, (RateLimitError, ServerError, TransportError, OutcomeUnknownError))


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


class BulkJob:
    """One bulk add or remove. ``await job.run()`` returns the report; if the job is cancelled,
    ``job.report`` still holds a complete report (unsent ids ``NOT_ATTEMPTED``, ids of calls that
    were in flight ``FAILED`` with ``InterruptedCallError``) and the cancellation propagates.

    Options come as a ``JobOptions``, as keywords (the ones ``multi.add`` takes), or both (the
    keywords override).
    """

    def __init__(
        self,
        action: Action,
        targets: Iterable[Target],
        options: JobOptions | None = None,
        **keywords: Unpack[JobKeywords],
    ) -> None:
        if action not in ("add", "remove"):
            raise InvalidRequestError(f"action must be 'add' or 'remove', not {action!r}")
        self.action: Action = action
        self.options = attrs.evolve(JobOptions() if options is None else options, **keywords)
        self.targets = list(targets)
        for target in self.targets:
            if not isinstance(target, Target):
                raise InvalidRequestError(f"expected a multi.Target, got {type(target).__name__}")
        self.report = Report.start(action, self.targets)
        self.ledger = self.report.ledger
        self._ends: float | None = None  # when the deadline passes (monotonic), once running
        self._done = done_outcome(action)
        # calls under way, by id() of their chunk: (target index, chunk)
        self._in_flight: dict[int, tuple[int, Sequence[str]]] = {}

    # -- deprecated: the options used to be attributes of the job -------------------------------

    def _deprecated(self, name: str) -> None:
        warnings.warn(
            f"BulkJob.{name} is deprecated; use BulkJob.options.{name}",
            DeprecationWarning,
            stacklevel=3,
        )

    @property
    def concurrency(self) -> PerProviderConcurrency:
        self._deprecated("concurrency")
        return self.options.concurrency

    @property
    def rate(self) -> PerProviderRate:
        self._deprecated("rate")
        return self.options.rate

    @property
    def deadline(self) -> float | None:
        self._deprecated("deadline")
        return self.options.deadline

    @property
    def rounds(self) -> int:
        self._deprecated("rounds")
        return self.options.rounds

    @property
    def verify(self) -> bool:
        self._deprecated("verify")
        return self.options.verify

    @property
    def on_progress(self) -> ProgressCallback | None:
        self._deprecated("on_progress")
        return self.options.on_progress

    # -- running ---------------------------------------------------------------------------------

    async def run(self) -> Report:
        deadline = self.options.deadline
        started = time.monotonic()
        self._ends = None if deadline is None else started + deadline
        report = self.report
        # one span for the job (where the application traces), the calls' spans inside it
        with JobSpan(self.action, list(report.providers), report.total) as span:
            try:
                with anyio.move_on_after(math.inf if deadline is None else deadline) as scope:
                    async with anyio.create_task_group() as group:
                        for indices in self._by_client():
                            group.start_soon(self._run_client, indices)
                report.deadline_passed = scope.cancelled_caught
            except BaseException:
                report.cancelled = True
                raise
            finally:
                self._settle_in_flight()
                report.elapsed = time.monotonic() - started
                report.summarise()
                counts = report.counts()
                kinds = (self._done, Outcome.ALREADY, Outcome.FAILED, Outcome.NOT_ATTEMPTED)
                span.finish(
                    {kind.value: counts[kind] for kind in kinds},
                    ok=report.ok,
                    deadline_passed=report.deadline_passed,
                    cancelled=report.cancelled,
                )
        return report

    def _by_client(self) -> list[list[int]]:
        """Target indices grouped by membership adapter: each client (vendor account) gets its
        own concurrency and rate; the report still sums them per provider."""
        grouped: dict[int, list[int]] = {}
        for index, target in enumerate(self.ledger.targets):
            grouped.setdefault(id(target.adapter), []).append(index)
        return list(grouped.values())

    async def _run_client(self, indices: list[int]) -> None:
        provider = self.ledger.targets[indices[0]].provider
        summary = self.report.providers[provider]
        started = time.monotonic()
        try:
            with collect_stats(summary.stats):
                for round_number in range(self.options.rounds):
                    work = [(i, self._pending_ids(i, first=round_number == 0)) for i in indices]
                    work = [(i, ids) for i, ids in work if ids]
                    if not work:
                        break
                    if round_number:
                        pause = self._round_pause(work)
                        if self._ends is not None and time.monotonic() + pause >= self._ends:
                            break  # the ids stay failed with their errors (and retry_after)
                        await anyio.sleep(pause)
                    await self._run_round(provider, work)
                if self.options.verify:
                    await read_back(self.ledger, indices, self.action)
                self._progress(provider)  # the read-back may have settled some ids
        finally:
            summary.seconds = max(summary.seconds, time.monotonic() - started)

    def _round_pause(self, work: Work) -> float:
        """The longest ``Retry-After`` a vendor asked for among the ids about to be repeated."""
        waits = [
            error.retry_after
            for index, ids in work
            for error in map(self.ledger.errors_of(index).__getitem__, ids)
            if isinstance(error, APIError) and error.retry_after
        ]
        return max(waits, default=0.0)

    def _pending_ids(self, index: int, *, first: bool) -> list[str]:
        outcomes = self.ledger.outcomes_of(index)
        if first:
            return [i for i, o in outcomes.items() if o is Outcome.NOT_ATTEMPTED]
        errors = self.ledger.errors_of(index)
        return [
            i for i, o in outcomes.items() if o is Outcome.FAILED and worth_another_round(errors[i])
        ]

    async def _run_round(self, provider: str, work: Work) -> None:
        adapter = self.ledger.targets[work[0][0]].adapter
        rate = self.options.rate_for(provider)
        limiter = _RateLimiter(rate) if rate else None
        chunks = self._chunks(work)

        async def worker() -> None:
            for index, chunk in chunks:  # one shared iterator: each chunk goes to one worker
                await self._call(provider, index, chunk, limiter)

        with self._governed(provider, adapter) as limit:
            async with anyio.create_task_group() as group:  # its tasks are governed too
                for _ in range(limit):
                    group.start_soon(worker)

    @contextlib.contextmanager
    def _governed(self, provider: str, adapter: MembershipAdapter) -> Iterator[int]:
        """The workers to start: the fixed ``concurrency``; or, adaptive, ``max_concurrency`` of
        them, the account's governor letting through as many calls as the vendor takes (an
        adapter without a governor runs its ``default_concurrency``)."""
        start = max(1, adapter.default_concurrency)
        fixed = self.options.fixed_concurrency(provider)
        if fixed is not None or not isinstance(adapter, AdaptiveConcurrency):
            yield fixed or start
            return
        with adapter.adaptive(start) as ceiling:
            yield (
                start
                if ceiling is None
                else min(ceiling, self.options.max_concurrency_for(provider))
            )

    def _chunks(self, work: Work) -> Iterator[tuple[int, Sequence[str]]]:
        for index, ids in work:
            adapter = self.ledger.targets[index].adapter
            size = adapter.max_add_per_call if self.action == "add" else adapter.max_remove_per_call
            for start in range(0, len(ids), size):
                yield index, ids[start : start + size]

    async def _call(
        self, provider: str, index: int, chunk: Sequence[str], limiter: _RateLimiter | None
    ) -> None:
        target = self.ledger.targets[index]
        adapter = target.adapter
        if limiter is not None:
            await limiter.wait()
        key = id(chunk)
        self._in_flight[key] = (index, chunk)
        self.report.providers[provider].calls += 1
        try:
            call = adapter.add if self.action == "add" else adapter.remove
            result = await call(target.group_id, chunk)
        except ContactGroupsError as error:
            del self._in_flight[key]
            if isinstance(error, InvalidRequestError) and len(chunk) > 1:
                # refused before sending: split to find the bad ids without failing the good ones
                middle = len(chunk) // 2
                await self._call(provider, index, chunk[:middle], limiter)
                await self._call(provider, index, chunk[middle:], limiter)
                return
            # the report keeps the error for as long as it lives: not the frames (and whatever
            # their locals hold, such as a parsed answer) that raised it
            error.__traceback__ = None
            self.ledger.set(index, chunk, Outcome.FAILED, error)
        else:
            del self._in_flight[key]
            self._record(provider, index, chunk, result)
        self._progress(provider)

    def _record(self, provider: str, index: int, chunk: Sequence[str], result: BatchResult) -> None:
        """Each id of the chunk once: done, already, or failed (with the vendor's error, or "did
        not report" for an id the result leaves out); ids not in the chunk are ignored."""
        unsettled = set(chunk)
        for ids, outcome in ((result.done, self._done), (result.already, Outcome.ALREADY)):
            if ids:
                self.ledger.set(index, _take(ids, unsettled), outcome)
        if not unsettled:
            return
        by_error: dict[ContactGroupsError, list[str]] = {}  # one ledger write per distinct error
        for contact_id in chunk:
            if contact_id in unsettled:
                error = result.failed.get(contact_id) or ContactGroupsError(
                    f"{provider} did not report on this id"
                )
                by_error.setdefault(error, []).append(contact_id)
        for error, failed in by_error.items():
            self.ledger.set(index, failed, Outcome.FAILED, error)

    def _progress(self, provider: str) -> None:
        if self.options.on_progress is not None:
            self.options.on_progress(self.ledger.progress(provider))

    def _settle_in_flight(self) -> None:
        for index, chunk in self._in_flight.values():
            error = InterruptedCallError(
                "the call was in flight when the job stopped; it may have landed",
                provider=self.ledger.targets[index].provider,
            )
            self.ledger.set(index, chunk, Outcome.FAILED, error)
        self._in_flight.clear()


def _take(ids: Iterable[str], unsettled: set[str]) -> list[str]:
    """The ids still in ``unsettled``, each once, removing them from it."""
    taken = []
    for contact_id in ids:
        if contact_id in unsettled:
            unsettled.remove(contact_id)
            taken.append(contact_id)
    return taken
