"""The ``contactgroups`` command.

- ``contactgroups demo``: four fake vendors on 127.0.0.1, one bulk add and one bulk remove across
  all of them with a progress bar per provider, and the report. No account needed.
- ``contactgroups groups list|create --provider P``: groups (lists, at Messengeo) at a real vendor.
- ``contactgroups members add|remove|sync --provider P --group G --ids-file FILE``: a bulk job at
  a real vendor; the ids that did not land go to a failures file per action, headed by the
  ``members add``/``members remove`` command that re-runs it (sync refuses such a file).

Credentials come from environment variables and are never printed. ``--base-url`` points any
command at another server (a fake, a proxy). ``--json`` prints JSON for scripts, errors included
(``{"error": {"type", "message", "status", "code", "provider", "exit_code"}}``), and every id of
a job with its outcome. Vendor text is printed
literally: markup escaped, control characters removed.

Exit codes: 0 done; 1 some ids did not land; 2 usage (or a request the vendor refused as given);
3 credentials or configuration; 4 a vendor or the network unavailable; 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

#: the one line shown, with exit code 2, when rich (the ``cli`` extra) is missing
INSTALL_CLI = (
    "error: the contactgroups command needs the 'cli' extra: pip install 'contactgroups[cli]'"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command (``argv`` defaults to ``sys.argv[1:]``); the exit code."""
    try:
        # rich comes with the `cli` extra: imported here, so nothing else ever needs it
        from ._run import run
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "rich":
            raise
        print(INSTALL_CLI, file=sys.stderr)
        return 2
    return run(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
