"""nox sessions: tests, lint, typecheck, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False  # run the Pythons this machine has


@nox.session(python=["3.10", "3.11", "3.12", "3.13"])
def tests(session: nox.Session) -> None:
    """The test-suite (fakes on 127.0.0.1 only), on every supported Python found."""
    session.install("-e", ".[cli,test]")  # the CLI's tests need its extra
    session.run("pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "benchmarks")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks")


@nox.session
def typecheck(session: nox.Session) -> None:
    # the pytest plugin imports pytest-asyncio, the CLI rich
    session.install("-e", ".[cli,dev,test]")
    session.run("mypy", "--strict", "src")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in benchmarks/, printing ratios measured in one run."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)
