"""nox sessions: tests, lint, typecheck, bench, docs, mutants."""

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


#: What ``nox -s mutants`` mutates by default: the core's retry decision, transport and pager,
#: multi's report, job and verification, and the four membership adapters (docs/testing.md).
MUTANT_SUBSET = (
    "contactgroups._http.retry.*",
    "contactgroups._http.transport.*",
    "contactgroups._http.pager.*",
    "contactgroups.multi.report.*",
    "contactgroups.multi.job.*",
    "contactgroups.multi.verify.*",
    "contactgroups.messagebird.membership.*",
    "contactgroups.messente.membership.*",
    "contactgroups.messageflow.membership.*",
    "contactgroups.messengeo.membership.*",
)


@nox.session
def mutants(session: nox.Session) -> None:
    """Mutation testing with mutmut 3, before a release (slow: not part of CI).

    ``nox -s mutants`` runs the subset above (about 45 minutes on 2 cores); ``-- all`` every
    mutant of the configured scope ([tool.mutmut] in pyproject.toml); ``-- NAME...`` the mutants
    matching those names or globs. Results stay in ``mutants/``: a second run re-tests only what
    changed, ``mutmut results`` lists the survivors and ``mutmut show NAME`` shows one.
    """
    session.install("-e", ".[cli,test]", "mutmut>=3.8,<4")
    names = [] if session.posargs == ["all"] else list(session.posargs or MUTANT_SUBSET)
    session.run("mutmut", "run", "--max-children", "2", *names)
    session.run("mutmut", "export-cicd-stats")  # mutants/mutmut-cicd-stats.json: the counts
    session.run("mutmut", "results")  # the survivors, one per line
