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

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Mapping

import anyio
import attrs

from ..errors import ContactGroupsError, RateLimitError
from ..membership import HasMembership
from .accounts import ClientSource, client_from_env
from .ledger import Action, Ledger
from .pgchunk import OneLane, columns_of, run_chunk, wait_of
from .pgstore import PgJournal
from .retrying import worth_another_round
from .targets import IdEntry, Target

__all__ = ["BUSY", "DEFAULT_LEASE", "DEFAULT_SLOTS", "Worker"]

logger = logging.getLogger("contactgroups.multi")

#: Seconds a lease lasts without renewal (a dead worker's chunks wait this long).
DEFAULT_LEASE = 30.0
#: Chunks one worker runs at once (each one call at a time).
DEFAULT_SLOTS = 16
#: Seconds an idle slot waits before it asks for work again.
POLL = 0.25
#: Seconds the accounts a worker serves are remembered before they are read again.
ACCOUNTS_TTL = 5.0


@attrs.define(eq=False)
class _Lease:
    job: str
    position: int
    number: int
    account: str
    dirty: bool
    attempts: int
    keys: list[str]
    scope: anyio.CancelScope = attrs.field(factory=anyio.CancelScope)


#: What a claim gives when the accounts with work were being claimed for: ask again soon.
BUSY = "busy"


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
        self._served: tuple[float, list[str] | None] = (-ACCOUNTS_TTL, None)

    async def run(self) -> int:
        """Work until stopped (or, ``until_done``, until the job has nothing left); the number of
        chunks this worker recorded."""
        async with self.journal.acquire() as db:
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
                    async with self.journal.acquire() as db:
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
                finished = lease is None and await self._finished() and self.until_done
            except Exception as error:  # PostgreSQL restarting, or out of reach: ask again
                logger.warning("worker %s cannot reach the journal: %s", self.id, error)
                lease, finished = None, False
            if lease == BUSY:
                await anyio.sleep(random.uniform(0.002, 0.02))
                continue
            if not isinstance(lease, _Lease):
                if finished:
                    self.stop.set()
                    return
                self._served = (-ACCOUNTS_TTL, None)  # read them again: new accounts may come
                with anyio.move_on_after(POLL * random.uniform(0.5, 1.0)):
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

    async def _claim(self) -> _Lease | str | None:
        accounts = await self._accounts()
        if not accounts:
            return None
        asked = time.monotonic()
        async with self.journal.acquire() as db:
            row = await db.fetchrow(
                "SELECT * FROM claim_chunk($1, $2, $3, $4)",
                self.id,
                self.lease,
                self.job,
                accounts,
            )
        if row is None:
            return None
        if row["job"] is None:
            return BUSY
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
                async with self.journal.acquire() as db:
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
        """Whether the job (every job, without one) has ended; a job whose last chunks were
        recorded at the same moment by two workers (each saw the other's still open) is marked
        done here, once both have committed."""
        async with self.journal.acquire() as db:
            await db.execute(
                "UPDATE jobs j SET state = 'done', finished = clock_timestamp() "
                "WHERE j.state = 'running' AND ($1::text IS NULL OR j.id = $1) AND NOT EXISTS "
                "(SELECT 1 FROM chunks c WHERE c.job = j.id AND c.state <> 'done')",
                self.job,
            )
            running = await db.fetchval(
                "SELECT count(*) FROM jobs WHERE state = 'running' "
                "AND ($1::text IS NULL OR id = $1)",
                self.job,
            )
        return not running

    async def _accounts(self) -> list[str]:
        """The accounts this worker has (or can build) a client for; read again every few
        seconds, and whenever there is nothing to claim."""
        read, served = self._served
        if served is not None and time.monotonic() - read < ACCOUNTS_TTL:
            return served
        async with self.journal.acquire() as db:
            rows = await db.fetch("SELECT name, provider FROM accounts")
        served = []
        for name, provider in rows:
            if name not in self._refused and self._client(name, provider) is not None:
                served.append(name)
        self._served = (time.monotonic(), served)
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
            async with self.journal.acquire() as db:
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
        client = self._client(lease.account, target.provider)
        if client is None:  # cannot happen for a claimed account; left for another worker
            return
        lane = OneLane(client.membership)
        keys = lease.keys
        ledger = Ledger([Target(lane, target.group_id, ())], [[IdEntry(k) for k in keys]])
        await run_chunk(ledger, target.action, keys, lease.dirty)
        await self._record(lease, target, ledger)

    async def _record(self, lease: _Lease, target: _TargetRow, ledger: Ledger) -> None:
        """The chunk's outcomes, its release (done, or pending until its wait for another
        round) and any pause of its account, in one transaction; nothing if the lease is lost."""
        errors = ledger.errors_of(0)
        again = [e for e in errors.values() if worth_another_round(e)]
        wait = max((wait_of(e) for e in again), default=0.0)
        pause = max(
            (wait_of(e) for e in errors.values() if isinstance(e, RateLimitError)), default=0
        )
        state = "pending" if again and lease.attempts < target.rounds else "done"
        with anyio.CancelScope(shield=True):
            async with self.journal.acquire() as db:
                owned = await db.fetchval(
                    "SELECT record_chunk($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    self.id,
                    lease.job,
                    lease.position,
                    lease.number,
                    state,
                    wait,
                    pause,
                    *columns_of(ledger),
                )
        if not owned:
            logger.warning("worker %s lost chunk %s before recording it", self.id, lease.number)
            return
        self.chunks += 1
