"""Four worker processes, one job of 40,000 ids over eight vendor accounts, one worker killed
with SIGKILL mid-job: the job completes, every id has exactly one outcome and it is the fakes'
state, no account ever had more calls in flight than its cap, and the only ids sent twice are
ids of chunks the killed worker held.

The fakes run in their own process (``fake_accounts.py``), counting each account's calls in
flight and each id's sends; the workers are ``contactgroups worker`` processes reading each
account's credentials from their environment.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from contactgroups import multi, providers

HERE = Path(__file__).parent
ACCOUNTS = {f"mb{i}": "messagebird" for i in range(1, 5)} | {
    f"me{i}": "messente" for i in range(1, 5)
}
IDS_PER_ACCOUNT = 5000
CAP = 4
WORKERS = 4
LEASE = 2.0


def start_fakes(ids: int, latency: float) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    spec = {"accounts": ACCOUNTS, "ids": ids, "latency": latency}
    process = subprocess.Popen(
        [sys.executable, str(HERE / "fake_accounts.py"), json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, "the fakes' process did not start"
    return process, json.loads(line)


def stats(fakes: dict[str, Any]) -> dict[str, Any]:
    with urlopen(fakes["control"] + "/stats", timeout=30) as answer:
        data: dict[str, Any] = json.load(answer)
    return data


def worker_env(fakes: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    for account in fakes["accounts"].values():
        env.update(account["env"])
    return env


async def submit(url: str, fakes: dict[str, Any]) -> str:
    clients = {
        name: providers.get(a["provider"]).client(**a["options"])
        for name, a in fakes["accounts"].items()
    }
    try:
        targets = [
            multi.Target(clients[name], a["group"], a["ids"])
            for name, a in fakes["accounts"].items()
        ]
        return await multi.submit(url, "add", targets, accounts=clients, caps=CAP)
    finally:
        for client in clients.values():
            await client.aclose()


async def query(url: str, sql: str, *args: Any) -> list[Any]:
    from contactgroups.multi.pgstore import PgJournal

    journal = await PgJournal.open(url, size=1)
    try:
        async with journal.pool.acquire() as db:
            return list(await db.fetch(sql, *args))
    finally:
        await journal.close()


@pytest.mark.timeout(120)  # the whole scenario takes about 20-40 s: 40,000 ids, 5 processes
def test_a_killed_worker_costs_nothing_but_its_lease(pg_url: str, tmp_path: Path) -> None:
    fake_process, fakes = start_fakes(IDS_PER_ACCOUNT, latency=0.003)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        job = asyncio.run(submit(pg_url, fakes))
        env = worker_env(fakes)
        logs = [tmp_path / f"worker{n}.log" for n in range(WORKERS)]
        for log in logs:
            command = [sys.executable, "-m", "contactgroups", "worker", "--journal", pg_url]
            command += ["--job", job, "--slots", "8", "--lease", str(LEASE), "--until-done"]
            with log.open("w") as output:  # a file: a pipe nobody reads would stop the worker
                workers.append(
                    subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
                )
        victim = workers[0]
        total = asyncio.run(query(pg_url, "SELECT count(*) FROM chunks"))[0][0]
        held: list[Any] = []
        started = time.monotonic()
        # kill once a quarter is done and it holds chunks, each with one id in flight (Messente's
        # calls take one id: then a read-back skipped would show as many ids sent twice)
        while time.monotonic() - started < 60:
            done = asyncio.run(query(pg_url, "SELECT count(*) FROM chunks WHERE state = 'done'"))
            held = asyncio.run(
                query(
                    pg_url,
                    "SELECT job, position, number, account FROM chunks WHERE state = 'leased' "
                    "AND lease_owner LIKE $1",
                    f"%:{victim.pid}:%",
                )
            )
            if done[0][0] >= total // 4 and held and all(r[3].startswith("me") for r in held):
                break
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        assert held, "the victim held no chunk when it was killed"
        # what it still held when the kill landed (it may have recorded one since the look)
        died_holding = asyncio.run(
            query(
                pg_url,
                "SELECT job, position, number FROM chunks WHERE state = 'leased' "
                "AND lease_owner LIKE $1",
                f"%:{victim.pid}:%",
            )
        )
        held_ids = {
            row[0]
            for row in asyncio.run(
                query(
                    pg_url,
                    "SELECT i.key FROM ids i JOIN chunks c ON (c.job, c.position, c.number) = "
                    "(i.job, i.position, i.chunk) WHERE c.state <> 'done' OR c.attempts > 1",
                )
            )
        }
        assert done[0][0] < total, "the job ended before the kill"
        for process, log in zip(workers[1:], logs[1:], strict=True):
            process.wait(timeout=90)
            text = log.read_text()
            assert process.returncode == 0, text[-2000:]
            assert "canary-SECRET" not in text
        report = multi.Report.load(pg_url, job)
        counted = stats(fakes)
        retaken = asyncio.run(query(pg_url, "SELECT count(*) FROM chunks WHERE attempts > 1"))
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
        fake_process.kill()
        fake_process.wait()
        if fake_process.stdout is not None:
            fake_process.stdout.close()

    assert report.total == len(ACCOUNTS) * IDS_PER_ACCOUNT
    assert report.ok, report.counts()
    # the chunks the victim died holding were leased again, read back first
    assert retaken[0][0] >= len(died_holding)
    by_account = dict(zip(fakes["accounts"], report.targets, strict=True))
    outcomes: dict[str, dict[str, multi.Outcome]] = {name: {} for name in ACCOUNTS}
    for target, contact_id, outcome, _ in report.outcomes():
        name = next(n for n, t in by_account.items() if t is target)
        assert contact_id not in outcomes[name], "an id with two outcomes"
        outcomes[name][contact_id] = outcome
    twice: set[str] = set()
    for name, account in counted.items():
        assert account["most_in_flight"] <= CAP, (name, account["most_in_flight"])
        members = set(account["members"])
        assert set(outcomes[name]) == set(fakes["accounts"][name]["ids"])
        for contact_id, outcome in outcomes[name].items():
            assert (contact_id in members) == outcome.ok
        twice |= {i for i, n in account["sends"].items() if n > 1}
    assert twice <= held_ids, sorted(twice - held_ids)[:5]
    # each chunk the victim held had one call in flight: 50 ids at MessageBird, 1 at Messente
    in_flight = sum(50 if ACCOUNTS[row[3]] == "messagebird" else 1 for row in held)
    assert len(twice) <= in_flight, (len(twice), in_flight)
