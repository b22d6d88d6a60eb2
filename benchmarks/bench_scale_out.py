"""Scale-out on PostgreSQL: a latency-bound job over many vendor accounts, run by 1, 2 and 4
``contactgroups worker`` processes; and the journal's own cost per chunk.

- throughput: ids per second with 1, 2 and 4 workers while the per-account caps do not bind
  (32 accounts with a cap of 4 each allow 128 calls at once; 4 workers of 8 slots make 32), and
  the workers' CPU per chunk. Targets: >= 1.8x at 2 workers and >= 3x at 4. The calls take
  200 ms so that the job is bound by the vendor's latency, not by this machine's cores: each
  chunk costs a worker a few ms of CPU (HTTP, the journal's round trips), and the workers, the
  fakes and PostgreSQL share the machine.
- journal cost per chunk: one worker, one slot, an adapter that answers at once (no vendor):
  the milliseconds PostgreSQL takes per chunk (claim, read its ids, record it).

Each run starts the workers first (they register in the journal), submits the job, and
times it from the submission's commit (when the workers can first lease a chunk) to its
``done`` state. The fake MessageBird (one process, every account's group on it) answers each
call after ``--latency`` seconds.

    python benchmarks/bench_scale_out.py [--journal URL] [--accounts 32] [--ids 32000]
                                         [--latency 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

from _fakes import Fakes, FakeSpec, heading, report, run

from contactgroups import multi, providers
from contactgroups.membership import BatchResult
from contactgroups.multi.accounts import account_env
from contactgroups.multi.pgstore import PgJournal

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
SLOTS = 8
CAP = 4


def _schema_url(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    return f"{base}{'&' if '?' in base else '?'}schema={schema}", schema


async def _sql(url: str, sql: str, *args: Any) -> Any:
    journal = await PgJournal.open(url, size=1)
    try:
        async with journal.pool.acquire() as db:
            return await db.fetchval(sql, *args)
    finally:
        await journal.close()


async def _drop(base: str, schema: str) -> None:
    journal = await PgJournal.open(base, size=1)
    try:
        async with journal.pool.acquire() as db:
            await db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await journal.close()


def _accounts(n: int) -> list[str]:
    return [f"acct{i:02d}" for i in range(n)]


async def _submit(url: str, info: Any, accounts: Sequence[str], per: int) -> str:
    provider = providers.get("messagebird")
    clients = {name: provider.client(**info.client_kwargs) for name in accounts}
    try:
        targets = [
            multi.Target(clients[name], info.group_id, info.ids[i * per : (i + 1) * per])
            for i, name in enumerate(accounts)
        ]
        return await multi.submit(url, "add", targets, accounts=clients, caps=CAP)
    finally:
        for client in clients.values():
            await client.aclose()


def _throughput(
    base: str, info: Any, workers: int, accounts: Sequence[str], per: int
) -> tuple[float, float]:
    """Ids per second, and the workers' CPU milliseconds per chunk."""
    url, schema = _schema_url(base)
    run(_sql(url, "SELECT 1"))  # creates the schema before the workers race to
    env = dict(os.environ)
    for name in accounts:
        env[account_env("MESSAGEBIRD_ACCESS_KEY", name)] = info.client_kwargs["access_key"]
        env[account_env("CONTACTGROUPS_BASE_URL", name)] = info.client_kwargs["base_url"]
    command = [sys.executable, "-m", "contactgroups", "worker", "--journal", url]
    command += ["--slots", str(SLOTS)]
    cpu = _children_cpu()
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    try:
        deadline = time.monotonic() + 60
        while run(_sql(url, "SELECT count(*) FROM workers")) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            time.sleep(0.1)
        job = run(_submit(url, info, accounts, per))
        started = time.monotonic()  # the job is committed: the workers start on it now
        while run(_sql(url, "SELECT state FROM jobs WHERE id = $1", job)) != "done":
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        added = run(_sql(url, "SELECT count(*) FROM ids WHERE state = 1"))
        if added != per * len(accounts):
            raise RuntimeError(f"{added} ids added, not {per * len(accounts)}")
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)
        run(_drop(base, schema))
    chunks = len(accounts) * -(-per // 50)
    return per * len(accounts) / elapsed, (_children_cpu() - cpu) / chunks * 1000


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _Instant:
    """An adapter that answers every call at once: what is left is the journal's cost."""

    provider = "instant"
    max_add_per_call = 50
    max_remove_per_call = 50
    default_concurrency = 1

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_done(ids)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_done(ids)

    async def members(self, group_id: str) -> Any:
        for _ in ():
            yield _


class _InstantClient:
    membership = _Instant()


async def _journal_cost(base: str, chunks: int) -> float:
    url, schema = _schema_url(base)
    client = _InstantClient()
    try:
        ids = [str(i) for i in range(chunks * 50)]
        job = await multi.submit(url, "add", [multi.Target(client, "g", ids)], caps=1)
        started = time.monotonic()
        recorded = await multi.work(
            url, clients={"instant": client}, job=job, slots=1, until_done=True
        )
        elapsed = time.monotonic() - started
    finally:
        await _drop(base, schema)
    return elapsed / recorded * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journal", default=os.environ.get("CONTACTGROUPS_BENCH_POSTGRES"))
    parser.add_argument("--accounts", type=int, default=32)
    parser.add_argument("--ids", type=int, default=32_000)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    base = args.journal or DEFAULT_URL
    heading("Scale-out on PostgreSQL")
    accounts = _accounts(args.accounts)
    per = args.ids // len(accounts)
    spec = FakeSpec("messagebird", latency=args.latency, contacts=per * len(accounts))
    rates: dict[int, float] = {}
    cpu: dict[int, float] = {}
    with Fakes([spec]) as fakes:
        info = fakes.info["messagebird"]
        for workers in (1, 2, 4):
            rates[workers], cpu[workers] = _throughput(base, info, workers, accounts, per)
            print(
                f"  {workers} worker(s): {rates[workers]:,.0f} ids/s, "
                f"workers' CPU {cpu[workers]:.1f} ms per chunk; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for workers, target in ((2, 1.8), (4, 3.0)):
        ratio = rates[workers] / rates[1]
        report(
            f"Scale-out: {args.ids:,} ids over {len(accounts)} accounts at "
            f"{args.latency * 1000:g} ms, {workers} workers vs 1: throughput ratio",
            ratio,
            f"{ratio:.2f}x ({rates[workers]:,.0f} vs {rates[1]:,.0f} ids/s; {SLOTS} slots a "
            f"worker, cap {CAP} an account; workers' CPU {cpu[workers]:.1f} ms a chunk)",
            f">= {target}x",
            ratio >= target,
        )
    cost = asyncio.run(_journal_cost(base, 400))
    report(
        "Scale-out: the journal's cost per chunk (claim with its ids, record; 50 ids)",
        cost,
        f"{cost:.2f} ms per chunk, wall (one worker, one slot, a vendor that answers at once: "
        "mostly the claim's commit waiting for the disk)",
        "reported (no target)",
        None,
    )


if __name__ == "__main__":
    main()
