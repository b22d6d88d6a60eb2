"""Importing the library never pulls in the CLI or its optional dependency ``rich``.

Checked in a fresh interpreter, so modules the test session already imported do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

LIBRARY_MODULES = (
    "contactgroups",
    "contactgroups.multi",
    "contactgroups.membership",
    "contactgroups.messagebird",
    "contactgroups.messente",
    "contactgroups.messageflow",
    "contactgroups.messengeo",
    "contactgroups.testing",
)
CLI_ONLY = ("rich", "contactgroups.cli")

PROBE = """
import importlib, json, sys
for name in sys.argv[1].split(","):
    before = set(sys.modules)
    importlib.import_module(name)
    print(json.dumps([name, sorted(set(sys.modules) - before)]))
"""


def cli_only_modules(loaded: list[str]) -> list[str]:
    return [m for m in loaded if any(m == c or m.startswith(c + ".") for c in CLI_ONLY)]


def test_cli_only_modules_are_recognised() -> None:
    assert cli_only_modules(["rich", "rich.progress", "richer", "contactgroups.cli", "os"]) == [
        "rich",
        "rich.progress",
        "contactgroups.cli",
    ]


def test_library_imports_do_not_load_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(LIBRARY_MODULES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    offenders = []
    for line in done.stdout.splitlines():
        name, loaded = json.loads(line)
        found = cli_only_modules(loaded)
        if found:
            offenders.append(f"import {name} loads {', '.join(found)}")
    assert len(done.stdout.splitlines()) == len(LIBRARY_MODULES)
    assert not offenders, "\n".join(offenders)


def test_the_library_and_its_command_line_do_not_load_asyncpg() -> None:
    """asyncpg (the ``postgres`` extra) is imported only when a PostgreSQL journal is used."""
    modules = (*LIBRARY_MODULES, "contactgroups.multi.scale", "contactgroups.cli._run")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(modules)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(modules)
    offenders = [name for name, loaded in lines if "asyncpg" in loaded]
    assert not offenders, offenders
