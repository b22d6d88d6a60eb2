"""rich is the ``cli`` extra: the library never imports it (nor the CLI), and the command without it
says, in one line, how to install it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: run first in a child interpreter: any import of rich fails as if it were not installed
BLOCK_RICH = """
import sys

class _NoRich:
    def find_spec(self, name, path=None, target=None):
        if name == "rich" or name.startswith("rich."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoRich())
for _name in [m for m in sys.modules if m == "rich" or m.startswith("rich.")]:
    del sys.modules[_name]
"""

LIBRARY = (
    "contactgroups",
    "contactgroups.errors",
    "contactgroups.membership",
    "contactgroups.multi",
    "contactgroups.providers",
    "contactgroups.testing",
    "contactgroups.testing.pytest_plugin",
    "contactgroups.messagebird",
    "contactgroups.messente",
    "contactgroups.messageflow",
    "contactgroups.messengeo",
    "contactgroups.testing.messagebird",
    "contactgroups.testing.messente",
    "contactgroups.testing.messageflow",
    "contactgroups.testing.messengeo",
)


def _python(code: str, *, block_rich: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", (BLOCK_RICH if block_rich else "") + code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


@pytest.mark.parametrize("block_rich", [True, False], ids=["rich missing", "rich installed"])
def test_the_library_never_imports_rich_or_the_cli(block_rich: bool) -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {LIBRARY!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith(('rich.', "
        "'contactgroups.cli'))))\n"
    )
    result = _python(code, block_rich=block_rich)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "entry",
    [
        "from contactgroups.cli import main; sys.exit(main(['demo']))",  # the console script
        "import runpy; runpy.run_module('contactgroups', run_name='__main__')",  # python -m
    ],
    ids=["contactgroups", "python -m contactgroups"],
)
def test_without_rich_the_command_exits_2_with_one_line(entry: str) -> None:
    result = _python("import sys\n" + entry + "\n", block_rich=True)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "pip install 'contactgroups[cli]'" in lines[0]


def test_rich_is_only_in_the_cli_extra() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    dependencies = re.search(r"(?ms)^dependencies = \[(.*?)^\]", pyproject)
    assert dependencies is not None
    assert "rich" not in dependencies.group(1)
    assert re.search(r'(?m)^cli = \["rich>=13\.0"\]$', pyproject)


def test_ci_runs_the_readmes_test_command_with_the_cli_extra() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv .venv")]
    demo, tests = commands[:2]
    assert "'.[cli]'" in demo and demo.endswith("contactgroups demo")
    assert "-e '.[cli,test,dev]'" in tests
    assert tests in ci.splitlines()
