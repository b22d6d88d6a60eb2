"""The scale-out commands: ``jobs submit|status|report`` and ``worker`` (SIGTERM: the chunks in
hand are finished and recorded, then exit 0)."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import anyio
import asyncpg
from anyio.abc import Process

from contactgroups.multi.pgstore import PgJournal
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messente import MessenteFake

CLI = [sys.executable, "-m", "contactgroups"]


def env_for(variables: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return env | variables


async def run(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    done = await anyio.run_process([*CLI, *args], env=env, check=False)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    journal = await PgJournal.open(url, size=1)
    try:
        async with journal.pool.acquire() as db:
            return list(await db.fetch(sql))
    finally:
        await journal.close()


async def test_submit_work_status_report_from_the_command_line(pg_url: str, tmp_path: Path) -> None:
    async with MessageBirdFake() as fake:
        group = fake.seed_group()
        ids = fake.seed_contacts(120)
        ids_file = tmp_path / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        env = env_for(
            {
                "MESSAGEBIRD_ACCESS_KEY__ACME": fake.access_key,
                "CONTACTGROUPS_BASE_URL__ACME": fake.url,
            }
        )
        code, out, err = await run(
            ["jobs", "submit", "--journal", pg_url, "members", "add", "--provider",
             "messagebird", "--group", group, "--ids-file", str(ids_file), "--account", "acme",
             "--cap", "2"],
            env,
        )  # fmt: skip
        assert code == 0, err
        job = out.strip()
        code, out, err = await run(
            ["worker", "--journal", pg_url, "--job", job, "--until-done", "--lease", "5"], env
        )
        assert code == 0, err
        assert "3 chunks recorded" in out
        code, out, err = await run(["jobs", "status", "--journal", pg_url, job, "--json"], env)
        assert code == 0, err
        status = json.loads(out)
        code, out, err = await run(["jobs", "report", "--journal", pg_url, job, "--json"], env)
        assert code == 0, err
        report = json.loads(out)
        members = fake.member_ids(group)
    assert status["state"] == "done" and status["outcomes"] == {"added": 120}
    assert report["ok"] and report["outcomes"] == {"added": 120}
    assert members == set(ids)


async def test_a_worker_told_to_stop_finishes_its_chunks_and_exits_0(
    pg_url: str, tmp_path: Path
) -> None:
    async with MessenteFake(faults=Faults(latency=0.03)) as fake:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(200)  # 4 chunks of 50 calls each, 1.5 s a chunk
        env = env_for(
            {
                "MESSENTE_USERNAME__ACME": fake.username,
                "MESSENTE_PASSWORD__ACME": fake.password,
                "CONTACTGROUPS_BASE_URL__ACME": fake.url,
            }
        )
        ids_file = tmp_path / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        code, _, err = await run(
            ["jobs", "submit", "--journal", pg_url, "members", "add", "--provider",
             "messente", "--group", group, "--ids-file", str(ids_file), "--account",
             "acme", "--cap", "2"],
            env,
        )  # fmt: skip
        assert code == 0, err
        process: Process = await anyio.open_process(
            [*CLI, "worker", "--journal", pg_url, "--slots", "2", "--lease", "10"], env=env
        )
        async with process:
            with anyio.fail_after(20):
                leased = "SELECT 1 FROM chunks WHERE state = 'leased'"
                while len(await fetch(pg_url, leased)) < 2:  # noqa: ASYNC110 - polling the db
                    await anyio.sleep(0.05)
                process.send_signal(signal.SIGTERM)
                code = await process.wait()
        chunks = await fetch(pg_url, "SELECT state, dirty FROM chunks ORDER BY number")
        members = fake.member_ids(group)
    assert code == 0
    assert [(r["state"], r["dirty"]) for r in chunks] == [("done", False)] * 2 + [
        ("pending", False)
    ] * 2
    assert members == set(ids[:100])
