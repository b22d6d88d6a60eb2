"""``contactgroups members add --deadline``: ids the deadline left unsent are in the failed-ids
file, with the ids that failed, and the command exits 1, so the file can be fed back as
``--ids-file`` to finish the job. The command runs in-process (in a worker thread, with its own
event loop) against a fake on 127.0.0.1 served by the test's loop."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

pytest.importorskip("rich", reason="the CLI needs its extra: pip install -e '.[cli]'")

from contactgroups.cli import main
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake

KEY = "test_deadlineCliAccessKey42"


async def test_a_deadline_puts_every_unsent_id_in_the_failed_ids_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MESSAGEBIRD_ACCESS_KEY", KEY)
    ids_file, failed_file = tmp_path / "ids.txt", tmp_path / "failed.txt"
    async with MessageBirdFake(access_key=KEY, faults=Faults(latency=0.1)) as fake:
        group = fake.seed_group("deadline")
        ids = fake.seed_contacts(500)  # ten calls of 50, one at a time, 0.1 s each
        ids_file.write_text("\n".join(ids) + "\n", encoding="utf-8")
        common = ["--provider", "messagebird", "--base-url", fake.url, "--group", group]
        argv = [
            "members", "add", *common, "--ids-file", str(ids_file),
            "--failed-file", str(failed_file), "--concurrency", "1", "--deadline", "0.25", "--json",
        ]  # fmt: skip
        code = await anyio.to_thread.run_sync(main, argv)
        report = json.loads(capsys.readouterr().out)
        assert code == 1
        assert report["deadline_passed"] is True
        unsent = report["outcomes"]["not_attempted"]
        assert unsent >= 250  # at most three calls fit in 0.25 s
        header, *written = failed_file.read_text(encoding="utf-8").splitlines()
        assert header.startswith("# contactgroups failures file (add): ")
        assert len(written) == len(set(written))
        # every id that did not land is listed: the unsent ones and the failed ones (a call cut
        # off in flight is listed too, although the fake may have applied it after we left)
        assert len(written) == report["total"] - report["outcomes"].get("added", 0) >= unsent
        assert set(ids) - fake.member_ids(group) <= set(written)
        assert {f["id"] for f in report["failed"]} == set(written)

        # fed back as the ids file, the failed-ids file finishes the job
        fake.faults.latency = 0.0
        argv = [
            "members", "add", *common, "--ids-file", str(failed_file),
            "--failed-file", str(tmp_path / "failed-again.txt"),
        ]  # fmt: skip
        code = await anyio.to_thread.run_sync(main, argv)
        assert code == 0
        assert fake.member_ids(group) == set(ids)
        assert not (tmp_path / "failed-again.txt").exists()
