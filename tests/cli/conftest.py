"""Every CLI test runs in its own empty directory: a command's default files (the failures file)
land there, never in the checkout, and one test's leftovers never meet another test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
