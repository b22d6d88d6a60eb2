"""``examples/asyncio_service.py`` run as a script against the MessageBird fake: results, the
per-call budget, and a SIGTERM in the middle of calls."""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest
from examples_support import EXAMPLES, env_for, finish, run, start, until

from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake

SCRIPT = EXAMPLES / "asyncio_service.py"
NUMBERS = ["31612345678", "31612345679", "31612345680"]
#: the add-to-group path only (``PUT /groups/{id}/contacts``): creating contacts stays quick
GROUP_PATHS = ("/groups/",)


@pytest.fixture
async def fake() -> AsyncIterator[MessageBirdFake]:
    async with MessageBirdFake() as f:
        yield f


def lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


async def test_each_number_is_subscribed(fake: MessageBirdFake) -> None:
    group = fake.seed_group("Newsletter")
    result = await run([SCRIPT, group, *NUMBERS], env_for([fake]))
    assert (result.returncode, result.stderr) == (0, "")
    results = lines(result.stdout)
    assert [r["msisdn"] for r in results] == NUMBERS
    assert {r["result"] for r in results} == {"subscribed"}
    assert fake.member_ids(group) == {r["contact_id"] for r in results}


async def test_a_deleted_group_is_reported_per_number(fake: MessageBirdFake) -> None:
    result = await run([SCRIPT, "0" * 32, NUMBERS[0]], env_for([fake]))
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == [{"msisdn": NUMBERS[0], "result": "error", "error": "GroupGone"}]


async def test_a_call_over_its_budget_times_out(fake: MessageBirdFake) -> None:
    fake.faults = Faults(slow=1.0, slow_seconds=60, only_paths=GROUP_PATHS)
    group = fake.seed_group("Slow")
    result = await run([SCRIPT, group, *NUMBERS, "--timeout", "0.2"], env_for([fake]))
    assert (result.returncode, result.stderr) == (0, "")
    results = lines(result.stdout)
    assert [r["result"] for r in results] == ["timeout"] * 3
    assert all(r["maybe_landed"] is True for r in results)  # the add was sent: read before redoing
    assert fake.member_ids(group) == set()


async def test_sigterm_cancels_the_calls_in_flight_and_closes_the_client(
    fake: MessageBirdFake,
) -> None:
    fake.faults = Faults(slow=1.0, slow_seconds=60, only_paths=GROUP_PATHS)
    group = fake.seed_group("Stuck")
    process = await start([SCRIPT, group, *NUMBERS, "--timeout", "600"], env_for([fake]))
    try:
        await until(lambda: len(fake.requests_to("PUT", "/groups/")) == 3, "three adds in flight")
    finally:
        process.send_signal(signal.SIGTERM)
    result = await finish(process)
    assert result.returncode == 130
    assert result.stderr == ""  # no traceback, no "Unclosed client session"
    assert [r["result"] for r in lines(result.stdout)] == ["cancelled"] * 3
    assert fake.member_ids(group) == set()
