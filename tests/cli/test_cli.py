"""The ``contactgroups`` command, run for real: the demo in-process, vendor commands in a
subprocess against fakes on 127.0.0.1 (credentials through the environment, as a user would)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rich", reason="the CLI needs its extra: pip install -e '.[cli]'")

from contactgroups.cli import main
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake

CANARY_KEY = "canaryAccessKeyQ8w7e6r5t4"
CANARY_USER = "canary-user-x1y2"
CANARY_PASSWORD = "canaryPassword-Z9y8x7"
CANARY_AUTH = "canaryAuthorization-K3j4h5"
CANARY_APP = "canaryAppKey-M1n2b3"
CANARY_CLIENT_ID = "canaryClientId-P0o9"
CANARY_SECRET = "canaryClientSecret-L8k7"
CANARIES = (
    CANARY_KEY,
    CANARY_USER,
    CANARY_PASSWORD,
    CANARY_AUTH,
    CANARY_APP,
    CANARY_CLIENT_ID,
    CANARY_SECRET,
)

ENV = {
    "MESSAGEBIRD_ACCESS_KEY": CANARY_KEY,
    "MESSENTE_USERNAME": CANARY_USER,
    "MESSENTE_PASSWORD": CANARY_PASSWORD,
    "MESSAGEFLOW_AUTHORIZATION": CANARY_AUTH,
    "MESSAGEFLOW_APPLICATION_KEY": CANARY_APP,
    "MESSENGEO_CLIENT_ID": CANARY_CLIENT_ID,
    "MESSENGEO_CLIENT_SECRET": CANARY_SECRET,
}


def assert_no_credentials(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text


async def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, cwd: Path
) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(tuple(ENV))}
    environment.update(ENV if env is None else env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "contactgroups",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
        cwd=cwd,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    assert_no_credentials(out.decode(), err.decode())
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def mb() -> AsyncIterator[MessageBirdFake]:
    async with MessageBirdFake(access_key=CANARY_KEY) as fake:
        yield fake


# -- demo ----------------------------------------------------------------------------------------


def test_demo_accounts_for_every_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--ids", "1200"]) == 0
    out = capsys.readouterr().out
    assert out.count("every id accounted for: yes; fakes' state matches the report: yes") == 2
    for provider in ("messagebird", "messente", "messageflow", "messengeo"):
        assert f"add {provider}: " in out  # plain progress lines: stdout is not a terminal
    assert_no_credentials(out)


def test_demo_with_faults_still_ends_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--ids", "1200", "--faults", "--json"]) == 0
    captured = capsys.readouterr()
    reports = json.loads(captured.out)
    assert [r["action"] for r in reports] == ["add", "remove"]
    for report in reports:
        assert report["ok"] is True
        assert report["total"] == sum(p["ids"] for p in report["providers"].values())
        assert sum(report["outcomes"].values()) == report["total"]
    assert sum(p["retries"] for r in reports for p in r["providers"].values()) > 0
    assert_no_credentials(captured.out, captured.err)


# -- vendor commands -----------------------------------------------------------------------------


async def test_groups_list_and_create(mb: MessageBirdFake, tmp_path: Path) -> None:
    group = mb.seed_group("Seeded")
    code, out, _ = await run_cli(
        "groups", "list", "--provider", "messagebird", "--base-url", mb.url, "--json", cwd=tmp_path
    )
    assert code == 0
    assert {"id": group, "name": "Seeded"} in json.loads(out)
    code, out, _ = await run_cli(
        "groups", "create", "--provider", "messagebird", "--base-url", mb.url, "--name", "VIP",
        "--json", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0
    created = json.loads(out)
    assert created["name"] == "VIP"
    assert created["id"] in mb.groups  # type: ignore[attr-defined]


async def test_members_add_reports_failures_and_writes_them(
    mb: MessageBirdFake, tmp_path: Path
) -> None:
    group = mb.seed_group("G")
    good = mb.seed_contacts(60)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join([*good, "ffffffffffffffffffffffffffffffff", good[0]]) + "\n")
    code, out, err = await run_cli(
        "members", "add", "--provider", "messagebird", "--base-url", mb.url, "--group", group,
        "--ids-file", str(ids_file), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert code == 1
    report = json.loads(out)
    assert report["total"] == 61
    assert report["outcomes"] == {"added": 60, "failed": 1}
    header, *written = (tmp_path / "failed-ids.txt").read_text().splitlines()
    assert header.startswith("# contactgroups failures file (add): ")
    assert written == ["ffffffffffffffffffffffffffffffff"]
    assert "failed-ids.txt" in err
    assert mb.member_ids(group) == set(good)


async def test_members_remove_from_stdin(mb: MessageBirdFake, tmp_path: Path) -> None:
    group = mb.seed_group("G")
    ids = mb.seed_contacts(5)
    async with mb.client() as client:
        await client.groups.add_contacts(group, ids)
    code, out, _ = await run_cli(
        "members", "remove", "--provider", "messagebird", "--base-url", mb.url, "--group", group,
        "--ids-file", "-", stdin="\n".join(ids[:3]).encode(), cwd=tmp_path,
    )  # fmt: skip
    assert code == 0
    assert "removed" in out
    assert mb.member_ids(group) == set(ids[3:])
    assert not (tmp_path / "failed-ids.txt").exists()


async def test_members_sync_dry_run_then_apply(tmp_path: Path) -> None:
    async with MessenteFake(username=CANARY_USER, password=CANARY_PASSWORD) as fake:
        group = fake.seed_group("G")
        phones = fake.seed_contacts(6)
        async with fake.client() as client:
            for phone in phones[:3]:
                await client.groups.add_contact(group, phone)
        ids_file = tmp_path / "desired.txt"
        ids_file.write_text("\n".join(phones[2:]))
        args = ("members", "sync", "--provider", "messente", "--base-url", fake.url)
        code, out, _ = await run_cli(
            *args, "--group", group, "--ids-file", str(ids_file), "--dry-run", cwd=tmp_path
        )
        assert code == 0
        assert "3 to add, 2 to remove, 1 unchanged (dry run" in out
        assert fake.member_ids(group) == set(phones[:3])
        code, out, _ = await run_cli(
            *args, "--group", group, "--ids-file", str(ids_file), "--json", cwd=tmp_path
        )
        assert code == 0
        assert json.loads(out)["plan"] == {
            "to_add": 3,
            "to_remove": 2,
            "unchanged": 1,
            "dry_run": False,
        }
        assert fake.member_ids(group) == set(phones[2:])


async def test_every_provider_is_reachable_from_the_command_line(tmp_path: Path) -> None:
    fakes: list[tuple[str, Any, list[str]]] = []
    async with (
        MessageFlowFake(authorization=CANARY_AUTH, application_key=CANARY_APP) as mf,
        MessengeoFake(client_id=CANARY_CLIENT_ID, client_secret=CANARY_SECRET) as mg,
    ):
        fakes = [("messageflow", mf, []), ("messengeo", mg, ["--token-url", mg.origin + "/token"])]
        for provider, fake, extra in fakes:
            group = fake.seed_group("G")
            ids = fake.seed_contacts(30)
            ids_file = tmp_path / f"{provider}.txt"
            ids_file.write_text("\n".join(ids))
            code, out, err = await run_cli(
                "members", "add", "--provider", provider, "--base-url", fake.url, *extra,
                "--group", group, "--ids-file", str(ids_file), "--json", cwd=tmp_path,
            )  # fmt: skip
            assert code == 0, err
            assert json.loads(out)["outcomes"] == {"added": 30}
            assert fake.member_ids(group) == set(ids)
            code, out, err = await run_cli(
                "groups", "list", "--provider", provider, "--base-url", fake.url, *extra,
                "--json", cwd=tmp_path,
            )  # fmt: skip
            assert code == 0, err
            assert group in {g["id"] for g in json.loads(out)}
            code, out, err = await run_cli(
                "groups", "create", "--provider", provider, "--base-url", fake.url, *extra,
                "--name", "Created", "--json", cwd=tmp_path,
            )  # fmt: skip
            assert code == 0, err
            created = json.loads(out)
            assert created["name"] == "Created"
            async with fake.client() as client:
                ids_after = {str(g.id) async for g in (
                    client.lists.list() if provider == "messengeo" else client.groups.list()
                )}  # fmt: skip
            assert created["id"] in ids_after


async def test_missing_credentials_name_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "MESSENTE_PASSWORD"}
    code, _out, err = await run_cli(
        "groups", "list", "--provider", "messente", env=env, cwd=tmp_path
    )
    assert code == 3  # credentials or configuration
    assert "MESSENTE_PASSWORD" in err
    assert "MESSENTE_USERNAME" not in err


async def test_wrong_credentials_fail_cleanly_without_echoing_them(
    mb: MessageBirdFake, tmp_path: Path
) -> None:
    env = {**ENV, "MESSAGEBIRD_ACCESS_KEY": CANARY_KEY + "-wrong"}
    code, _out, err = await run_cli(
        "groups", "list", "--provider", "messagebird", "--base-url", mb.url, env=env, cwd=tmp_path
    )
    assert code == 3  # credentials the vendor refused
    assert "401" in err


async def test_sync_writes_the_failures_of_both_phases(tmp_path: Path) -> None:
    async with MessageBirdFake(access_key=CANARY_KEY) as fake:
        group = fake.seed_group("G")
        ids = fake.seed_contacts(4)
        async with fake.client() as client:
            await client.groups.add_contacts(group, ids[:2])
        unknown = "ffffffffffffffffffffffffffffffff"  # the fake refuses unknown contact ids
        ids_file = tmp_path / "desired.txt"
        ids_file.write_text("\n".join([ids[1], ids[2], unknown]))
        code, out, _ = await run_cli(
            "members", "sync", "--provider", "messagebird", "--base-url", fake.url,
            "--group", group, "--ids-file", str(ids_file), cwd=tmp_path,
        )  # fmt: skip
        assert code == 1
        assert "1 id did not land" in out
        assert fake.member_ids(group) == {ids[1], ids[2]}
        # a file per phase, and only for a phase with failures; '#' lines are skipped on input
        header, *written = (tmp_path / "failed-ids.add.txt").read_text().splitlines()
        assert header.startswith("# contactgroups failures file (add): ")
        assert written == [unknown]
        assert not (tmp_path / "failed-ids.remove.txt").exists()
        assert not (tmp_path / "failed-ids.txt").exists()


async def test_bad_options_exit_2(tmp_path: Path) -> None:
    code, _, err = await run_cli(
        "groups", "list", "--provider", "messagebird", "--base-url", "http://vendor.example/",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 2
    assert "http" in err
