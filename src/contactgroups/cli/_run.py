"""The command line: its options (every number checked), running a command, and what an error
prints (a line on stderr; with ``--json``, ``{"error": {...}}`` on stdout too) and exits with.

Imported by ``contactgroups.cli.main`` once it knows rich is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any, NoReturn

from .. import providers
from .._version import __version__
from ..errors import AuthenticationError, ContactGroupsError
from ._commands import cli_words, demo, groups_create, groups_list, members, taking
from ._console import SafeConsole, env_secrets
from ._exits import EXIT_CODES_HELP, ConfigError, Exit, UsageError, error_data, exit_code
from ._jobs import jobs_report, jobs_status, jobs_submit, worker

__all__ = ["run"]

Handler = Callable[[argparse.Namespace, SafeConsole], Coroutine[Any, Any, int]]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are ``UsageError`` (shown as JSON too with ``--json``)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {message}")


# -- numbers: each option's checks ---------------------------------------------------------------


def whole(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    return parse


def seconds(*, zero: bool, high: float = math.inf) -> Callable[[str], float]:
    """A finite number of seconds, above 0 (or at least 0 with ``zero``), at most ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}") from None
        least = "at least 0" if zero else "more than 0"
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero) or value > high:
            limit = f" and at most {high:g}" if high != math.inf else ""
            raise argparse.ArgumentTypeError(f"must be {least}{limit} seconds, not {text!r}")
        return value

    return parse


# -- the parser ----------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", required=True, choices=providers.NAMES)
    p.add_argument("--base-url", help="another server for the vendor's API (e.g. a fake)")
    p.add_argument("--token-url", help=f"{taking('token_url')}: another OAuth token endpoint")
    p.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// --base-url or --token-url to a host that is not loopback",
    )
    p.add_argument("--json", action="store_true", help="JSON output for scripts (errors too)")


def _parser() -> argparse.ArgumentParser:
    def command(parent: Any, name: str, text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name,
            help=text,
            description=text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        return sub

    parser = _Parser(
        prog="contactgroups",
        description="Contact groups at MessageBird, Messente, MessageFlow and Messengeo.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"contactgroups {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run_demo = command(commands, "demo", "bulk add and remove across four local fake vendors")
    run_demo.add_argument(
        "--ids", type=whole(1, 1_000_000), default=8000, help="ids in all (default 8000)"
    )
    run_demo.add_argument(
        "--faults", action="store_true", help="inject 5xx, 429, dropped connections"
    )
    run_demo.add_argument("--seed", type=whole(0, 2**32 - 1), default=7, help="fault pattern seed")
    run_demo.add_argument(
        "--latency",
        type=seconds(zero=True, high=10),
        default=0.01,
        help="seconds each fake waits per request (0.01)",
    )
    run_demo.add_argument("--json", action="store_true", help="print the reports as JSON")

    groups = command(commands, "groups", "list or create groups")
    group_commands = groups.add_subparsers(dest="groups_command", required=True)
    _common(command(group_commands, "list", "list every group"))
    create = command(group_commands, "create", "create a group")
    _common(create)
    create.add_argument("--name", required=True)

    member_commands = command(commands, "members", "bulk membership jobs").add_subparsers(
        dest="action", required=True
    )
    for action, text in (
        ("add", "add the ids to the group"),
        ("remove", "remove the ids from the group"),
        ("sync", "make the group hold exactly the ids"),
    ):
        sub = command(member_commands, action, text)
        _common(sub)
        sub.add_argument("--group", required=True, help="group (list) id")
        sub.add_argument("--ids-file", required=True, help="one id per line, or - for stdin")
        sub.add_argument(
            "--failed-file",
            default="failed-ids.txt",
            help="where the ids that did not land go (sync: FILE's .add and .remove variants)",
        )
        sub.add_argument(
            "--concurrency", type=whole(1, 1000), help="calls at once, 1 to 1000 (vendor default)"
        )
        sub.add_argument("--deadline", type=seconds(zero=False), help="seconds for the whole job")
        sub.add_argument(
            "--journal",
            metavar="PATH",
            help="a SQLite file recording the job and every id's outcome; the same command run "
            "again resumes a stopped job (sync: plans only what is still to do)",
        )
        if action == "sync":
            sub.add_argument(
                "--dry-run", action="store_true", help="show the plan and its ids only"
            )
    _jobs_parsers(commands, command)
    return parser


def _jobs_parsers(commands: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    def journal(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--journal",
            required=True,
            metavar="URL",
            help="the PostgreSQL journal: postgresql://user@host/db?schema=name",
        )
        p.add_argument("--json", action="store_true", help="JSON output for scripts (errors too)")

    jobs = command(commands, "jobs", "bulk jobs in a PostgreSQL journal, run by workers")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    submit = command(job_commands, "submit", "record a bulk job for workers; prints its id")
    journal(submit)
    what = submit.add_subparsers(dest="submit_what", required=True)
    actions = command(what, "members", "a membership job").add_subparsers(
        dest="action", required=True
    )
    for action, text in (("add", "add the ids to the group"), ("remove", "remove the ids")):
        sub = command(actions, action, text)
        sub.add_argument("--provider", required=True, choices=providers.NAMES)
        sub.add_argument("--group", required=True, help="group (list) id")
        sub.add_argument("--ids-file", required=True, help="one id per line, or - for stdin")
        sub.add_argument(
            "--account",
            help="the vendor account's name (default: the provider's); workers read its "
            "credentials from PROVIDER_VARIABLE__ACCOUNT",
        )
        sub.add_argument(
            "--cap", type=whole(1, 1000), help="calls at once for the account, over all workers"
        )
        sub.add_argument(
            "--rounds", type=whole(1, 100), default=2, help="leases per chunk while it fails (2)"
        )
    for name, text in (("status", "where a job stands"), ("report", "a job's report")):
        sub = command(job_commands, name, text)
        journal(sub)
        sub.add_argument("job", help="the job's id (jobs submit printed it)")
    run_worker = command(commands, "worker", "run jobs from a PostgreSQL journal until stopped")
    journal(run_worker)
    run_worker.add_argument("--job", help="only this job (default: every running job)")
    run_worker.add_argument("--slots", type=whole(1, 1000), default=16, help="chunks at once (16)")
    run_worker.add_argument(
        "--lease", type=seconds(zero=False, high=3600), default=30.0, help="lease seconds (30)"
    )
    run_worker.add_argument(
        "--until-done", action="store_true", help="exit when the job(s) have nothing left"
    )


HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("demo", None): demo,
    ("groups", "list"): groups_list,
    ("groups", "create"): groups_create,
    ("members", None): members,
    ("jobs", "submit"): jobs_submit,
    ("jobs", "status"): jobs_status,
    ("jobs", "report"): jobs_report,
    ("worker", None): worker,
}


# -- running -------------------------------------------------------------------------------------


class _Warnings(logging.Handler):
    """The library's warnings (a failed token request), as ``warning: ...`` lines on stderr:
    scrubbed and printed literally like everything else."""

    def __init__(self, console: SafeConsole) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(f"warning: {self.console.vendor_text(record.getMessage())}")


@contextlib.contextmanager
def _library_warnings(console: SafeConsole) -> Iterator[None]:
    logger = logging.getLogger("contactgroups")
    handler = _Warnings(console)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _failed(
    error: BaseException, provider: str | None, json_mode: bool, out: SafeConsole, err: SafeConsole
) -> int:
    """Show ``error`` (scrubbed, printed literally) and return its exit code."""
    code = exit_code(error)
    text = cli_words(str(error)) if isinstance(error, ContactGroupsError) else str(error)
    err.print(f"error: {err.vendor_text(text)}")
    if isinstance(error, AuthenticationError) and provider:
        names = ", ".join(providers.get(provider).env)
        err.print(f"hint: check the credentials in {names}")
    elif code is Exit.UNAVAILABLE:
        err.print("hint: the vendor or the network is unavailable; try again later")
    if json_mode:
        out.print_data(error_data(error, provider))
    return int(code)


def run(argv: Sequence[str] | None = None) -> int:
    """The command line ``argv`` (``sys.argv[1:]``), run; its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv
    # every line printed has the environment's credentials scrubbed (a vendor echoing one)
    secrets = env_secrets()
    console = SafeConsole(secrets=secrets, highlight=False)
    if not console.is_terminal:  # tables stay readable in logs and pipes
        console = SafeConsole(secrets=secrets, highlight=False, width=140)
    errors = SafeConsole(secrets=secrets, stderr=True, highlight=False, soft_wrap=True)
    provider: str | None = None
    try:
        args = _parser().parse_args(argv)
        provider = getattr(args, "provider", None)
        sub = getattr(args, "groups_command", None) or getattr(args, "jobs_command", None)
        handler = HANDLERS[(args.command, sub)]
        with _library_warnings(errors):
            return int(asyncio.run(handler(args, console)))
    except (UsageError, ConfigError, ContactGroupsError) as exc:
        return _failed(exc, provider, json_mode, console, errors)
    except KeyboardInterrupt:
        return int(Exit.INTERRUPTED)
