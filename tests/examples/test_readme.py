"""The README's code is the examples' code: each of its Python blocks is, byte for byte, the
``readme`` section of a file in ``examples/`` (which the other tests here run against the fakes),
and its test command is what CI runs, docs site included."""

from __future__ import annotations

import re

from examples_support import EXAMPLES, ROOT, section

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTIONS = {
    path.name: section(path)
    for path in sorted(EXAMPLES.glob("*.py"))
    if "# --8<-- [start:readme]" in path.read_text(encoding="utf-8")
}


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", markdown, re.S | re.M)


def test_every_python_block_is_an_example_section() -> None:
    blocks = python_blocks(README)
    assert blocks, "the README has no Python block"
    for block in blocks:
        matches = [name for name, text in SECTIONS.items() if text == block]
        assert matches, f"this README block is no example's readme section:\n{block[:300]}"


def test_every_example_with_a_readme_section_is_shown_once() -> None:
    blocks = python_blocks(README)
    assert sorted(blocks) == sorted(SECTIONS.values())
    assert set(SECTIONS) == {
        "aiohttp_app.py",
        "asyncio_service.py",
        "nightly_bulk.py",
        "test_with_fakes.py",
    }


def test_every_example_is_run_by_a_test() -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests/examples").glob("*.py"))
    for path in EXAMPLES.glob("*.py"):
        ran = path.name in tests or f'load("{path.stem}")' in tests or path.name.startswith("test_")
        assert ran, f"no test runs examples/{path.name}"


def test_ci_runs_the_readme_command_with_the_docs_build() -> None:
    (command,) = [
        line
        for line in README.splitlines()
        if line.startswith("python3 -m venv .venv") and "pytest" in line
    ]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci_lines[-1] == command
    assert "-e '.[docs]'" in command
    assert command.endswith("mkdocs build --strict --quiet")
    assert "ruff check src tests benchmarks examples" in command
