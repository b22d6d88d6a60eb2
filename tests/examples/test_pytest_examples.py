"""``examples/test_*.py`` run by a pytest of their own, in an empty folder, without this
repository's configuration (no ``asyncio_mode = "auto"``): what a new project that installed
``contactgroups[test]`` gets. Every warning is an error, aiohttp's included."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from examples_support import EXAMPLES, env_for, run

PYTEST_EXAMPLES = sorted(EXAMPLES.glob("test_*.py"))
MAIN_EXAMPLE = EXAMPLES / "test_with_fakes.py"
#: the one warning a project with no configuration at all gets, from pytest-asyncio itself
LOOP_SCOPE_UNSET = (
    'ignore:The configuration option "asyncio_default_fixture_loop_scope" is unset'
    ":pytest.PytestDeprecationWarning"
)


def suggested_configuration() -> str:
    """The ``pyproject.toml`` lines the example's docstring suggests, as written there."""
    text = MAIN_EXAMPLE.read_text(encoding="utf-8")
    block = re.search(r"\n\n((?:    .*\n)+)", text[text.index("[tool.pytest.ini_options]") - 6 :])
    assert block is not None
    return "\n".join(line.removeprefix("    ") for line in block[1].splitlines()) + "\n"


def project_with(tmp_path: Path, examples: list[Path], pyproject: str | None = None) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for example in examples:
        shutil.copy(example, project / example.name)
    if pyproject is not None:
        (project / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return project


def pytest_args(*warning_filters: str) -> list[str]:
    """pytest on every file of the folder; -p no:cacheprovider leaves no .pytest_cache behind."""
    # -p no:hypothesispytest: a plugin of this repository's test extra, not of a new project
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
    # hermetic: no conftest.py or configuration file above the temporary project (in /tmp) joins
    args += ["--confcutdir=.", "--rootdir=."]
    args += ["-W", "error"]
    for spec in warning_filters:
        args += ["-W", spec]
    return args


def passed_all(stdout: str) -> bool:
    """The last line says every test of the examples passed, and nothing else happened."""
    tests = sum(p.read_text(encoding="utf-8").count("\nasync def test_") for p in PYTEST_EXAMPLES)
    last = stdout.strip().splitlines()[-1]
    return re.fullmatch(rf"{tests} passed in [\d.]+s", last) is not None


def test_the_pytest_examples() -> None:
    assert [p.name for p in PYTEST_EXAMPLES] == ["test_bulk_with_fakes.py", "test_with_fakes.py"]
    assert suggested_configuration() == (
        "[tool.pytest.ini_options]\n"
        'asyncio_default_fixture_loop_scope = "function"\n'
        'filterwarnings = ["error"]\n'
    )


async def test_with_no_configuration_at_all(tmp_path: Path) -> None:
    project = project_with(tmp_path, PYTEST_EXAMPLES)
    configurations = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
    assert not [n for n in configurations if (project / n).exists()]
    # -c /dev/null: pytest's defaults (asyncio_mode strict), whatever lies in the folders above
    result = await run(
        [*pytest_args(LOOP_SCOPE_UNSET), "-c", "/dev/null"], env_for([]), cwd=project
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert passed_all(result.stdout), result.stdout


async def test_with_the_suggested_configuration(tmp_path: Path) -> None:
    project = project_with(tmp_path, PYTEST_EXAMPLES, suggested_configuration())
    result = await run(pytest_args(), env_for([]), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert passed_all(result.stdout), result.stdout


async def test_without_its_marker_the_tests_do_not_run(tmp_path: Path) -> None:
    """The ``pytestmark`` line is what makes the example work in a fresh project."""
    project = project_with(tmp_path, [MAIN_EXAMPLE], suggested_configuration())
    copy = project / MAIN_EXAMPLE.name
    marker = "pytestmark = pytest.mark.asyncio"
    assert marker in copy.read_text(encoding="utf-8")
    copy.write_text(copy.read_text(encoding="utf-8").replace(marker, "pass"), encoding="utf-8")
    result = await run(pytest_args(), env_for([]), cwd=project)
    assert result.returncode != 0
    assert "async def functions are not natively supported" in result.stdout
