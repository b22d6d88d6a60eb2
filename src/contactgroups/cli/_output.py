"""The command's output: a report as JSON-ready data or as a table, and progress per provider
(rich bars on a terminal, a plain line per step in logs and pipes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .. import multi
from ._exits import error_fields

__all__ = ["id_dict", "progress", "report_dict", "report_table"]


def report_dict(report: multi.Report) -> dict[str, Any]:
    """A report for ``--json``: the counts, each provider's summary, and every id with its
    outcome (``added``, ``removed``, ``already``, ``failed``, ``not_attempted``); ``failed``
    lists again the ids that did not land (failed or not attempted)."""
    ids = [id_dict(*row) for row in report.outcomes()]
    landed = {o.value for o in multi.Outcome if o.ok}
    return {
        "action": report.action,
        "ok": report.ok,
        "total": report.total,
        "elapsed_seconds": round(report.elapsed, 3),
        "deadline_passed": report.deadline_passed,
        "outcomes": {o.value: n for o, n in report.counts().items()},
        "providers": {
            name: {
                "ids": p.requested,
                "outcomes": {o.value: n for o, n in p.outcomes.items()},
                "calls": p.calls,
                "requests": p.requests,
                "retries": p.retries,
                "seconds": round(p.seconds, 3),
            }
            for name, p in report.providers.items()
        },
        "ids": ids,
        "failed": [entry for entry in ids if entry["outcome"] not in landed],
    }


def id_dict(
    target: multi.TargetInfo, contact_id: str, outcome: multi.Outcome, error: BaseException | None
) -> dict[str, Any]:
    """One id of a report: its outcome, and for a failed id why (``error`` is null otherwise)."""
    return {
        "provider": target.provider,
        "group": target.group_id,
        "id": contact_id,
        "outcome": outcome.value,
        "error": (
            error_fields(error) if outcome is multi.Outcome.FAILED and error is not None else None
        ),
    }


def report_table(report: multi.Report, title: str) -> Table:
    done = multi.Outcome.ADDED if report.action == "add" else multi.Outcome.REMOVED
    table = Table(title=title)
    table.add_column("provider")
    for column in ("ids", done.value, "already", "failed", "not sent"):
        table.add_column(column, justify="right")
    for column in ("calls", "requests", "retries", "seconds"):
        table.add_column(column, justify="right")
    for name, p in report.providers.items():
        table.add_row(
            name,
            str(p.requested),
            str(p.outcomes[done]),
            str(p.outcomes[multi.Outcome.ALREADY]),
            str(p.outcomes[multi.Outcome.FAILED]),
            str(p.outcomes[multi.Outcome.NOT_ATTEMPTED]),
            str(p.calls),
            str(p.requests),
            str(p.retries),
            f"{p.seconds:.2f}",
        )
    counts = report.counts()
    table.add_row(
        "all",
        str(report.total),
        str(counts[done]),
        str(counts[multi.Outcome.ALREADY]),
        str(counts[multi.Outcome.FAILED]),
        str(counts[multi.Outcome.NOT_ATTEMPTED]),
        str(sum(p.calls for p in report.providers.values())),
        str(sum(p.requests for p in report.providers.values())),
        str(sum(p.retries for p in report.providers.values())),
        f"{report.elapsed:.2f}",
        style="bold",
    )
    return table


@contextmanager
def progress(console: Console, label: str, totals: dict[str, int]) -> Iterator[Any]:
    """A progress callback for ``multi``: rich bars on a terminal, plain lines otherwise."""
    if console.is_terminal:
        bars = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=console,
        )
        tasks = {name: bars.add_task(name, total=total, failed=0) for name, total in totals.items()}
        with bars:

            def update(p: multi.Progress) -> None:
                bars.update(tasks[p.provider], completed=p.done, total=p.total, failed=p.failed)

            yield update
        return

    shown: dict[str, tuple[int, int]] = {}

    def plain(p: multi.Progress) -> None:
        step = p.done * 10 // max(1, p.total)  # a line per 10% per provider, and every change
        last = shown.get(p.provider)  # of the failed count once all ids have an outcome
        if last is None or step != last[0] or (p.done == p.total and p.failed != last[1]):
            shown[p.provider] = (step, p.failed)
            console.print(f"{label} {p.provider}: {p.done}/{p.total} ({p.failed} failed)")

    yield plain
