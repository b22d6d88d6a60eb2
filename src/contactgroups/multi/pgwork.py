"""A worker on a PostgreSQL journal: lease a chunk, send it, record it, and again.

Any number of workers, on any machines, run the same jobs; PostgreSQL is the only thing they
share. A worker's slots each lease one chunk at a time (``claim_chunk``: within the account's
cap over every worker, never while the account is paused); a heartbeat renews the worker's
leases. A chunk runs through the same code as ``BulkJob`` (``calls``, ``verify``) and its
outcomes, the chunk's release and any pause of its account are written in one transaction.

Failure handling: a worker that dies stops renewing; its leases expire and the next worker to
lease such a chunk (``dirty``: leased, never recorded) reads its ids back first and sends only
those not already in the wanted state. A worker cut off from PostgreSQL gives up each chunk
before its lease can expire (its own clock runs behind the server's by the time the renewal
took), so no chunk is ever worked by two workers at once and no account goes over its cap.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import attrs

from ..errors import APIError, ContactGroupsError, InterruptedCallError, RateLimitError
from ..membership import ChecksMembers, HasMembership, MembershipAdapter
from .accounts import ClientSource, client_from_env
from .calls import call, halves, settle
from .ledger import Action, Ledger, Outcome
from .pgstore import PgJournal
from .records import STATE
from .retrying import worth_another_round
from .saved import error_to_dict
from .targets import IdEntry, Target
from .verify import verify

__all__ = ["DEFAULT_LEASE", "DEFAULT_SLOTS", "Worker", "run_chunk"]

logger = logging.getLogger("contactgroups.multi")

#: Seconds a lease lasts without renewal (a dead worker's chunks wait this long).
DEFAULT_LEASE = 30.0
#: Chunks one worker runs at once (each one call at a time).
DEFAULT_SLOTS = 16
#: Seconds an idle slot waits before it asks for work again.
POLL = 0.25


@attrs.define(eq=False)
class _Lease:
    job: str
    position: int
    number: int
    account: str
    dirty: bool
    attempts: int
    scope: anyio.CancelScope = attrs.field(factory=anyio.CancelScope)


@attrs.frozen
class _TargetRow:
    action: Action
    rounds: int
    provider: str
    group_id: str


class Worker:
    """One worker process's share of the work (``work`` runs one). ``stop`` ends it gently:
    no new leases; the chunks in hand are finished and recorded."""

    def __init__(
        self,
        journal: PgJournal,
        *,
        clients: ClientSource | None = None,
        job: str | None = None,
        slots: int = DEFAULT_SLOTS,
        lease: float = DEFAULT_LEASE,
        until_done: bool = False,
    ) -> None:
        self.journal = journal
        self.job = job
        self.slots = max(1, slots)
        self.lease = lease
        self.until_done = until_done
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop = anyio.Event()
        self.chunks = 0  # chunks recorded
        self._clients = clients
        self._built: dict[str, HasMembership] = {}  # clients this worker made (and closes)
        self._refused: set[str] = set()  # accounts it has no client for
        self._targets: dict[tuple[str, int], _TargetRow] = {}
        self._leases: dict[tuple[str, int, int], _Lease] = {}

    async def run(self) -> int:
        """Work until stopped (or, ``until_done``, until the job has nothing left); the number of
        chunks this worker recorded."""
        async with self.journal.pool.acquire() as db:
            await db.execute(
                "INSERT INTO workers (id, host, pid) VALUES ($1, $2, $3)",
                self.id,
                socket.gethostname(),
                os.getpid(),
            )
        try:
            async with anyio.create_task_group() as beats:
                beats.start_soon(self._heartbeat)
                async with anyio.create_task_group() as slots:
                    for _ in range(self.slots):
                        slots.start_soon(self._slot)
                beats.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                for client in self._built.values():
                    aclose = getattr(client, "aclose", None)
                    if aclose is not None:
                        await aclose()
                try:
                    async with self.journal.pool.acquire() as db:
                        await db.execute(
                            "UPDATE workers SET stopped = clock_timestamp() WHERE id = $1", self.id
                        )
                except Exception as error:  # the journal is gone: nothing more to record
                    logger.warning("worker %s could not record its stop: %s", self.id, error)
        return self.chunks

    # -- leases ----------------------------------------------------------------------------------

    async def _slot(self) -> None:
        while not self.stop.is_set():
            try:
                lease = await self._claim()
                finished = lease is None and self.until_done and await self._finished()
            except Exception as error:  # PostgreSQL restarting, or out of reach: ask again
                logger.warning("worker %s cannot reach the journal: %s", self.id, error)
                lease, finished = None, False
            if lease is None:
                if finished:
                    self.stop.set()
                    return
                with anyio.move_on_after(POLL):
                    await self.stop.wait()
                continue
            key = (lease.job, lease.position, lease.number)
            self._leases[key] = lease
            try:
                with lease.scope:
                    await self._run(lease)
            except Exception as error:  # the journal went away mid-chunk (or a bug): its lease
                # expires and whoever leases it next reads it back first
                logger.warning(
                    "worker %s left chunk %s of job %s unrecorded: %s",
                    self.id,
                    lease.number,
                    lease.job,
                    error,
                    exc_info=error,
                )
                await anyio.sleep(POLL)
            finally:
                del self._leases[key]
            if lease.scope.cancelled_caught:
                logger.warning(
                    "worker %s gave up chunk %s of job %s: its lease could not be renewed",
                    self.id,
                    lease.number,
                    lease.job,
                )

    async def _claim(self) -> _Lease | None:
        accounts = await self._accounts()
        if accounts is not None and not accounts:
            return None
        asked = time.monotonic()
        async with self.journal.pool.acquire() as db:
            row = await db.fetchrow(
                "SELECT * FROM claim_chunk($1, $2, $3, $4)",
                self.id,
                self.lease,
                self.job,
                accounts,
            )
        if row is None:
            return None
        lease = _Lease(*row)
        lease.scope.deadline = asked + self.lease * 0.9  # gives up before the server's expiry
        return lease

    async def _heartbeat(self) -> None:
        """Renew the leases of the chunks this worker is working on (only those: a chunk left
        unrecorded must expire, so that it is read back)."""
        while True:
            await anyio.sleep(self.lease / 3)
            asked = time.monotonic()
            held = list(self._leases)
            try:
                async with self.journal.pool.acquire() as db:
                    renewed = await db.fetch(
                        "UPDATE chunks c SET lease_until = clock_timestamp() "
                        "+ $2 * interval '1 second' FROM unnest($3::text[], $4::int[], $5::int[]) "
                        "AS h(job, position, number) WHERE c.job = h.job "
                        "AND c.position = h.position AND c.number = h.number "
                        "AND c.lease_owner = $1 AND c.state = 'leased' "
                        "AND c.lease_until >= clock_timestamp() "
                        "RETURNING c.job, c.position, c.number",
                        self.id,
                        self.lease,
                        [k[0] for k in held],
                        [k[1] for k in held],
                        [k[2] for k in held],
                    )
                    await db.execute(
                        "UPDATE workers SET seen = clock_timestamp() WHERE id = $1", self.id
                    )
            except Exception as error:  # cut off: each chunk gives up when its lease ends
                logger.warning("worker %s could not renew its leases: %s", self.id, error)
                continue
            for row in renewed:
                lease = self._leases.get((row[0], row[1], row[2]))
                if lease is not None:
                    lease.scope.deadline = asked + self.lease * 0.9

    async def _finished(self) -> bool:
        async with self.journal.pool.acquire() as db:
            running = await db.fetchval(
                "SELECT count(*) FROM jobs WHERE state = 'running' "
                "AND ($1::text IS NULL OR id = $1)",
                self.job,
            )
        return not running

    async def _accounts(self) -> list[str] | None:
        """The accounts this worker can serve (None: any, its clients come from a function)."""
        if self._clients is not None and not isinstance(self._clients, Mapping):
            return None
        async with self.journal.pool.acquire() as db:
            rows = await db.fetch("SELECT name, provider FROM accounts")
        served = []
        for name, provider in rows:
            if name not in self._refused and self._client(name, provider) is not None:
                served.append(name)
        return served

    def _client(self, account: str, provider: str) -> HasMembership | None:
        source = self._clients
        if isinstance(source, Mapping):
            return source.get(account)
        client = self._built.get(account)
        if client is None and account not in self._refused:
            try:
                if source is None:
                    client = client_from_env(account, provider)
                else:
                    client = source(account, provider)
            except ContactGroupsError as error:
                logger.error("worker %s leaves account %s alone: %s", self.id, account, error)
                self._refused.add(account)
                return None
            self._built[account] = client
        return client

    # -- one chunk ---------------------------------------------------------------------------------

    async def _target(self, job: str, position: int) -> _TargetRow:
        key = (job, position)
        if key not in self._targets:
            async with self.journal.pool.acquire() as db:
                row = await db.fetchrow(
                    "SELECT j.action, j.rounds, t.provider, t.group_id FROM targets t "
                    "JOIN jobs j ON j.id = t.job WHERE t.job = $1 AND t.position = $2",
                    job,
                    position,
                )
            self._targets[key] = _TargetRow(*row)
        return self._targets[key]

    async def _run(self, lease: _Lease) -> None:
        target = await self._target(lease.job, lease.position)
        async with self.journal.pool.acquire() as db:
            keys = [
                row[0]
                for row in await db.fetch(
                    "SELECT key FROM ids WHERE job = $1 AND position = $2 AND chunk = $3 "
                    "AND (state = 0 OR (state = $4 AND retry)) ORDER BY seq",
                    lease.job,
                    lease.position,
                    lease.number,
                    STATE[Outcome.FAILED],
                )
            ]
        client = self._client(lease.account, target.provider)
        if client is None:  # cannot happen for a claimed account; left for another worker
            return
        lane = _OneLane(client.membership)
        ledger = Ledger([Target(lane, target.group_id, ())], [[IdEntry(k) for k in keys]])
        await run_chunk(ledger, target.action, keys, lease.dirty)
        await self._record(lease, target, ledger)

    async def _record(self, lease: _Lease, target: _TargetRow, ledger: Ledger) -> None:
        """The chunk's outcomes, its release (done, or pending until its wait for another
        round) and any pause of its account, in one transaction; nothing if the lease is lost."""
        errors = ledger.errors_of(0)
        again = [e for e in errors.values() if worth_another_round(e)]
        wait = max((_wait(e) for e in again), default=0.0)
        pause = max((_wait(e) for e in errors.values() if isinstance(e, RateLimitError)), default=0)
        state = "pending" if again and lease.attempts < target.rounds else "done"
        rows = _rows(ledger)
        with anyio.CancelScope(shield=True):
            async with self.journal.pool.acquire() as db, db.transaction():
                owned = await db.fetchval(
                    "UPDATE chunks SET state = $5, lease_owner = NULL, lease_until = NULL, "
                    "dirty = false, not_before = clock_timestamp() + $6 * interval '1 second' "
                    "WHERE job = $1 AND position = $2 AND number = $3 AND lease_owner = $4 "
                    "AND state = 'leased' RETURNING true",
                    lease.job,
                    lease.position,
                    lease.number,
                    self.id,
                    state,
                    wait,
                )
                if not owned:
                    logger.warning(
                        "worker %s lost chunk %s before recording it", self.id, lease.number
                    )
                    return
                await db.execute(
                    "UPDATE ids SET state = u.state, error = u.error::jsonb, retry = u.retry, "
                    "unsure = u.unsure, wait = u.wait FROM unnest($3::text[], $4::int2[], "
                    "$5::text[], $6::bool[], $7::bool[], $8::real[]) "
                    "AS u(key, state, error, retry, unsure, wait) "
                    "WHERE ids.job = $1 AND ids.position = $2 AND ids.key = u.key",
                    lease.job,
                    lease.position,
                    *rows,
                )
                if pause:
                    await db.execute(
                        "UPDATE accounts SET paused_until = greatest(coalesce(paused_until, "
                        "'-infinity'), clock_timestamp() + $2 * interval '1 second') "
                        "WHERE name = $1",
                        lease.account,
                        pause,
                    )
                if state == "done":
                    await db.execute(
                        "UPDATE jobs SET state = 'done', finished = clock_timestamp() "
                        "WHERE id = $1 AND state = 'running' AND NOT EXISTS "
                        "(SELECT 1 FROM chunks WHERE job = $1 AND state <> 'done')",
                        lease.job,
                    )
        self.chunks += 1


class _OneLane:
    """A client whose adapter makes one call at a time: a chunk holds one unit of its account's
    cap, so its read-back asks ``check_members`` about one id at a time (an adapter would look
    several up at once) and an adapter without it reads the group page by page."""

    def __init__(self, adapter: MembershipAdapter) -> None:
        self.membership: MembershipAdapter = (
            _OneByOne(adapter) if isinstance(adapter, ChecksMembers) else adapter
        )


class _OneByOne:
    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Mapping[str, bool]:
        answer: dict[str, bool] = {}
        for contact_id in ids:
            answer.update(await self._adapter.check_members(group_id, [contact_id]))
        return answer


async def run_chunk(ledger: Ledger, action: Action, keys: Sequence[str], dirty: bool) -> None:
    """Target 0 of ``ledger``: read ``keys`` back first if an earlier lease of the chunk ended
    unrecorded (``dirty``), send what is not yet in the wanted state in the vendor's call size,
    one call at a time, and settle any call that ended unclear by reading it back."""
    target = ledger.targets[0]
    adapter: MembershipAdapter = target.adapter  # type: ignore[attr-defined]
    provider = adapter.provider
    if dirty and keys:
        interrupted = InterruptedCallError(
            "a worker stopped while this chunk was in flight; it may have landed", provider=provider
        )
        ledger.set(0, keys, Outcome.FAILED, interrupted)
        await verify(ledger, 0, action)
        keys = [k for k, outcome in ledger.outcomes_of(0).items() if not outcome.ok]
    size = adapter.max_add_per_call if action == "add" else adapter.max_remove_per_call

    async def send(ids: Sequence[str]) -> None:
        answer = await call(adapter, action, target.group_id, ids)
        split = halves(answer, ids)
        if split is not None:
            for half in split:
                await send(half)
            return
        for settled, outcome, error in settle(provider, action, ids, answer):
            ledger.set(0, settled, outcome, error)

    for start in range(0, len(keys), size):
        await send(keys[start : start + size])
    await verify(ledger, 0, action)


def _wait(error: ContactGroupsError) -> float:
    return float(error.retry_after or 0.0) if isinstance(error, APIError) else 0.0


def _rows(ledger: Ledger) -> list[list[Any]]:
    """Target 0's ids as ``unnest``'s columns: key, state, error, retry, unsure, wait."""
    columns: list[list[Any]] = [[], [], [], [], [], []]
    texts: dict[int, str] = {}
    for key, outcome, error, _ in ledger.items(0):
        if outcome is Outcome.NOT_ATTEMPTED:
            continue
        text = None
        retry = unsure = False
        wait = None
        if error is not None:
            if id(error) not in texts:
                texts[id(error)] = json.dumps(error_to_dict(error))
            text = texts[id(error)]
            retry = worth_another_round(error)
            unsure = error.maybe_landed
            wait = _wait(error) if retry else None
        for column, value in zip(
            columns, (key, STATE[outcome], text, retry, unsure, wait), strict=True
        ):
            column.append(value)
    return columns
