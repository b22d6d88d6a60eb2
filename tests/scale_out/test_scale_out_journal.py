"""The PostgreSQL journal, piece by piece: leases and their expiry, the per-account cap, the
pause a 429 sets, migrations, credentials, a server that is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import pytest

from contactgroups import RetryPolicy, multi
from contactgroups.errors import (
    InterruptedCallError,
    InvalidRequestError,
    JournalError,
    RateLimitError,
)
from contactgroups.membership import HasMembership
from contactgroups.multi.pgstore import LATEST, PgJournal
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake

CANARY = "canary-SECRET-4f9a1c"


def sent_ids(fake: MessageBirdFake) -> list[str]:
    """Every id the fake was asked to add, once per time it was asked."""
    ids = []
    for request in fake.requests_to("PUT", "/groups/"):
        text = request.body.decode()
        ids += [part.split("=", 1)[1] for part in text.split("&") if part.startswith("ids")]
    return ids


async def chunks(url: str) -> list[asyncpg.Record]:
    journal = await PgJournal.open(url, size=1)
    try:
        async with journal.pool.acquire() as db:
            return list(await db.fetch("SELECT * FROM chunks ORDER BY position, number"))
    finally:
        await journal.close()


async def claim(url: str, owner: str, lease: float = 30.0) -> asyncpg.Record | None:
    journal = await PgJournal.open(url, size=1)
    try:
        async with journal.pool.acquire() as db:
            row: asyncpg.Record | None = await db.fetchrow(
                "SELECT * FROM claim_chunk($1, $2, NULL, NULL)", owner, lease
            )
            return row
    finally:
        await journal.close()


async def test_a_job_runs_to_one_outcome_per_id_and_reads_back_as_a_report(pg_url: str) -> None:
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group()
        ids = fake.seed_contacts(120)
        target = multi.Target(client, group, [*ids, "", ids[0]])  # a refused id, a repeat
        job = await multi.submit(pg_url, "add", [target], accounts={"acme": client}, caps=2)
        assert (await multi.job_status(pg_url, job)).state == "running"
        recorded = await multi.work(pg_url, clients={"acme": client}, job=job, until_done=True)
        status = await multi.job_status(pg_url, job)
        report = await anyio.to_thread.run_sync(multi.Report.load, pg_url, job)
        members = fake.member_ids(group)
    assert recorded == 3  # 120 ids in chunks of 50
    assert status.done and status.chunks == {"done": 3}
    assert status.outcomes == {"added": 120, "failed": 1}
    assert report.total == 121
    assert [i for _, i, o, _ in report.outcomes() if o is multi.Outcome.ADDED] == ids
    assert members == set(ids)
    assert sorted(sent_ids(fake)) == sorted(ids)  # each id sent once


async def test_an_expired_lease_is_read_back_before_anything_is_sent(pg_url: str) -> None:
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group()
        ids = fake.seed_contacts(100)
        job = await multi.submit(
            pg_url, "add", [multi.Target(client, group, ids)], accounts={"acme": client}
        )
        dead = await claim(pg_url, "dead-worker", lease=0.2)  # a worker that then died ...
        assert dead is not None and not dead["dirty"]
        fake.seed_members(group, ids[:50])  # ... once its call had landed
        meanwhile = await anyio.to_thread.run_sync(multi.Report.load, pg_url, job)
        await anyio.sleep(0.3)  # its lease expires
        await multi.work(pg_url, clients={"acme": client}, job=job, until_done=True)
        report = await anyio.to_thread.run_sync(multi.Report.load, pg_url, job)
        rows = await chunks(pg_url)
    in_hand = {i for _, i, o, e in meanwhile.outcomes() if isinstance(e, InterruptedCallError)}
    assert in_hand == set(ids[:50])  # may have landed: never reported as not attempted
    assert meanwhile.counts()[multi.Outcome.NOT_ATTEMPTED] == 50
    assert [r["attempts"] for r in rows] == [2, 1]
    assert sorted(sent_ids(fake)) == sorted(ids[50:])  # the landed half never sent again
    assert report.ok and fake.member_ids(group) == set(ids)
    assert all(report.outcome(0, i) is multi.Outcome.ADDED for i in ids)


async def test_the_cap_holds_for_every_claim_at_once(pg_url: str) -> None:
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group()
        target = multi.Target(client, group, fake.seed_contacts(1000))  # 20 chunks
        await multi.submit(pg_url, "add", [target], accounts={"acme": client}, caps=3)
    journal = await PgJournal.open(pg_url, size=20)
    granted: list[asyncpg.Record] = []
    try:

        async def one(owner: str) -> None:
            for _ in range(50):  # "busy": another claim holds the account; ask again
                async with journal.pool.acquire() as db:
                    row = await db.fetchrow("SELECT * FROM claim_chunk($1, 30, NULL, NULL)", owner)
                if row is None:
                    return
                if row["job"] is not None:
                    granted.append(row)
                    return
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as group_of_claims:
            for n in range(20):
                group_of_claims.start_soon(one, f"worker-{n}")
        async with journal.pool.acquire() as db:
            leased = await db.fetchval("SELECT count(*) FROM chunks WHERE state = 'leased'")
    finally:
        await journal.close()
    assert len(granted) == 3
    assert leased == 3
    assert len({(r["position"], r["number"]) for r in granted}) == 3
    assert all(len(r["keys"]) == 50 for r in granted)


async def test_a_429_pauses_the_account_for_every_worker(pg_url: str) -> None:
    faults = Faults(rate_limit=1.0, retry_after=30, only_paths=("/groups/",))
    async with (
        MessageBirdFake(faults=faults) as fake,
        fake.client(retry=RetryPolicy(retry_after_max=1.0)) as client,
    ):
        group = fake.seed_group()
        target = multi.Target(client, group, fake.seed_contacts(200))
        job = await multi.submit(pg_url, "add", [target], accounts={"acme": client}, caps=4)
        stop = anyio.Event()
        async with anyio.create_task_group() as workers:
            workers.start_soon(
                lambda: multi.work(pg_url, clients={"acme": client}, job=job, slots=4, stop=stop)
            )
            with anyio.fail_after(10):
                while not (await multi.job_status(pg_url, job)).paused:  # noqa: ASYNC110
                    await anyio.sleep(0.05)
            sent_before = len(fake.requests_to("PUT", "/groups/"))
            await anyio.sleep(0.5)  # the slots keep asking for work: the account is paused
            stop.set()
        status = await multi.job_status(pg_url, job)
        report = await anyio.to_thread.run_sync(multi.Report.load, pg_url, job)
        adds = fake.requests_to("PUT", "/groups/")
    assert 25 < status.paused["acme"] <= 30
    assert 1 <= len(adds) == sent_before <= 4  # the calls already under way; none after
    assert status.chunks == {"pending": 4}  # to be sent again when the pause is over
    errors = {type(e) for _, _, o, e in report.outcomes() if o is multi.Outcome.FAILED}
    assert errors == {RateLimitError}
    assert report.counts()[multi.Outcome.FAILED] == 50 * len(adds)


async def test_migrations_run_once_and_a_newer_schema_is_refused(pg_url: str) -> None:
    journals: list[PgJournal] = []

    async def open_one() -> None:
        journals.append(await PgJournal.open(pg_url, size=1))

    async with anyio.create_task_group() as group:
        for _ in range(4):  # workers starting together
            group.start_soon(open_one)
    try:
        assert [await j.migrate() for j in journals] == [LATEST] * 4
        async with journals[0].pool.acquire() as db:
            versions = await db.fetch("SELECT version FROM contactgroups_schema_version")
            await db.execute(
                "INSERT INTO contactgroups_schema_version (version) VALUES ($1)", LATEST + 1
            )
    finally:
        for journal in journals:
            await journal.close()
    assert [r["version"] for r in versions] == list(range(1, LATEST + 1))
    with pytest.raises(JournalError, match="upgrade contactgroups"):
        await PgJournal.open(pg_url)


async def test_no_credential_reaches_the_database(pg_url: str) -> None:
    key = f"mb-{CANARY}"
    async with MessageBirdFake(access_key=key) as fake, fake.client() as client:
        group = fake.seed_group()
        ids = fake.seed_contacts(60)
        target = multi.Target(client, group, [*ids, "no-such-contact", ""])
        report = await multi.add([target], journal=pg_url)
    assert report.counts()[multi.Outcome.ADDED] == 60
    assert report.counts()[multi.Outcome.FAILED] == 2
    journal = await PgJournal.open(pg_url, size=1)
    try:
        async with journal.pool.acquire() as db:
            tables = [
                r[0]
                for r in await db.fetch(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                    journal.schema,
                )
            ]
            texts = [
                str(row[0])
                for table in tables
                for row in await db.fetch(f"SELECT t::text FROM {table} t")
            ]
    finally:
        await journal.close()
    assert {"jobs", "accounts", "targets", "chunks", "ids", "workers"} <= set(tables)
    assert any("no-such-contact" in text for text in texts)  # the rows were read
    assert not [text for text in texts if CANARY in text]


async def test_a_server_that_is_not_there_is_a_journal_error_without_the_password() -> None:
    url = "postgresql://someone:hunter2-password@127.0.0.1:1/nowhere"
    with pytest.raises(JournalError) as raised:
        await PgJournal.open(url)
    assert "cannot reach the PostgreSQL journal at postgresql://someone:***@127.0.0.1:1" in str(
        raised.value
    )
    assert "hunter2" not in str(raised.value)
    with pytest.raises(JournalError, match="schema must be"):
        await PgJournal.open("postgresql://postgres@127.0.0.1:1/x?schema=Robert'); DROP")


async def test_workers_ride_out_their_connections_being_cut(pg_url: str, pg_server: str) -> None:
    """PostgreSQL drops every worker connection mid-job (as in a restart): the worker asks again,
    chunks left unrecorded are read back by the next lease, and the job ends with every id."""
    async with MessageBirdFake(faults=Faults(latency=0.01)) as fake, fake.client() as client:
        group = fake.seed_group()
        ids = fake.seed_contacts(1500)  # 30 chunks
        job = await multi.submit(
            pg_url, "add", [multi.Target(client, group, ids)], accounts={"acme": client}
        )
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                lambda: multi.work(
                    pg_url, clients={"acme": client}, job=job, slots=4, lease=1.0, until_done=True
                )
            )
            admin = await asyncpg.connect(pg_server)
            try:
                cut = 0
                for _ in range(3):
                    await anyio.sleep(0.15)
                    cut += len(
                        await admin.fetch(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = $1 AND pid <> pg_backend_pid()",
                            "contactgroups " + pg_url.rpartition("schema=")[2],
                        )
                    )
            finally:
                await admin.close()
        report = await anyio.to_thread.run_sync(multi.Report.load, pg_url, job)
    assert cut > 0
    assert report.ok and report.total == 1500
    assert fake.member_ids(group) == set(ids)


def test_without_a_server_these_tests_fail_naming_the_variable(tmp_path: Path) -> None:
    """Never a quiet skip: a scale-out test with no PostgreSQL to reach fails, and says which
    variable names the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["CONTACTGROUPS_TEST_POSTGRES"] = "postgresql://postgres@127.0.0.1:1/nowhere"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"{__file__}::test_the_cap_holds_for_every_claim_at_once"],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-2000:]
    assert "1 error" in done.stdout or "1 failed" in done.stdout
    assert "set CONTACTGROUPS_TEST_POSTGRES to its URL" in done.stdout
    assert "skipped" not in done.stdout


async def test_a_job_whose_last_chunks_end_together_still_ends(pg_url: str) -> None:
    """Two workers record a job's last two chunks at the same moment: each sees the other's still
    open, so neither marks the job done; the next worker to look does."""
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group()
        job = await multi.submit(
            pg_url,
            "add",
            [multi.Target(client, group, fake.seed_contacts(100))],
            accounts={"acme": client},
        )
        first, second = await claim(pg_url, "a"), await claim(pg_url, "b")
        assert first is not None and second is not None
        journal = await PgJournal.open(pg_url, size=2)
        try:
            async with journal.pool.acquire() as one, journal.pool.acquire() as two:
                together = [(one, first, "a"), (two, second, "b")]
                for db, _, _ in together:
                    await db.execute("BEGIN")
                for db, lease, owner in together:
                    await db.fetchval(
                        "SELECT record_chunk($1, $2, $3, $4, 'done', 0, 0, $5, $6, $7, $8, $9, "
                        "$10)",
                        owner,
                        job,
                        lease["position"],
                        lease["number"],
                        lease["keys"],
                        [1] * len(lease["keys"]),
                        [None] * len(lease["keys"]),
                        [False] * len(lease["keys"]),
                        [False] * len(lease["keys"]),
                        [None] * len(lease["keys"]),
                    )
                for db, _, _ in together:
                    await db.execute("COMMIT")
        finally:
            await journal.close()
        assert (await multi.job_status(pg_url, job)).state == "running"  # the write skew
        with anyio.fail_after(10):
            await multi.work(pg_url, clients={"acme": client}, job=job, until_done=True)
        status = await multi.job_status(pg_url, job)
    assert status.done and status.chunks == {"done": 2} and status.outcomes == {"added": 100}


async def test_a_worker_without_an_accounts_client_leaves_that_account_to_others(
    pg_url: str,
) -> None:
    async with (
        MessageBirdFake() as a,
        MessageBirdFake(access_key=f"b-{CANARY}") as b,
        a.client() as acme,
        b.client() as beta,
    ):
        groups = a.seed_group(), b.seed_group()
        ids = a.seed_contacts(150), b.seed_contacts(150)
        targets = [multi.Target(acme, groups[0], ids[0]), multi.Target(beta, groups[1], ids[1])]
        job = await multi.submit(pg_url, "add", targets, accounts={"acme": acme, "beta": beta})

        def only_acme(account: str, provider: str) -> HasMembership:
            if account != "acme":
                raise InvalidRequestError(f"no credentials here for {account}")
            return acme

        done: dict[str, int] = {}

        async def run(name: str, clients: Any) -> None:
            done[name] = await multi.work(
                pg_url, clients=clients, job=job, slots=2, until_done=True
            )

        with anyio.fail_after(20):
            async with anyio.create_task_group() as workers:
                workers.start_soon(run, "factory", only_acme)
                workers.start_soon(run, "mapping", {"beta": beta})
        report = await anyio.to_thread.run_sync(multi.Report.load, pg_url, job)
    assert report.ok and report.total == 300
    assert done == {"factory": 3, "mapping": 3}
    assert a.member_ids(groups[0]) == set(ids[0]) and b.member_ids(groups[1]) == set(ids[1])
