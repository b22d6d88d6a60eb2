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
  a provider is down or buggy, or the job is cancelled (then ``BulkJob.report`` holds it);
- with ``journal="job.db"``, keep the job and every id's outcome in SQLite as it goes: the same
  job run again on the same file resumes where a killed one stopped, and the per-id record lives
  on disk (ten million ids in bounded memory; pass them as an iterator to stream them);
- with ``journal="postgresql://..."``, keep it in PostgreSQL, where any number of workers share
  it (``submit``, ``work``, ``job_status``; docs/scale-out.md).

Modules, each importing only those before it: ``targets`` (``Target``, canonical ids),
``retrying`` (what is worth repeating), ``ledger`` (``Outcome``, the per-id ``Ledger``),
``saved`` (errors as plain data), ``calls`` (one call and what it means per id), ``journal``
(the SQLite record), ``report`` (``Report``), ``options`` (``JobOptions``), ``verify`` (the
read-back), ``pacing`` (a round's chunks and rate), ``job`` (``BulkJob``: rounds, concurrency,
deadline, fault isolation), ``syncing`` (``sync``); the PostgreSQL journal and its workers in
``pgstore``, ``pgjobs``, ``pgchunk``, ``pgwork``, ``accounts`` and ``scale``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import InterruptedCallError, JournalError, UnexpectedError
from ..membership import (
    BatchResult,
    CanonicalIds,
    CanonicalIdsAtOnce,
    ChecksMembers,
    HasMembership,
    MembershipAdapter,
)
from .job import ROUND_WAIT_MAX, BulkJob
from .journal import JournalPath
from .ledger import LedgerBase, TargetInfo
from .options import (
    ADAPTIVE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_ROUNDS,
    VERIFY_GRACE,
    JobKeywords,
    JobOptions,
    PerProvider,
    PerProviderConcurrency,
    PerProviderRate,
    ProgressCallback,
)
from .pgjobs import JobStatus
from .report import Action, Ledger, Outcome, Progress, ProviderSummary, Report
from .saved import SavedTarget
from .scale import status as job_status
from .scale import submit, work
from .syncing import SyncPlan, SyncResult, sync
from .targets import Target

__all__ = [
    "ADAPTIVE",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_ROUNDS",
    "ROUND_WAIT_MAX",
    "VERIFY_GRACE",
    "Action",
    "BatchResult",
    "BulkJob",
    "CanonicalIds",
    "CanonicalIdsAtOnce",
    "ChecksMembers",
    "HasMembership",
    "InterruptedCallError",
    "JobKeywords",
    "JobOptions",
    "JobStatus",
    "JournalError",
    "JournalPath",
    "Ledger",
    "LedgerBase",
    "MembershipAdapter",
    "Outcome",
    "PerProvider",
    "PerProviderConcurrency",
    "PerProviderRate",
    "Progress",
    "ProgressCallback",
    "ProviderSummary",
    "Report",
    "SavedTarget",
    "SyncPlan",
    "SyncResult",
    "Target",
    "TargetInfo",
    "UnexpectedError",
    "add",
    "job_status",
    "remove",
    "retry_failed",
    "submit",
    "sync",
    "work",
]


async def add(
    targets: Iterable[Target],
    *,
    concurrency: PerProviderConcurrency = ADAPTIVE,
    max_concurrency: PerProvider = DEFAULT_MAX_CONCURRENCY,
    rate: PerProviderRate = None,
    deadline: float | None = None,
    rounds: int = DEFAULT_ROUNDS,
    verify: bool = True,
    on_progress: ProgressCallback | None = None,
    journal: JournalPath | None = None,
    verify_grace: float = VERIFY_GRACE,
) -> Report:
    """Add every target's ids to its group, all providers at once.

    ``concurrency``: ``"adaptive"`` (the default): each account's governor learns how many calls
    at once the vendor takes, starting at the adapter's ``default_concurrency``, up to
    ``max_concurrency`` (64); a number (or ``{"messente": 20}``) fixes it. ``rate``: call starts
    per second per provider (a ceiling in both modes).
    ``deadline``: seconds for the whole job; what is not sent by then is ``NOT_ATTEMPTED``.
    ``rounds``: passes over ids that failed for a retryable reason. ``verify``: read the group to
    settle ids whose call ended without a clear answer (``verify_grace``: seconds it may still
    take after the deadline). ``journal``: a SQLite file recording the job; the same job run
    again on it resumes (another job's journal is refused with ``JournalError``).
    """
    options = JobOptions(
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        rate=rate,
        deadline=deadline,
        rounds=rounds,
        verify=verify,
        on_progress=on_progress,
        journal=journal,
        verify_grace=verify_grace,
    )
    return await BulkJob("add", targets, options).run()


async def remove(
    targets: Iterable[Target],
    *,
    concurrency: PerProviderConcurrency = ADAPTIVE,
    max_concurrency: PerProvider = DEFAULT_MAX_CONCURRENCY,
    rate: PerProviderRate = None,
    deadline: float | None = None,
    rounds: int = DEFAULT_ROUNDS,
    verify: bool = True,
    on_progress: ProgressCallback | None = None,
    journal: JournalPath | None = None,
    verify_grace: float = VERIFY_GRACE,
) -> Report:
    """Remove every target's ids from its group, all providers at once (see ``add``)."""
    options = JobOptions(
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        rate=rate,
        deadline=deadline,
        rounds=rounds,
        verify=verify,
        on_progress=on_progress,
        journal=journal,
        verify_grace=verify_grace,
    )
    return await BulkJob("remove", targets, options).run()


async def retry_failed(
    report: Report,
    *,
    include_permanent: bool = False,
    concurrency: PerProviderConcurrency = ADAPTIVE,
    max_concurrency: PerProvider = DEFAULT_MAX_CONCURRENCY,
    rate: PerProviderRate = None,
    deadline: float | None = None,
    rounds: int = DEFAULT_ROUNDS,
    verify: bool = True,
    on_progress: ProgressCallback | None = None,
    journal: JournalPath | None = None,
    verify_grace: float = VERIFY_GRACE,
) -> Report:
    """Run the same action again on the ids that can still succeed: not attempted, or failed for
    a reason that may pass (429, 5xx, transport, unknown outcome). ``include_permanent`` adds
    those the vendor refused (never ids this SDK refused before sending: they cannot be sent).
    Other keywords as for ``add``."""
    options = JobOptions(
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        rate=rate,
        deadline=deadline,
        rounds=rounds,
        verify=verify,
        on_progress=on_progress,
        journal=journal,
        verify_grace=verify_grace,
    )
    targets = report.failed_targets(include_permanent=include_permanent)
    return await BulkJob(report.action, targets, options).run()
