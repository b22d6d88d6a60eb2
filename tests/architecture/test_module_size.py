"""No module in ``src/contactgroups`` runs over 450 lines unless its docstring says why.

A longer module must say "long because <reason>" in the first three lines of its docstring.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "contactgroups"
MAX_LINES = 450
#: "long because" followed by at least a word of reason.
EXCUSE = re.compile(r"long because\W+\w", re.IGNORECASE)


def oversized(path: str, source: str, max_lines: int = MAX_LINES) -> str | None:
    """Why ``source`` breaks the rule, or None."""
    lines = len(source.splitlines())
    if lines <= max_lines:
        return None
    docstring = ast.get_docstring(ast.parse(source)) or ""
    head = " ".join(docstring.splitlines()[:3])
    if EXCUSE.search(head):
        return None
    return f"{path}: {lines} lines (> {max_lines}) and no 'long because <reason>' in its docstring"


def test_oversized_detector() -> None:
    body = "x = 1\n" * 10
    assert oversized("a.py", body, max_lines=10) is None
    assert oversized("a.py", body + "y = 2\n", max_lines=10) == (
        "a.py: 11 lines (> 10) and no 'long because <reason>' in its docstring"
    )
    excused = '"""The fake.\n\nLong because the vendor has 40 endpoints."""\n' + body
    assert oversized("a.py", excused, max_lines=10) is None
    too_late = '"""The fake.\n\nMore.\nLong because the vendor is big."""\n' + body
    assert oversized("a.py", too_late, max_lines=10) is not None
    no_reason = '"""The fake, long because."""\n' + body
    assert oversized("a.py", no_reason, max_lines=10) is not None
    comment_only = "# long because reasons\n" + body
    assert oversized("a.py", comment_only, max_lines=10) is not None


def test_modules_fit_or_say_why() -> None:
    offenders = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        if (
            problem := oversized(
                path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8")
            )
        )
    ]
    if offenders:
        pytest.fail("\n".join(offenders), pytrace=False)
