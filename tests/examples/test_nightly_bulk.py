"""``examples/nightly_bulk.py`` run as a script against the four fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from examples_support import EXAMPLES, env_for, provider_of, run

from contactgroups.testing import Faults, VendorFake
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake

SCRIPT = EXAMPLES / "nightly_bulk.py"


@pytest.fixture
async def fakes() -> AsyncIterator[list[VendorFake]]:
    started: list[VendorFake] = [
        MessageBirdFake(),
        MessenteFake(),
        MessageFlowFake(),
        MessengeoFake(),
    ]
    for fake in started:
        await fake.start()
    try:
        yield started
    finally:
        for fake in started:
            await fake.stop()


def write_plan(tmp_path: Path, fakes: list[VendorFake], n: int) -> dict[str, tuple[str, list[str]]]:
    """A plan file and one ids file per vendor: ``n`` new contacts for a new group at each."""
    plan: dict[str, Any] = {}
    wanted = {}
    for fake in fakes:
        name = provider_of(fake).name
        group, ids = fake.seed_group(f"nightly {name}"), fake.seed_contacts(n)
        (tmp_path / f"{name}.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
        plan[name] = {"group": group, "ids_file": f"{name}.txt"}
        wanted[name] = (group, ids)
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    return wanted


def outcomes_by_vendor(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each id's outcome in its last pass (from ``Report.to_dict()``)."""
    outcomes: dict[str, dict[str, str]] = {}
    for saved in report["passes"]:
        for target in saved["targets"]:
            for item in target["ids"]:
                outcomes.setdefault(target["provider"], {})[item["id"]] = item["outcome"]
    return outcomes


def last_errors(report: dict[str, Any], provider: str) -> dict[str, dict[str, Any]]:
    """The error of each id whose last pass failed it."""
    errors: dict[str, dict[str, Any]] = {}
    for saved in report["passes"]:
        for target in saved["targets"]:
            if target["provider"] == provider:
                for item in target["ids"]:
                    errors.pop(item["id"], None)
                    if item["error"] is not None:
                        errors[item["id"]] = item["error"]
    return errors


async def test_every_id_lands_and_the_report_says_so(
    tmp_path: Path, fakes: list[VendorFake]
) -> None:
    wanted = write_plan(tmp_path, fakes, 30)
    result = await run(
        [SCRIPT, tmp_path / "plan.json", "--report", tmp_path / "report.json", "--deadline", "60"],
        env_for(fakes),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["ok"] is True
    assert len(report["passes"]) == 1  # nothing to retry
    assert report["passes"][0]["counts"] == {"added": 120}
    outcomes = outcomes_by_vendor(report)
    for fake in fakes:
        name = provider_of(fake).name
        group, ids = wanted[name]
        assert fake.member_ids(group) == set(ids)
        assert outcomes[name] == dict.fromkeys(ids, "added")
    # progress went to stderr, one line per tenth at most; every vendor reached its total
    for name in wanted:
        assert f"{name}: 30/30" in result.stderr.splitlines()


async def test_what_failed_is_retried_once_and_the_report_matches_the_fake(
    tmp_path: Path, fakes: list[VendorFake]
) -> None:
    messente = fakes[1]
    # most membership calls at Messente answer 429 (Retry-After: 0), so after the transport's
    # attempts and multi's rounds some phones are still failed: the script retries just those
    messente.faults = Faults(
        rate_limit=0.85, retry_after=0, seed=11, only_paths=("/v1/phonebook/groups/",)
    )
    wanted = write_plan(tmp_path, fakes, 30)
    result = await run(
        [SCRIPT, tmp_path / "plan.json", "--report", tmp_path / "report.json"],
        env_for(fakes),
    )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    first, *retry = report["passes"]
    failed_first = first["counts"].get("failed", 0) + first["counts"].get("not_attempted", 0)
    assert failed_first > 0
    assert len(retry) == 1
    # the retry pass took exactly what had not landed (429s: all worth another try)
    assert sum(len(t["ids"]) for t in retry[0]["targets"]) == failed_first
    outcomes = outcomes_by_vendor(report)
    group, phones = wanted["messente"]
    landed = messente.member_ids(group)
    assert {p for p in phones if outcomes["messente"][p] in ("added", "already")} == landed
    assert len(landed) > 30 - failed_first  # the retry landed some of them
    errors = last_errors(report, "messente")
    assert set(errors) == set(phones) - landed  # each failure carries its error
    assert all(error["status"] == 429 for error in errors.values())
    assert result.returncode == (0 if landed == set(phones) else 1)
    assert report["ok"] is (landed == set(phones))
    for fake in fakes:  # the other vendors were not held up
        if fake is not messente:
            group, ids = wanted[provider_of(fake).name]
            assert fake.member_ids(group) == set(ids)
