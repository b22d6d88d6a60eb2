"""Without OpenTelemetry in use nothing of it is imported: importing the library, a provider and
``multi``, and making calls and a bulk job, leave ``opentelemetry`` out of ``sys.modules``,
whether it is installed or not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: run first in a child interpreter: any import of opentelemetry fails as if it were missing
BLOCK_OTEL = """
import sys

class _NoOpenTelemetry:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "opentelemetry":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoOpenTelemetry())
"""

RUN = """
import asyncio, logging, sys
import contactgroups
from contactgroups import messagebird, messageflow, messengeo, messente, multi, providers
from contactgroups.testing.messagebird import MessageBirdFake

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)  # every record built, too

async def main():
    async with MessageBirdFake() as fake:
        group = fake.seed_group("G")
        ids = fake.seed_contacts(3)
        async with fake.client() as client:
            await client.groups.get(group)
            report = await multi.add([multi.Target(client, group, ids)])
            assert report.ok, report

asyncio.run(main())
print(sorted(m for m in sys.modules if m.partition(".")[0] == "opentelemetry"))
"""


@pytest.mark.parametrize("block", [True, False], ids=["not installed", "installed"])
def test_opentelemetry_is_never_imported_when_not_used(block: bool) -> None:
    result = subprocess.run(
        [sys.executable, "-c", (BLOCK_OTEL if block else "") + RUN],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
    assert " -> 200 in " in result.stderr  # the calls were made (and logged)
