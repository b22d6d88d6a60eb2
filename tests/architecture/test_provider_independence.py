"""Each provider works, and its own tests pass, with the other three providers gone.

DESIGN.md: the four provider subpackages import only the shared core and the public contract;
deleting one must not break the others. Each provider's test folder runs in a fresh pytest whose
interpreter refuses to import the other providers and their fakes (a meta path finder installed
by a ``sitecustomize`` put first on ``PYTHONPATH``). The root ``tests/conftest.py`` and the
``contactgroups.testing.pytest_plugin`` fixtures load there too, so they must not import the
blocked providers either.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROVIDERS = ("messagebird", "messente", "messageflow", "messengeo")
BLOCK_ENV = "CONTACTGROUPS_ARCHTEST_BLOCKED"

# A meta path finder is not enough: pytest's assertion-rewrite hook goes first on sys.meta_path
# and finds every ``contactgroups.*`` module itself (the package is a pytest11 plugin). A None in
# sys.modules stops an import before any finder is asked (ModuleNotFoundError).
SITECUSTOMIZE = f"""\
\"\"\"Written by tests/architecture/test_provider_independence.py: block some imports.\"\"\"
import os
import sys

for _name in os.environ.get({BLOCK_ENV!r}, "").split(","):
    if _name:
        sys.modules[_name] = None
"""


def blocked_for(provider: str) -> list[str]:
    """The other providers and their fakes."""
    others = [p for p in PROVIDERS if p != provider]
    return [f"contactgroups.{p}" for p in others] + [f"contactgroups.testing.{p}" for p in others]


def blocking_env(tmp_path: Path, provider: str) -> dict[str, str]:
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH", "")) if p)
    env[BLOCK_ENV] = ",".join(blocked_for(provider))
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_blocked_names() -> None:
    assert blocked_for("messente") == [
        "contactgroups.messagebird",
        "contactgroups.messageflow",
        "contactgroups.messengeo",
        "contactgroups.testing.messagebird",
        "contactgroups.testing.messageflow",
        "contactgroups.testing.messengeo",
    ]


def test_the_blocker_blocks_only_the_others(tmp_path: Path) -> None:
    env = blocking_env(tmp_path, "messente")
    allowed = _python(
        "import contactgroups.messente, contactgroups.testing.messente, "
        "contactgroups.testing.pytest_plugin, contactgroups.membership",
        env,
    )
    assert allowed.returncode == 0, allowed.stderr
    for module, blocked in (
        ("contactgroups.messagebird.client", "contactgroups.messagebird"),
        ("contactgroups.testing.messengeo", "contactgroups.testing.messengeo"),
    ):
        refused = _python(f"import {module}", env)
        assert refused.returncode != 0
        assert "ModuleNotFoundError" in refused.stderr
        assert blocked in refused.stderr
    refused = _python("from contactgroups import messageflow", env)
    assert "import of contactgroups.messageflow halted" in refused.stderr


def test_the_blocker_holds_inside_pytest(tmp_path: Path) -> None:
    """pytest's own import hooks (assertion rewriting of plugin packages) do not get around it."""
    (tmp_path / "test_probe.py").write_text(
        "import importlib\n"
        "import pytest\n\n\n"
        "def test_probe():\n"
        "    importlib.import_module('contactgroups.testing.pytest_plugin')\n"
        "    importlib.import_module('contactgroups.messente')\n"
        "    for name in ('contactgroups.testing.messengeo', 'contactgroups.messagebird.client'):\n"
        "        with pytest.raises(ImportError):\n"
        "            importlib.import_module(name)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        # --confcutdir: no conftest.py above the temporary folder (in /tmp, say) joins in
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--confcutdir=.",
            "-c",
            "/dev/null",  # no configuration file from a folder above joins in either
            "test_probe.py",
        ],
        cwd=tmp_path,
        env=blocking_env(tmp_path, "messente"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_tests_pass_without_the_other_providers(tmp_path: Path, provider: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", f"tests/{provider}"],
        cwd=REPO,
        env=blocking_env(tmp_path, provider),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
    assert done.returncode == 0, (
        f"tests/{provider} fail with {', '.join(blocked_for(provider))} blocked:\n{tail}"
    )
