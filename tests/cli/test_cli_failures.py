"""``members add|remove|sync`` failures files and ``--json`` per id, against the Messente fake.

A sync writes the adds and the removes that failed as two files, each headed by the command that
re-runs it; running those commands lands the failed ids and removes no wanted member; a sync
refuses a failures file as its desired set; a run removes the previous run's failures file
first, so a clean run leaves none. ``--json`` lists every id with its outcome, and an error only
for a failed one. Failures come from the fake's faults on chosen ids' paths (Messente adds and
removes one phone number per call). The command runs in-process, in a worker thread with its own
event loop, while the test's loop serves the fake.
"""

from __future__ import annotations

import io
import json
import os
import shlex
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("rich", reason="the CLI needs its extra: pip install -e '.[cli]'")

from contactgroups.cli import main
from contactgroups.testing import Faults
from contactgroups.testing.messente import MessenteFake

USER, PASSWORD = "failures-user-q1w2", "failuresPassword-e3r4t5"
MARKER = "# contactgroups failures file"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MessenteFake]:
    monkeypatch.setenv("MESSENTE_USERNAME", USER)
    monkeypatch.setenv("MESSENTE_PASSWORD", PASSWORD)
    async with MessenteFake(username=USER, password=PASSWORD) as server:
        yield server


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = await anyio.to_thread.run_sync(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fail_calls_for(fake: MessenteFake, group: str, phones: list[str]) -> None:
    """Every call about one of ``phones`` in ``group`` answers 400 (not retried)."""
    paths = tuple(f"/v1/phonebook/groups/{group}/contacts/{p}" for p in phones)
    fake.faults = Faults(server_error=1.0, server_error_status=400, only_paths=paths)


async def members_of(fake: MessenteFake, group: str, phones: list[str]) -> None:
    async with fake.client() as client:
        for phone in phones:
            await client.groups.add_contact(group, phone)


def failures_file(path: Path) -> tuple[str, list[str]]:
    """A failures file's header line and its ids."""
    header, *ids = path.read_text(encoding="utf-8").splitlines()
    assert header.startswith(MARKER)
    return header, ids


async def test_re_running_a_syncs_failures_files_removes_no_wanted_member(
    fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    keep, extra, new = fake.seed_contacts(3), fake.seed_contacts(4), fake.seed_contacts(4)
    await members_of(fake, group, keep + extra)
    desired = tmp_path / "desired.txt"
    desired.write_text("\n".join(keep + new) + "\n", encoding="utf-8")
    fail_calls_for(fake, group, [new[0], new[1], extra[0], extra[1]])
    base = ["--provider", "messente", "--base-url", fake.url]

    code, out, err = await run(
        capsys, "members", "sync", *base, "--group", group, "--ids-file", str(desired),
        "--failed-file", str(tmp_path / "failed.txt"),
    )  # fmt: skip
    assert code == 1, err
    assert fake.member_ids(group) == {*keep, *new[2:], *extra[:2]}
    add_header, add_ids = failures_file(tmp_path / "failed.add.txt")
    remove_header, remove_ids = failures_file(tmp_path / "failed.remove.txt")
    assert sorted(add_ids) == sorted(new[:2])
    assert sorted(remove_ids) == sorted(extra[:2])
    assert not (tmp_path / "failed.txt").exists()
    for path in ("failed.add.txt", "failed.remove.txt"):
        assert f"listed in {tmp_path / path}; re-run them with: contactgroups members" in out

    # the re-run the header (and the docs) give: the command after "re-run with: ", pointed at
    # the same server as the first run
    fake.faults = Faults()
    for header in (add_header, remove_header):
        command = shlex.split(header.partition("re-run with: ")[2])
        assert command[:2] == ["contactgroups", "members"]
        code, _, err = await run(capsys, *command[1:], "--base-url", fake.url)
        assert code == 0, err
    assert fake.member_ids(group) == {*keep, *new}  # the failed ids landed, every wanted one stayed
    assert not (tmp_path / "failed.add.txt").exists()  # a clean re-run leaves no failures file
    assert not (tmp_path / "failed.remove.txt").exists()


@pytest.mark.parametrize("action", ["add", "remove"])
async def test_sync_refuses_a_failures_file_as_its_desired_set(
    action: str, fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    wanted = fake.seed_contacts(5)
    await members_of(fake, group, wanted)
    failing = fake.seed_contacts(1)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text(failing[0] + "\n", encoding="utf-8")
    fail_calls_for(fake, group, failing)
    base = ["--provider", "messente", "--base-url", fake.url, "--group", group]
    failed = str(tmp_path / "failed-ids.txt")
    argv = ["members", action, *base, "--ids-file", str(ids_file), "--failed-file", failed]
    assert (await run(capsys, *argv))[0] == 1
    fake.faults = Faults()
    for ids_file_arg in (failed, "-"):  # the file, or the file piped to stdin
        argv = ["members", "sync", *base, "--ids-file", ids_file_arg, "--failed-file", failed]
        stdin = io.StringIO((tmp_path / "failed-ids.txt").read_text(encoding="utf-8"))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdin", stdin)
            code, out, err = await run(capsys, *argv, "--json")
        assert code == 2  # usage
        assert "is a failures file" in err
        assert json.loads(out)["error"]["exit_code"] == 2
        assert fake.member_ids(group) == set(wanted)  # nothing removed
        assert (tmp_path / "failed-ids.txt").exists()  # and the list to re-run is kept


async def test_sync_refuses_the_one_file_earlier_versions_wrote(
    fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    wanted = fake.seed_contacts(3)
    await members_of(fake, group, wanted)
    old = tmp_path / "failed-ids.txt"
    old.write_text(f"# add\n{wanted[0]}\n# remove\n", encoding="utf-8")
    code, _, err = await run(
        capsys, "members", "sync", "--provider", "messente", "--base-url", fake.url,
        "--group", group, "--ids-file", str(old), "--failed-file", str(tmp_path / "f.txt"),
    )  # fmt: skip
    assert code == 2
    assert "is a failures file" in err
    assert fake.member_ids(group) == set(wanted)


async def test_add_refuses_a_remove_failures_file(
    fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    removed = fake.seed_contacts(1)
    ids_file = tmp_path / "failed.txt"
    ids_file.write_text(f"{MARKER} (remove): ...\n{removed[0]}\n", encoding="utf-8")
    code, _, err = await run(
        capsys, "members", "add", "--provider", "messente", "--base-url", fake.url,
        "--group", group, "--ids-file", str(ids_file), "--failed-file", str(tmp_path / "f.txt"),
    )  # fmt: skip
    assert code == 2
    assert "failures file of members remove, not of members add" in err
    assert fake.member_ids(group) == set()


@pytest.mark.parametrize("action", ["add", "remove", "sync"])
async def test_a_clean_run_leaves_no_failures_file_and_a_failing_one_fresh_ones(
    action: str, fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    phones = fake.seed_contacts(6)
    if action == "remove":
        await members_of(fake, group, phones)
    failed = tmp_path / "failed.txt"
    # sync's files: adds fail here (nothing is a member, so nothing is removed)
    paths = [tmp_path / "failed.add.txt"] if action == "sync" else [failed]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(phones) + "\n", encoding="utf-8")
    argv = [
        "members", action, "--provider", "messente", "--base-url", fake.url, "--group", group,
        "--ids-file", str(ids_file), "--failed-file", str(failed),
    ]  # fmt: skip

    fail_calls_for(fake, group, phones[:2])
    assert (await run(capsys, *argv))[0] == 1
    assert [sorted(failures_file(p)[1]) for p in paths] == [sorted(phones[:2])]

    # the second run fails on another id only: only that one is listed
    fake.faults = Faults()
    if action == "remove":
        ids_file.write_text(phones[2] + "\n", encoding="utf-8")
    else:
        async with fake.client() as client:
            await client.groups.remove_contact(group, phones[2])
    fail_calls_for(fake, group, phones[2:3])
    assert (await run(capsys, *argv))[0] == 1
    assert [failures_file(p)[1] for p in paths] == [[phones[2]]]

    fake.faults = Faults()
    code, _, err = await run(capsys, *argv)
    assert code == 0, err
    assert not any(p.exists() for p in paths)
    assert sorted(os.listdir(tmp_path)) == ["ids.txt"]


async def test_a_file_of_the_users_in_the_failures_files_place_is_never_overwritten(
    fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(fake.seed_contacts(2)) + "\n", encoding="utf-8")
    mine = "my own list\n"
    (tmp_path / "failed.txt").write_text(mine, encoding="utf-8")
    for failed in (tmp_path / "failed.txt", ids_file):  # another file, or the ids file itself
        code, _, err = await run(
            capsys, "members", "add", "--provider", "messente", "--base-url", fake.url,
            "--group", group, "--ids-file", str(ids_file), "--failed-file", str(failed),
        )  # fmt: skip
        assert code == 2
        assert "is not a failures file contactgroups wrote" in err
    assert (tmp_path / "failed.txt").read_text(encoding="utf-8") == mine
    assert fake.member_ids(group) == set()  # found out before the job


async def test_a_dry_run_leaves_the_failures_files_alone(
    fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(fake.seed_contacts(2)) + "\n", encoding="utf-8")
    left = tmp_path / "failed.add.txt"
    left.write_text(f"{MARKER} (add): ...\n+37250000000\n", encoding="utf-8")
    code, _, err = await run(
        capsys, "members", "sync", "--provider", "messente", "--base-url", fake.url,
        "--group", group, "--ids-file", str(ids_file),
        "--failed-file", str(tmp_path / "failed.txt"), "--dry-run",
    )  # fmt: skip
    assert code == 0, err
    assert left.exists()


# -- --json: every id with its outcome -----------------------------------------------------------


def check_ids(report: dict[str, Any], expected: dict[str, str]) -> list[dict[str, Any]]:
    """``report["ids"]`` holds each id once with its outcome, an error exactly for a failed one;
    ``report["failed"]`` the ones that did not land. Returns the failed ones' errors."""
    outcomes = {entry["id"]: entry["outcome"] for entry in report["ids"]}
    assert len(report["ids"]) == len(outcomes) == report["total"]
    assert outcomes.items() >= expected.items()
    errors = []
    for entry in report["ids"]:
        assert set(entry) == {"provider", "group", "id", "outcome", "error"}
        assert (entry["error"] is not None) == (entry["outcome"] == "failed"), entry
        if entry["error"] is not None:
            assert set(entry["error"]) == {"type", "status", "code", "message"}
            errors.append(entry["error"])
    not_landed = [e for e in report["ids"] if e["outcome"] in ("failed", "not_attempted")]
    assert report["failed"] == not_landed
    return errors


def no_none_text(value: Any) -> None:
    """No value is the text "None" (a null written as ``str(None)``)."""
    if isinstance(value, dict):
        for item in value.values():
            no_none_text(item)
    elif isinstance(value, list):
        for item in value:
            no_none_text(item)
    else:
        assert value != "None"


@pytest.mark.parametrize("action", ["add", "remove"])
async def test_json_lists_every_id_with_its_outcome_and_an_error_only_when_failed(
    action: str, fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    changed, unchanged, failing = (fake.seed_contacts(2) for _ in range(3))
    await members_of(fake, group, changed + failing if action == "remove" else unchanged)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(changed + unchanged + failing) + "\n", encoding="utf-8")
    fail_calls_for(fake, group, failing)
    code, out, err = await run(
        capsys, "members", action, "--provider", "messente", "--base-url", fake.url,
        "--group", group, "--ids-file", str(ids_file), "--failed-file", str(tmp_path / "f.txt"),
        "--json",
    )  # fmt: skip
    assert code == 1, err
    report = json.loads(out)
    no_none_text(report)
    done = "added" if action == "add" else "removed"
    expected = {
        **dict.fromkeys(changed, done),
        **dict.fromkeys(unchanged, "already"),
        **dict.fromkeys(failing, "failed"),
    }
    errors = check_ids(report, expected)
    assert len(errors) == 2
    for error in errors:
        assert error["type"] in ("InvalidRequestError", "ValidationError", "APIError")
        assert error["status"] == 400
        assert error["code"] is not None  # Messente's own error code
        assert error["message"].startswith(f"messente answered 400, code {error['code']}: ")


async def test_json_after_a_deadline_lists_the_unsent_ids_as_not_attempted(
    fake: MessenteFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = fake.seed_group("G")
    phones = fake.seed_contacts(30)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(phones) + "\n", encoding="utf-8")
    fake.faults = Faults(latency=0.1)  # one call at a time: at most three fit in the deadline
    code, out, err = await run(
        capsys, "members", "add", "--provider", "messente", "--base-url", fake.url,
        "--group", group, "--ids-file", str(ids_file), "--failed-file", str(tmp_path / "f.txt"),
        "--concurrency", "1", "--deadline", "0.25", "--json",
    )  # fmt: skip
    assert code == 1, err
    report = json.loads(out)
    no_none_text(report)
    assert report["deadline_passed"] is True
    check_ids(report, {})
    unsent = [e for e in report["ids"] if e["outcome"] == "not_attempted"]
    assert len(unsent) >= 25
    assert all(e["error"] is None for e in unsent)
    _, written = failures_file(tmp_path / "f.txt")
    assert {e["id"] for e in unsent} <= set(written)


async def test_a_run_that_stops_on_an_error_leaves_no_failures_file_of_the_last_run(
    fake: MessenteFake,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = fake.seed_group("G")
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(fake.seed_contacts(2)) + "\n", encoding="utf-8")
    for action in ("add", "remove"):  # what an earlier sync left
        (tmp_path / f"failed.{action}.txt").write_text(
            f"{MARKER} ({action}): ...\n+37250000000\n", encoding="utf-8"
        )
    monkeypatch.setenv("MESSENTE_PASSWORD", "not-the-password")  # the group's read is refused
    code, _, err = await run(
        capsys, "members", "sync", "--provider", "messente", "--base-url", fake.url,
        "--group", group, "--ids-file", str(ids_file),
        "--failed-file", str(tmp_path / "failed.txt"),
    )  # fmt: skip
    assert code == 3, err
    assert sorted(os.listdir(tmp_path)) == ["ids.txt"]


async def test_a_re_run_that_stops_on_an_error_keeps_the_failures_file_it_reads(
    fake: MessenteFake,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = fake.seed_group("G")
    failed = tmp_path / "failed.txt"
    kept = f"{MARKER} (add): ...\n{fake.seed_contacts(1)[0]}\n"
    failed.write_text(kept, encoding="utf-8")
    monkeypatch.delenv("MESSENTE_PASSWORD")
    code, _, err = await run(
        capsys, "members", "add", "--provider", "messente", "--base-url", fake.url,
        "--group", group, "--ids-file", str(failed), "--failed-file", str(failed),
    )  # fmt: skip
    assert code == 3, err  # a variable not set
    assert failed.read_text(encoding="utf-8") == kept
