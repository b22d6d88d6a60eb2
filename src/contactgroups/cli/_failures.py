"""The failures files of ``members add|remove|sync``: the ids that did not land, to re-run on.

A failures file holds one action's ids: ``members add`` and ``members remove`` write
``--failed-file`` itself, ``members sync`` writes its failed adds and its failed removes as two
files next to it (``failed-ids.add.txt``, ``failed-ids.remove.txt``), never one: a sync takes its
ids file as the whole group, so a list of ids to retry fed back to it would remove every member
that had synced fine. Each file opens with a header line naming it a failures file and the
command that re-runs it; ``#`` lines are comments to every command. ``members sync`` refuses a
file holding such a header (or the ``# add``/``# remove`` sections of the one file earlier
versions wrote), and ``members add|remove`` refuse one written for the other action.

A run starts by removing the failures files a previous run left (only files that open with the
header: a file of the user's is never removed or overwritten), and writes fresh ones only for
what did not land, so after a clean run none is left. The file a run reads its ids from is kept
until the run ends, so an interrupted re-run still has its list.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

import attrs

from .. import multi
from ._console import literal
from ._exits import UsageError

__all__ = [
    "MARKER",
    "IdsFile",
    "Written",
    "check_ids",
    "failure_paths",
    "header",
    "prepare",
    "read_ids",
    "write",
]

#: how every failures file's first line starts
MARKER = "# contactgroups failures file"
# the header line, and the action it was written for
_HEADER = re.compile(re.escape(MARKER) + r" \((add|remove)\)")
# the section lines of the one file ``members sync`` wrote before failures files had headers
_SECTION = re.compile(r"#\s*(add|remove)\s*")


@attrs.frozen
class IdsFile:
    """The ids of an ids file, and the actions whose failures-file header it holds."""

    ids: list[str]
    failures_of: frozenset[str] = frozenset()
    legacy: bool = False  # holds the ``# add``/``# remove`` sections of an earlier sync's file


@attrs.frozen
class Written:
    """A failures file written: its action, path, how many ids, and the command to re-run."""

    action: multi.Action
    path: str
    count: int
    rerun: str


def read_ids(path: str, stdin: TextIO) -> IdsFile:
    """The ids of ``path`` (``-``: stdin), one a line; blank lines and ``#`` lines skipped."""
    if path == "-":
        text = stdin.read()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"cannot read {path}: it is not UTF-8 text") from None
    lines = [line.strip() for line in text.splitlines()]
    actions = frozenset(m.group(1) for line in lines if (m := _HEADER.match(line)))
    return IdsFile(
        ids=[line for line in lines if line and not line.startswith("#")],
        failures_of=actions,
        legacy=any(_SECTION.fullmatch(line) for line in lines),
    )


def check_ids(ids: IdsFile, action: str, path: str) -> None:
    """Refuse a failures file as a sync's desired set, or as the ids of the other action."""
    shown = "stdin" if path == "-" else path
    if action == "sync" and (ids.failures_of or ids.legacy):
        of = " and ".join(sorted(ids.failures_of)) or "add and remove"
        raise UsageError(
            f"{shown} is a failures file (the ids a members {of} did not land), not the whole "
            "group: sync would remove every member not in it. Re-run it with the command its "
            "first line gives (contactgroups members add|remove --ids-file ...)"
        )
    other = ids.failures_of - {action}
    if action != "sync" and other:
        raise UsageError(
            f"{shown} is a failures file of members {' and '.join(sorted(other))}, not of "
            f"members {action}; re-run it with the command its first line gives"
        )


def failure_paths(failed_file: str, action: str) -> dict[multi.Action, str]:
    """Where each action's failures go: ``failed_file`` itself for add and remove; for sync,
    ``<stem>.add<suffix>`` and ``<stem>.remove<suffix>`` next to it."""
    if action in ("add", "remove"):
        return {"add" if action == "add" else "remove": failed_file}
    path = Path(failed_file)
    return {
        "add": str(path.with_name(f"{path.stem}.add{path.suffix}")),
        "remove": str(path.with_name(f"{path.stem}.remove{path.suffix}")),
    }


def _is_failures_file(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as file:
            return file.readline().startswith(MARKER)
    except (OSError, UnicodeDecodeError):
        return False


def _same(path: str, other: str) -> bool:
    return other != "-" and Path(path).resolve() == Path(other).resolve()


def prepare(paths: Iterable[str], ids_file: str) -> None:
    """Before the job: each path's folder exists, no file of the user's is in the way, and the
    failures files a previous run left are removed (but the one this run reads its ids from)."""
    for name in paths:
        path = Path(name)
        if not path.resolve().parent.is_dir():
            raise UsageError(f"cannot write {name}: its folder does not exist")
        if path.exists() and not _is_failures_file(path):
            raise UsageError(
                f"{name} exists and is not a failures file contactgroups wrote; move it or "
                "choose another --failed-file"
            )
    for name in paths:
        if not _same(name, ids_file):
            Path(name).unlink(missing_ok=True)


def header(action: str, provider: str, group: str, path: str) -> str:
    """The first line of a failures file: what it is, and the command that re-runs it."""
    return f"{MARKER} ({action}): ids that did not land; re-run with: " + rerun(
        action, provider, group, path
    )


def rerun(action: str, provider: str, group: str, path: str) -> str:
    """The command that re-runs a failures file (the same file collects what fails again)."""
    words = ["contactgroups", "members", action, "--provider", provider, "--group", group]
    words += ["--ids-file", path, "--failed-file", path]
    return literal(shlex.join(words))


def write(
    reports: Iterable[multi.Report], paths: Mapping[multi.Action, str], provider: str, group: str
) -> list[Written]:
    """After the job: each action's ids that did not land, under its header, in its file; a
    file left from before (the one the ids were read from) is removed when nothing failed."""
    failed = {r.action: [i for _, _, i in r.failed_ids()] for r in reports}
    written = []
    for action, name in paths.items():
        ids = failed.get(action, [])
        path = Path(name)
        if not ids:
            if _is_failures_file(path):
                path.unlink(missing_ok=True)
            continue
        lines = [header(action, provider, group, name), *ids]
        try:
            path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {name}: {exc.strerror}") from None
        written.append(Written(action, name, len(ids), rerun(action, provider, group, name)))
    return written
