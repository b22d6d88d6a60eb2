"""Scale-out on PostgreSQL: submit a job, run workers anywhere, read its status and report.

``submit`` records a job for workers; ``work`` runs one worker (any number, on any machines);
``status`` says where a job stands; ``Report.load(url, job)`` gives its report. ``multi.add(...,
journal="postgresql://...")`` does all of it in one process. See docs/scale-out.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import anyio

from ..errors import JournalError
from ..membership import HasMembership
from .accounts import ClientSource
from .ledger import Action
from .options import DEFAULT_ROUNDS, JobOptions
from .pgjobs import CHUNK_IDS, JobStatus, PerAccount, account_names, load
from .pgjobs import status as job_status
from .pgjobs import submit as submit_job
from .pgstore import PgJournal
from .pgwork import DEFAULT_LEASE, DEFAULT_SLOTS, Worker
from .report import Report
from .targets import Target

__all__ = ["run_here", "status", "submit", "work"]


async def submit(
    journal: str,
    action: Action,
    targets: Iterable[Target],
    *,
    accounts: Mapping[str, HasMembership] | None = None,
    caps: PerAccount = None,
    rounds: int = DEFAULT_ROUNDS,
    chunk_ids: int = CHUNK_IDS,
) -> str:
    """Record a bulk ``action`` (``"add"``/``"remove"``) in the PostgreSQL journal at
    ``journal`` for workers to run; the job's id.

    ``accounts``: each vendor account's name and client (a target's account is the one whose
    client it holds; default: the provider's name, numbered if a job has several clients of one
    provider). Workers build their own client per account name; only the name reaches the
    database. ``caps``: calls at once per account over every worker (a number, or
    ``{"acme": 4}``; default the adapter's ``default_concurrency``; the last submit sets it).
    ``rounds``: leases a chunk gets while its ids fail for a reason worth repeating.
    ``chunk_ids``: about how many ids one lease covers (whole vendor calls).
    """
    store = await PgJournal.open(journal, size=1)
    try:
        return await submit_job(
            store,
            action,
            targets,
            accounts=accounts,
            caps=caps,
            rounds=rounds,
            chunk_ids=chunk_ids,
        )
    finally:
        with anyio.CancelScope(shield=True):
            await store.close()


async def work(
    journal: str,
    *,
    clients: ClientSource | None = None,
    job: str | None = None,
    slots: int = DEFAULT_SLOTS,
    lease: float = DEFAULT_LEASE,
    until_done: bool = False,
    stop: anyio.Event | None = None,
) -> int:
    """Run one worker on the PostgreSQL journal at ``journal``; the chunks it recorded.

    ``clients``: ``{"acme": client}``, or a function ``(account, provider) -> client``; default:
    each account's client from this process's environment (``MESSAGEBIRD_ACCESS_KEY__ACME``;
    ``contactgroups.multi.accounts``). ``job``: only this job (default: every running job).
    ``slots``: chunks at once in this worker. ``lease``: seconds a lease lasts unrenewed (a dead
    worker's chunks wait that long). ``until_done``: return when the job(s) have nothing left,
    else run until cancelled or ``stop`` is set (then the chunks in hand are finished first).
    """
    store = await PgJournal.open(journal, size=slots + 2)
    try:
        worker = Worker(
            store, clients=clients, job=job, slots=slots, lease=lease, until_done=until_done
        )
        if stop is None:
            return await worker.run()
        async with anyio.create_task_group() as group:

            async def relay() -> None:
                await stop.wait()
                worker.stop.set()

            group.start_soon(relay)
            chunks = await worker.run()
            group.cancel_scope.cancel()
        return chunks
    finally:
        with anyio.CancelScope(shield=True):
            await store.close()


async def status(journal: str, job: str) -> JobStatus:
    """Where job ``job`` stands: ids per outcome, chunks per state, accounts paused now."""
    store = await PgJournal.open(journal, size=1)
    try:
        return await job_status(store, job)
    finally:
        with anyio.CancelScope(shield=True):
            await store.close()


async def run_here(action: Action, targets: Iterable[Target], options: JobOptions) -> Report:
    """A whole job on a PostgreSQL journal in this process: submit, work until done, report.

    ``concurrency`` caps each account (per provider name, as ``multi.add`` takes it);
    ``rounds`` as for ``multi.add``; ``deadline`` stops the work (the job stays in the journal,
    for any worker to finish). ``rate`` and ``on_progress`` are not used here.
    """
    targets = list(targets)
    names = account_names(targets, None)
    clients = {name: target.client for name, target in zip(names, targets, strict=True)}
    caps = {
        name: options.concurrency_for(target.provider, target.adapter.default_concurrency)
        for name, target in zip(names, targets, strict=True)
    }
    url = options.journal
    if not isinstance(url, str):
        raise JournalError("a PostgreSQL journal is named by its URL")
    store = await PgJournal.open(url, size=max(caps.values(), default=1) * len(caps) + 2)
    try:
        job = await submit_job(
            store, action, targets, accounts=clients, caps=caps, rounds=options.rounds
        )
        worker = Worker(store, clients=clients, job=job, slots=sum(caps.values()), until_done=True)
        with anyio.move_on_after(options.deadline or float("inf")) as scope:
            await worker.run()
        with anyio.CancelScope(shield=True):
            action, ledger, elapsed = await load(store, job)
    finally:
        with anyio.CancelScope(shield=True):
            await store.close()
    report = Report.of(action, ledger)
    report.elapsed = elapsed
    report.deadline_passed = scope.cancelled_caught
    return report
