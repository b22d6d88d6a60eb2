"""nox sessions: tests, lint, typecheck, bench, docs."""

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


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, into build/site; ``nox -s docs -- serve`` serves it instead."""
    session.install("-e", ".[docs]")
    # Material prints a banner about MkDocs 2 on every build: it is no warning about these docs
    env = {"NO_MKDOCS_2_WARNING": "1"}
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:], env=env)
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs, env=env)
