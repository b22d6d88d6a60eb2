"""The command's exit codes, and how an error or a job's report maps onto them.

A script can tell what to do from the code alone: 1 re-run on the failed ids, 2 fix the command
line, 3 fix the credentials or the account's configuration, 4 try again later.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from .. import multi
from ..errors import (
    APIError,
    AuthenticationError,
    ContactGroupsError,
    InvalidRequestError,
    JournalError,
    MalformedResponseError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TransportError,
)

__all__ = [
    "EXIT_CODES_HELP",
    "ConfigError",
    "Exit",
    "RefusedError",
    "UsageError",
    "error_data",
    "error_fields",
    "exit_code",
    "job_exit_code",
    "plural",
]


class Exit(enum.IntEnum):
    """The command's exit codes."""

    DONE = 0
    NOT_LANDED = 1  # some ids did not land (they are in the failures files)
    USAGE = 2  # the command line is wrong, or the vendor refused what it asked as given
    CONFIG = 3  # credentials or configuration: missing, malformed or refused
    UNAVAILABLE = 4  # a vendor or the network: connection, timeout, 5xx, 429
    INTERRUPTED = 130  # Ctrl-C


EXIT_CODES_HELP = """\
exit status:
  0    done
  1    some ids did not land: they are written to --failed-file (a sync: FILE.add, FILE.remove),
       whose first line is the command that re-runs them
  2    usage: a bad option or value, an unreadable ids file, or a request the vendor refused
       as given (no such group, a name it does not take)
  3    credentials or configuration: a variable not set, or credentials the vendor refused
       (at Messengeo, its token endpoint)
  4    a vendor or the network unavailable (connection, timeout, 5xx, 429): try again later
  130  interrupted
"""


class UsageError(Exception):
    """The command line is wrong: exit 2, the message shown as is."""


class ConfigError(Exception):
    """Credentials or configuration missing or malformed: exit 3, the message shown as is."""


class RefusedError(ContactGroupsError):
    """The vendor refused what the command asked, as given (not its credentials): exit 2."""


def plural(count: int, word: str) -> str:
    """``"1 id"``, ``"2 ids"``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def exit_code(error: BaseException) -> Exit:
    """The exit code of a command that ended on ``error``."""
    if isinstance(error, (UsageError, InvalidRequestError, RefusedError, JournalError)):
        return Exit.USAGE
    if isinstance(error, (ConfigError, AuthenticationError)):
        return Exit.CONFIG
    if isinstance(error, (TransportError, ServerError, RateLimitError)):
        return Exit.UNAVAILABLE
    if isinstance(error, (MalformedResponseError, OutcomeUnknownError)):
        return Exit.UNAVAILABLE  # the vendor answered, but nothing usable
    if isinstance(error, APIError):
        return Exit.USAGE  # 400, 404, 409, 422: refused as given
    return Exit.UNAVAILABLE  # the vendor did something the command cannot work with


def job_exit_code(reports: Iterable[multi.Report]) -> Exit:
    """``DONE`` when every id landed; when none did and every failure says the same thing
    (credentials refused, or the vendor unreachable), ``CONFIG`` or ``UNAVAILABLE``: repeating
    the job would not help until that is fixed; else ``NOT_LANDED``."""
    landed = False
    codes: set[Exit] = set()
    for report in reports:
        for _, _, outcome, error in report.outcomes():
            if outcome.ok:
                landed = True
            elif error is not None:
                codes.add(exit_code(error))
    if not codes and all(r.ok for r in reports):
        return Exit.DONE
    if not landed and len(codes) == 1 and codes <= {Exit.CONFIG, Exit.UNAVAILABLE}:
        return codes.pop()
    return Exit.NOT_LANDED


def error_fields(error: BaseException) -> dict[str, Any]:
    """What JSON shows of an error: its class, message (scrubbed when printed), the vendor's
    HTTP status and its own error code (null when the vendor did not answer or send one)."""
    return {
        "type": type(error).__name__,
        "message": str(error),
        "status": error.status if isinstance(error, APIError) else None,
        "code": error.code if isinstance(error, APIError) else None,
    }


def error_data(error: BaseException, provider: str | None) -> dict[str, Any]:
    """``{"error": {...}}``, what ``--json`` prints for an error (before scrubbing)."""
    return {
        "error": {
            **error_fields(error),
            "provider": getattr(error, "provider", None) or provider,
            "exit_code": int(exit_code(error)),
        }
    }
