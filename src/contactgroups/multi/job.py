"""``BulkJob``: scheduling one bulk add or remove over every target, and recording each call.

What one vendor's calls do stays with that vendor: whatever a call raises becomes the failure of
that call's ids (an exception outside ``contactgroups.errors`` is logged as a bug and kept as an
``UnexpectedError``), so one vendor's trouble never cancels another's work. The job itself raises
only for bad arguments, before it starts, for a journal it cannot use, and for cancellation.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import warnings
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING

import anyio
import attrs

from .._http import JobSpan, collect_stats
from ..errors import InterruptedCallError, InvalidRequestError, JournalError
from ..membership import AdaptiveConcurrency, MembershipAdapter
from .calls import call, halves, settle
from .journal import Journal, JournalLedger
from .ledger import LedgerBase, Outcome, Progress
from .options import JobOptions, PerProviderConcurrency, PerProviderRate, ProgressCallback
from .pacing import Chunk, Chunks, Marked, RateLimiter
from .pgstore import is_postgres_url
from .report import Action, Report, done_outcome
from .retrying import ROUND_WAIT_MAX, worth_another_round
from .scale import run_here
from .targets import Target
from .verify import verify

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import JobKeywords

__all__ = ["ROUND_WAIT_MAX", "BulkJob", "worth_another_round"]

logger = logging.getLogger("contactgroups.multi")

#: Calls a journaled job marks in flight before they are taken: four per worker, at most
#: ``MARK_AHEAD`` calls and, past a call per worker, ``MARK_AHEAD_IDS`` ids (all held in memory
#: meanwhile, and read back after a kill).
MARK_AHEAD = 256
MARK_AHEAD_IDS = 20_000


class BulkJob:
    """One bulk add or remove. ``await job.run()`` returns the report; if the job is cancelled,
    ``job.report`` still holds a complete report (unsent ids ``NOT_ATTEMPTED``, ids of calls that
    were in flight ``FAILED`` with ``InterruptedCallError``) and the cancellation propagates.

    Options come as a ``JobOptions``, as keywords (the ones ``multi.add`` takes), or both (the
    keywords override). With ``journal=`` the report lives in that file (see ``journal``).
    """

    def __init__(
        self,
        action: Action,
        targets: Iterable[Target],
        options: JobOptions | None = None,
        *,
        journal_part: str = "job",
        replace_journal: bool = False,
        **keywords: Unpack[JobKeywords],
    ) -> None:
        """``journal_part``/``replace_journal``: where in the journal this job is kept, and
        whether it replaces what that part held (a sync keeps its adds and removes apart and
        plans them again on every run)."""
        if action not in ("add", "remove"):
            raise InvalidRequestError(f"action must be 'add' or 'remove', not {action!r}")
        self.action: Action = action
        self.options = attrs.evolve(JobOptions() if options is None else options, **keywords)
        self.targets = list(targets)
        for target in self.targets:
            if not isinstance(target, Target):
                raise InvalidRequestError(f"expected a multi.Target, got {type(target).__name__}")
        # without a journal the report exists from the start; with one, once the journal is open
        self.report = (
            Report.start(action, []) if self.options.journal else Report.start(action, self.targets)
        )
        self._done = done_outcome(action)
        self._ends: float | None = None  # when the deadline passes (monotonic), once running
        self._in_flight: dict[int, Chunk] = {}  # calls under way, by id() of their ids
        self._shown: dict[str, Progress] = {}  # the last progress shown, per provider
        self._part = journal_part
        self._replace = replace_journal

    @property
    def ledger(self) -> LedgerBase:
        return self.report.ledger

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
        if is_postgres_url(self.options.journal):
            if self._part != "job":
                raise JournalError("a sync takes a SQLite journal, not a PostgreSQL one (yet)")
            return await run_here(self.action, self.targets, self.options)
        journal = None
        if self.options.journal is not None:
            journal = await Journal.open(self.options.journal)
            try:
                ledger: LedgerBase = await JournalLedger.attach(
                    journal,
                    self.action,
                    self.targets,
                    part=self._part,
                    replace=self._replace,
                    options=self.options.recorded(),
                )
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await journal.close()
                raise
            self.report = Report.of(self.action, ledger)
        try:
            return await self._run()
        except BaseException as error:
            failed = _journal_failure(error)
            if failed is None:
                raise
            raise failed from None  # not the task groups that carried it
        finally:
            if journal is not None:
                with anyio.CancelScope(shield=True):
                    await journal.close()

    async def _run(self) -> Report:
        deadline = self.options.deadline
        started = time.monotonic()
        self._ends = None if deadline is None else started + deadline
        report = self.report
        clients = self._by_client()
        with JobSpan(self.action, list(report.providers), report.total) as span:
            try:
                if self.ledger.resumed and self.options.verify:
                    await self._verify(clients, self._ends)  # what was in flight at the stop
                with anyio.move_on_after(self._left()) as scope:
                    async with anyio.create_task_group() as group:
                        for indices in clients:
                            group.start_soon(self._run_client, indices)
                report.deadline_passed = scope.cancelled_caught
                self._settle_in_flight()
                if self.options.verify and report.deadline_passed:
                    # ids whose calls the deadline interrupted: a short, bounded grace to read back
                    await self._verify(clients, time.monotonic() + self.options.verify_grace)
            except BaseException:
                report.cancelled = True
                self._settle_in_flight()
                raise
            finally:
                with anyio.CancelScope(shield=True):
                    await self._finish(started)
                counts = report.counts()
                kinds = (self._done, Outcome.ALREADY, Outcome.FAILED, Outcome.NOT_ATTEMPTED)
                span.finish(
                    {kind.value: counts[kind] for kind in kinds},
                    ok=report.ok,
                    deadline_passed=report.deadline_passed,
                    cancelled=report.cancelled,
                )
        return report

    async def _finish(self, started: float) -> None:
        report = self.report
        report.elapsed = time.monotonic() - started
        await self.ledger.flush()
        if isinstance(self.ledger, JournalLedger):
            ended = {
                "elapsed": report.elapsed,
                "deadline_passed": report.deadline_passed,
                "cancelled": report.cancelled,
            }
            part = self.ledger.part
            await self.ledger.journal.run(lambda db: Journal.put_meta(db, f"ended:{part}", ended))
        report.summarise()
        for provider in report.providers:
            self._progress(provider, final=True)

    def _left(self, ends: float | None = None) -> float:
        ends = self._ends if ends is None else ends
        return math.inf if ends is None else max(0.0, ends - time.monotonic())

    def _by_client(self) -> list[list[int]]:
        """Target indices grouped by membership adapter: each client (vendor account) gets its
        own concurrency and rate; the report still sums them per provider."""
        grouped: dict[int, list[int]] = {}
        for index, target in enumerate(self.targets):
            grouped.setdefault(id(target.adapter), []).append(index)
        return list(grouped.values())

    async def _verify(self, clients: list[list[int]], ends: float | None) -> None:
        """Read back every unclear id, each client at once, until ``ends``."""
        with anyio.move_on_after(self._left(ends)):
            async with anyio.create_task_group() as group:
                for indices in clients:
                    group.start_soon(self._verify_client, indices)

    async def _verify_client(self, indices: list[int]) -> None:
        for index in indices:
            await verify(self.ledger, index, self.action)
        self._progress(self.targets[indices[0]].provider)

    async def _run_client(self, indices: list[int]) -> None:
        provider = self.targets[indices[0]].provider
        summary = self.report.providers[provider]
        started = time.monotonic()
        try:
            with collect_stats(summary.stats):
                for round_number in range(self.options.rounds):
                    if round_number:
                        if not self.ledger.counts(provider)[Outcome.FAILED]:
                            break
                        pause = max([await self.ledger.longest_wait(i) for i in indices])
                        if self._ends is not None and time.monotonic() + pause >= self._ends:
                            break  # the ids stay failed with their errors (and retry_after)
                        await anyio.sleep(pause)
                    await self._run_round(provider, indices, first=round_number == 0)
                if self.options.verify:
                    for index in indices:
                        await verify(self.ledger, index, self.action)
                    self._progress(provider)
        finally:
            summary.seconds = max(summary.seconds, time.monotonic() - started)

    async def _run_round(self, provider: str, indices: list[int], *, first: bool) -> None:
        adapter = self.targets[indices[0]].adapter
        rate = self.options.rate_for(provider)
        limiter = RateLimiter(rate) if rate else None
        ledger = self.ledger
        with self._governed(provider, adapter) as limit:
            # a journal marks calls in flight ahead (as far as a commit takes to land while the
            # workers go on): each rarely waits for it; a kill leaves them, read back on resume
            mark = ledger.sending if ledger.durable else None
            size = adapter.max_add_per_call if self.action == "add" else adapter.max_remove_per_call
            ahead = min(4 * limit, MARK_AHEAD, max(limit, MARK_AHEAD_IDS // max(1, size)))
            chunks = Chunks(self._slices(indices, first=first), mark, ahead)
            try:
                if mark is not None:  # the first marks committed before any worker runs
                    await chunks.fill()
                    await ledger.flush()
                async with anyio.create_task_group() as committing:
                    if mark is not None:  # marks committed as they come, not when a call waits
                        # a commit every eighth of the calls ahead: far from the calls taken
                        committing.start_soon(ledger.keep_committing, max(1, ahead // 8))
                    async with anyio.create_task_group() as group:  # its tasks are governed too
                        for _ in range(limit):
                            group.start_soon(self._work, provider, chunks, limiter)
                    committing.cancel_scope.cancel()
            finally:
                for index, ids in chunks.unsent():  # marked, never sent: as they were
                    ledger.not_sent(index, ids)

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

    async def _slices(
        self, indices: list[int], *, first: bool
    ) -> AsyncIterator[tuple[int, list[str], int]]:
        """(target index, pending ids, ids per call) of the targets in turn, slice by slice."""
        for index in indices:
            adapter = self.targets[index].adapter
            size = adapter.max_add_per_call if self.action == "add" else adapter.max_remove_per_call
            async for ids in self.ledger.pending(index, first=first):
                yield index, ids, size

    async def _work(self, provider: str, chunks: Chunks, limiter: RateLimiter | None) -> None:
        """One worker: the calls of the chunks it takes, one at a time, each recorded. A chunk
        the adapter refused before sending is called again in halves, first half first, to
        find the bad ids without failing the good ones. The calls are made here, not in a
        coroutine per call: every level is walked again on each network wait."""
        summary = self.report.providers[provider]
        ledger, action, in_flight = self.ledger, self.action, self._in_flight
        durable = ledger.durable
        targets = [(target.adapter, target.group_id) for target in self.targets]
        while True:
            taken = await chunks.take()
            if taken is None:
                return
            todo: list[Marked] = [taken]
            try:
                while todo:
                    index, chunk, ticket = todo.pop()
                    try:
                        if durable:  # its mark in flight committed before it is sent
                            await ledger.flush(ticket or ledger.sending(index, chunk))
                        if limiter is not None:
                            await limiter.wait()
                    except BaseException:  # stopped before the call: its ids were never sent
                        ledger.not_sent(index, chunk)
                        raise
                    key = id(chunk)
                    in_flight[key] = (index, chunk)
                    summary.calls += 1
                    adapter, group_id = targets[index]
                    answer = await call(adapter, action, group_id, chunk)
                    del in_flight[key]  # not on cancellation: then the call stays in flight
                    split = halves(answer, chunk)
                    if split is not None:
                        todo.extend((index, half, 0) for half in reversed(split))  # marked anew
                        continue
                    for ids, outcome, error in settle(provider, action, chunk, answer):
                        ledger.set(index, ids, outcome, error)
                    # the outcome is committed with the next call's in-flight mark (or at the end):
                    # until then a crash leaves these ids in flight, read back first on resume
                    self._progress(provider)
            except BaseException:  # halves still waiting their turn were never sent
                for index, chunk, _ in todo:
                    ledger.not_sent(index, chunk)
                raise

    def _progress(self, provider: str, *, final: bool = False) -> None:
        """``on_progress`` when the provider's counts changed, and once more, final, at the end."""
        callback = self.options.on_progress
        if callback is None:
            return
        progress = self.ledger.progress(provider, final=final)
        if self._shown.get(provider) == progress:
            return
        self._shown[provider] = progress
        try:
            callback(progress)
        except Exception as exception:  # the caller's bug must not stop the job
            logger.error("on_progress raised; the job goes on", exc_info=exception)

    def _settle_in_flight(self) -> None:
        for index, chunk in self._in_flight.values():
            error = InterruptedCallError(
                "the call was in flight when the job stopped; it may have landed",
                provider=self.targets[index].provider,
            )
            self.ledger.set(index, chunk, Outcome.FAILED, error)
        self._in_flight.clear()


def _journal_failure(error: BaseException) -> JournalError | None:
    """The ``JournalError`` the job's task groups raised as an exception group (the journal
    failing mid-run: a full disk, a file damaged meanwhile), when that is all they hold."""
    if isinstance(error, JournalError):
        return None  # raised as it is
    leaves: list[BaseException] = []
    pending = [error]
    while pending:
        inner = pending.pop()
        nested = getattr(inner, "exceptions", None)  # a (Base)ExceptionGroup: no import on 3.10
        if isinstance(inner, BaseException) and isinstance(nested, tuple) and nested:
            pending.extend(nested)
        else:
            leaves.append(inner)
    failures = [leaf for leaf in leaves if isinstance(leaf, JournalError)]
    return failures[0] if failures and len(failures) == len(leaves) else None
