"""Jobs in a PostgreSQL journal: submitting one (its targets, ids and chunks, in one
transaction), its status, and its per-id record read back as a ledger (for ``Report.load``).

A submitted job is cut into chunks at once: each chunk holds whole vendor calls (the adapter's
``max_add_per_call``/``max_remove_per_call``) and about ``CHUNK_IDS`` ids, and is the unit a
worker leases. Each target names a vendor account: the name workers know its client by (they
build it from their own environment; the database never holds a credential) and whose ``cap``
(calls at once, over every worker) the claim enforces.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import anyio
import attrs

from ..errors import InterruptedCallError, InvalidRequestError, JournalError
from ..membership import HasMembership
from .ledger import Action, Ledger, Outcome
from .pgstore import PgJournal
from .records import OUTCOME, STATE
from .saved import SavedTarget, error_from_dict, error_to_dict
from .targets import IdEntry, Target

__all__ = [
    "CHUNK_IDS",
    "JobStatus",
    "PerAccount",
    "account_names",
    "load",
    "load_now",
    "status",
    "submit",
]

#: Ids per chunk, about: a chunk holds whole calls (MessageFlow's 1000-id call is one chunk).
CHUNK_IDS = 50
#: Caps per account: a number for all, or ``{"acme": 4}`` (others: the adapter's default).
PerAccount = Mapping[str, int] | int | None


def account_names(targets: list[Target], accounts: Mapping[str, HasMembership] | None) -> list[str]:
    """Each target's account name: the key of its client in ``accounts``; without ``accounts``,
    the provider's name (``messagebird``), numbered when one job has several of its clients."""
    if accounts is not None:
        by_adapter = {id(client.membership): name for name, client in accounts.items()}
        names = []
        for target in targets:
            name = by_adapter.get(id(target.adapter))
            if name is None:
                raise InvalidRequestError(
                    f"a {target.provider} target's client is not one of the accounts given"
                )
            names.append(name)
        return names
    seen: dict[str, list[int]] = {}
    for target in targets:
        adapters = seen.setdefault(target.provider, [])
        if id(target.adapter) not in adapters:
            adapters.append(id(target.adapter))
    names = []
    for target in targets:
        adapters = seen[target.provider]
        number = adapters.index(id(target.adapter)) + 1
        names.append(target.provider if len(adapters) == 1 else f"{target.provider}-{number}")
    return names


def _cap(caps: PerAccount, name: str, default: int) -> int:
    value = caps.get(name) if isinstance(caps, Mapping) else caps
    cap = int(value or default)
    if cap < 1:
        raise InvalidRequestError(f"the cap of account {name} must be at least 1")
    return cap


async def submit(
    journal: PgJournal,
    action: Action,
    targets: Iterable[Target],
    *,
    accounts: Mapping[str, HasMembership] | None = None,
    caps: PerAccount = None,
    rounds: int = 2,
    chunk_ids: int = CHUNK_IDS,
) -> str:
    """Record a job (every id not attempted, cut into chunks) for workers to run; its id."""
    if action not in ("add", "remove"):
        raise InvalidRequestError(f"action must be 'add' or 'remove', not {action!r}")
    if rounds < 1:
        raise InvalidRequestError("rounds must be at least 1")
    targets = list(targets)
    for target in targets:
        if not isinstance(target, Target):
            raise InvalidRequestError(f"expected a multi.Target, got {type(target).__name__}")
    names = account_names(targets, accounts)
    job = uuid.uuid4().hex
    async with journal.acquire() as db, db.transaction():
        for name, target in dict(zip(names, targets, strict=True)).items():
            adapter = target.adapter
            provider = await db.fetchval(
                "INSERT INTO accounts (name, provider, cap) VALUES ($1, $2, $3) "
                "ON CONFLICT (name) DO UPDATE SET cap = EXCLUDED.cap RETURNING provider",
                name,
                target.provider,
                _cap(caps, name, adapter.default_concurrency),
            )
            if provider != target.provider:
                raise JournalError(f"account {name} is a {provider} account, not {target.provider}")
        await db.execute(
            "INSERT INTO jobs (id, action, rounds) VALUES ($1, $2, $3)", job, action, rounds
        )
        for position, (name, target) in enumerate(zip(names, targets, strict=True)):
            await db.execute(
                "INSERT INTO targets (job, position, provider, account, group_id) "
                "VALUES ($1, $2, $3, $4, $5)",
                job,
                position,
                target.provider,
                name,
                target.group_id,
            )
            adapter = target.adapter
            size = adapter.max_add_per_call if action == "add" else adapter.max_remove_per_call
            per_chunk = size * max(1, math.ceil(chunk_ids / size))
            rows, chunks = _rows(job, position, target.entries(), per_chunk)
            await db.copy_records_to_table(
                "ids",
                records=rows,
                columns=["job", "position", "seq", "key", "given", "state", "error", "chunk"],
                schema_name=journal.schema,
            )
            await db.executemany(
                "INSERT INTO chunks (job, position, number, account) VALUES ($1, $2, $3, $4)",
                [(job, position, number, name) for number in range(chunks)],
            )
    return job


def _rows(
    job: str, position: int, entries: Iterable[IdEntry], per_chunk: int
) -> tuple[list[tuple[Any, ...]], int]:
    """The ``ids`` rows of one target, and how many chunks they make."""
    rows: list[tuple[Any, ...]] = []
    sent = 0
    for seq, entry in enumerate(entries):
        if entry.refused is not None:
            error = json.dumps(error_to_dict(entry.refused))
            state = STATE[Outcome.FAILED]
            rows.append((job, position, seq, entry.key, entry.given, state, error, None))
        else:
            rows.append((job, position, seq, entry.key, entry.given, 0, None, sent // per_chunk))
            sent += 1
    return rows, math.ceil(sent / per_chunk)


@attrs.frozen
class JobStatus:
    """Where a job stands: its ids per outcome, its chunks per state, accounts paused now."""

    job: str
    action: str
    state: str
    outcomes: Mapping[str, int]
    chunks: Mapping[str, int]
    paused: Mapping[str, float]  # account: seconds left
    workers: int  # seen in the last minute

    @property
    def done(self) -> bool:
        return self.state == "done"

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


async def status(journal: PgJournal, job: str) -> JobStatus:
    """The job's status (``JournalError`` for a job the journal does not hold)."""
    async with journal.acquire() as db:
        row = await db.fetchrow("SELECT action, state FROM jobs WHERE id = $1", job)
        if row is None:
            raise JournalError(f"the journal holds no job {job}")
        outcomes: Counter[str] = Counter()
        for state, count in await db.fetch(
            "SELECT state, count(*) FROM ids WHERE job = $1 GROUP BY state", job
        ):
            outcomes[OUTCOME.get(state, Outcome.FAILED).value] += count
        chunks = dict(
            await db.fetch("SELECT state, count(*) FROM chunks WHERE job = $1 GROUP BY state", job)
        )
        paused = await db.fetch(
            "SELECT a.name, extract(epoch FROM a.paused_until - clock_timestamp()) FROM accounts a "
            "WHERE a.paused_until > clock_timestamp() AND a.name IN "
            "(SELECT account FROM targets WHERE job = $1)",
            job,
        )
        workers = await db.fetchval(
            "SELECT count(*) FROM workers WHERE stopped IS NULL "
            "AND seen > clock_timestamp() - interval '1 minute'"
        )
    return JobStatus(
        job,
        row["action"],
        row["state"],
        dict(outcomes),
        chunks,
        {name: float(left) for name, left in paused},
        int(workers),
    )


async def load(journal: PgJournal, job: str) -> tuple[Action, Ledger, float]:
    """The job's action, every id's outcome (in each target's order) in a ``Ledger``, and the
    seconds from its submission to its end (or to now). Ids not yet recorded in a chunk that a
    worker holds, or held when it stopped, are ``FAILED`` with an ``InterruptedCallError``: they
    may have landed (as ``BulkJob`` reports the calls in flight when it stops)."""
    async with journal.acquire() as db:
        head = await db.fetchrow(
            "SELECT action, extract(epoch FROM coalesce(finished, clock_timestamp()) - created) "
            "FROM jobs WHERE id = $1",
            job,
        )
        if head is None:
            raise JournalError(f"the journal holds no job {job}")
        action = head[0]
        targets = [
            SavedTarget(provider, group_id)
            for provider, group_id in await db.fetch(
                "SELECT provider, group_id FROM targets WHERE job = $1 ORDER BY position", job
            )
        ]
        rows = await db.fetch(
            "SELECT i.position, i.key, i.given, i.state, i.error, coalesce(c.dirty, false) "
            "AS dirty FROM ids i LEFT JOIN chunks c ON c.job = i.job "
            "AND c.position = i.position AND c.number = i.chunk WHERE i.job = $1 "
            "ORDER BY i.position, i.seq",
            job,
        )
    entries: list[list[IdEntry]] = [[] for _ in targets]
    for row in rows:
        entries[row["position"]].append(IdEntry(row["key"], row["given"]))
    ledger = Ledger(targets, entries)
    errors: dict[str, Any] = {}  # one error object per distinct stored error
    sending: list[list[str]] = [[] for _ in targets]
    for row in rows:
        outcome = OUTCOME.get(row["state"], Outcome.FAILED)
        if outcome is Outcome.NOT_ATTEMPTED:
            if row["dirty"]:  # its chunk is leased, or was when its worker stopped
                sending[row["position"]].append(row["key"])
            continue
        error = None
        if outcome is Outcome.FAILED:
            text = row["error"] or json.dumps({"error": "InterruptedCallError", "message": ""})
            if text not in errors:
                errors[text] = error_from_dict(json.loads(text))
            error = errors[text]
        ledger.set(row["position"], [row["key"]], outcome, error)
    for position, keys in enumerate(sending):
        if keys:
            provider = targets[position].provider
            ledger.set(position, keys, Outcome.FAILED, _in_flight(provider))
    return action, ledger, float(head[1])


def _in_flight(provider: str) -> InterruptedCallError:
    return InterruptedCallError(
        "a worker has these ids in hand, or stopped while it had: they may have landed "
        "(the chunk is read back before anything is sent again)",
        provider=provider,
    )


def load_now(url: str, job: str) -> tuple[Action, Ledger, float]:
    """``load``, blocking (for ``Report.load``; in a thread of its own, so it works inside a
    running event loop too)."""
    found: list[tuple[Action, Ledger, float]] = []
    failed: list[BaseException] = []

    async def read() -> None:
        journal = await PgJournal.open(url, size=1)
        try:
            found.append(await load(journal, job))
        finally:
            await journal.close()

    def run() -> None:
        try:
            anyio.run(read)
        except BaseException as error:  # handed to the caller's thread
            failed.append(error)

    thread = threading.Thread(target=run, name="contactgroups-report-load")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return found[0]
