"""Every test that ``docs/reliability.md`` names as the proof of a rule exists.

A row names ``tests/<path>.py::test_name``; a bare ``::test_name`` continues the last file named
in the same row (or the row above it); ``tests/<folder>/...::test_name`` means some file in that
folder; a file named without a test must exist.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "reliability.md"
REFERENCE = re.compile(r"`(tests/[\w./]+?(?:\.py|/\.\.\.|/)?)?(?:::(\w+))?`")


def _defined(files: list[Path], name: str) -> bool:
    pattern = re.compile(rf"^\s*(?:async\s+)?def {re.escape(name)}\(", re.MULTILINE)
    return any(pattern.search(f.read_text(encoding="utf-8")) for f in files)


def _files(path: str) -> list[Path]:
    if path.endswith("/..."):
        return sorted((REPO / path.removesuffix("/...")).glob("*.py"))
    target = REPO / path
    return sorted(target.glob("*.py")) if target.is_dir() else [target]


def test_every_named_test_exists() -> None:
    missing: list[str] = []
    current: list[Path] = []
    checked = 0
    for number, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("|"):
            continue
        for path, name in REFERENCE.findall(line):
            if path:
                current = _files(path)
                if not all(f.exists() for f in current) or not current:
                    missing.append(f"line {number}: {path} does not exist")
                    continue
            if name:
                checked += 1
                if not current or not _defined(current, name):
                    missing.append(f"line {number}: no test {name} in {path or 'the file before'}")
    assert checked > 50  # the document was read
    assert not missing, "\n".join(missing)
