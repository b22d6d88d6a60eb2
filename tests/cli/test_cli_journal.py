"""``members add|remove|sync --journal``: the same command run again resumes (sends nothing that
landed), another job's journal is refused with exit 2 before anything is sent."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

pytest.importorskip("rich", reason="the CLI needs its extra: pip install -e '.[cli]'")

from contactgroups import multi
from contactgroups.cli import main
from contactgroups.testing import Faults
from contactgroups.testing.messente import MessenteFake

USER, PASSWORD = "journal-user-z9x8", "journalPassword-c7v6b5"


async def run(*argv: str) -> int:
    return await anyio.to_thread.run_sync(main, list(argv))


def changes(fake: MessenteFake) -> int:
    return sum(r.method in ("POST", "DELETE") for r in fake.requests)


async def test_the_same_command_again_resumes_and_another_job_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MESSENTE_USERNAME", USER)
    monkeypatch.setenv("MESSENTE_PASSWORD", PASSWORD)
    async with MessenteFake(username=USER, password=PASSWORD) as fake:
        group = fake.seed_group("G")
        phones = fake.seed_contacts(12)
        (tmp_path / "ids.txt").write_text("\n".join(phones) + "\n", encoding="utf-8")
        journal = str(tmp_path / "job.db")
        command = [
            "members", "add", "--provider", "messente", "--base-url", fake.url,
            "--group", group, "--ids-file", str(tmp_path / "ids.txt"), "--journal", journal,
        ]  # fmt: skip
        # the first run dies at the vendor for half the phones (400: not retried)
        paths = tuple(f"/v1/phonebook/groups/{group}/contacts/{p}" for p in phones[6:])
        fake.faults = Faults(server_error=1.0, server_error_status=400, only_paths=paths)
        assert await run(*command) == 1
        first = changes(fake)
        fake.faults = Faults()
        assert await run(*command) == 1  # a 400 is permanent: resuming does not resend it
        assert changes(fake) == first  # nothing that had landed was sent again
        report = multi.Report.load(journal)
        assert report.counts()[multi.Outcome.ADDED] == 6
        assert fake.member_ids(group) == set(phones[:6])
        (tmp_path / "other.txt").write_text(phones[0] + "\n", encoding="utf-8")
        other = [*command[:-4], "--ids-file", str(tmp_path / "other.txt"), "--journal", journal]
        assert await run(*other) == 2
        assert changes(fake) == first
