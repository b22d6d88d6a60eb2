"""The ``contactgroups`` command.

- ``contactgroups demo``: four fake vendors on 127.0.0.1, one bulk add and one bulk remove across
  all of them with a progress bar per provider, and the report. No account needed.
- ``contactgroups groups list|create --provider P``: groups (lists, at Messengeo) at a real vendor.
- ``contactgroups members add|remove|sync --provider P --group G --ids-file FILE``: a bulk job at
  a real vendor; failed ids go to a file so the job can be re-run on just those.

Credentials come from environment variables and are never printed. ``--base-url`` points any
command at another server (a fake, a proxy). Exit codes: 0 all good, 1 some ids failed or the
vendor refused, 2 bad usage or missing credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import attrs
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import multi
from ._http.retry import RetryPolicy
from ._version import __version__
from .errors import ContactGroupsError, InvalidRequestError

__all__ = ["main"]

PROVIDERS = ("messagebird", "messente", "messageflow", "messengeo")


class UsageError(Exception):
    """Bad usage or missing configuration: exit code 2, message shown as is."""


# -- providers ---------------------------------------------------------------------------------


@attrs.frozen
class ProviderSpec:
    """How the CLI reaches one vendor: its credentials' variables and its group calls."""

    name: str
    env: tuple[str, ...]
    make: Callable[..., Any]
    list_groups: Callable[[Any], Any]
    create_group: Callable[[Any, str], Awaitable[Any]]


def _spec(name: str) -> ProviderSpec:
    if name == "messagebird":
        from . import messagebird

        return ProviderSpec(
            name,
            ("MESSAGEBIRD_ACCESS_KEY",),
            lambda key, **kw: messagebird.Client(access_key=key, **kw),
            lambda c: c.groups.list(),
            lambda c, n: c.groups.create(n),
        )
    if name == "messente":
        from . import messente

        return ProviderSpec(
            name,
            ("MESSENTE_USERNAME", "MESSENTE_PASSWORD"),
            lambda user, password, **kw: messente.Client(username=user, password=password, **kw),
            lambda c: c.groups.list(),
            lambda c, n: c.groups.create(n),
        )
    if name == "messageflow":
        from . import messageflow

        async def create_messageflow(client: Any, group_name: str) -> Any:
            result = await client.groups.create(name=group_name)
            if result.errors:
                reasons = "; ".join(e.message or e.title or "" for e in result.errors)
                raise ContactGroupsError(f"messageflow did not create the group: {reasons}")
            if not result.data:
                raise ContactGroupsError(
                    "messageflow created the group but it could not be found afterwards; "
                    "see `contactgroups groups list --provider messageflow`"
                )
            return result.data[0]

        return ProviderSpec(
            name,
            ("MESSAGEFLOW_AUTHORIZATION", "MESSAGEFLOW_APPLICATION_KEY"),
            lambda auth, app, **kw: messageflow.Client(
                authorization=auth, application_key=app, **kw
            ),
            lambda c: c.groups.list(),
            create_messageflow,
        )
    if name == "messengeo":
        from . import messengeo

        return ProviderSpec(
            name,
            ("MESSENGEO_CLIENT_ID", "MESSENGEO_CLIENT_SECRET"),
            lambda cid, secret, **kw: messengeo.Client(client_id=cid, client_secret=secret, **kw),
            lambda c: c.lists.list(),
            lambda c, n: c.lists.create(n),
        )
    raise UsageError(f"unknown provider {name!r}; choose one of {', '.join(PROVIDERS)}")


def _client_from_env(spec: ProviderSpec, args: argparse.Namespace) -> Any:
    missing = [var for var in spec.env if not os.environ.get(var)]
    if missing:
        raise UsageError(
            f"{spec.name} needs the environment variable{'s' if len(missing) > 1 else ''} "
            + ", ".join(missing)
        )
    kwargs: dict[str, Any] = {}
    if args.base_url:
        kwargs["base_url"] = args.base_url
    if args.token_url:
        if spec.name != "messengeo":
            raise UsageError("--token-url is for messengeo only")
        kwargs["token_url"] = args.token_url
    return spec.make(*(os.environ[var] for var in spec.env), **kwargs)


# -- output --------------------------------------------------------------------------------------


def _report_dict(report: multi.Report) -> dict[str, Any]:
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
        "failed": [
            {"provider": t.provider, "group": t.group_id, "id": i, "error": str(e)}
            for t, i, o, e in report.outcomes()
            if not o.ok
        ],
    }


def _report_table(report: multi.Report, title: str) -> Table:
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
def _progress(console: Console, label: str, totals: dict[str, int]) -> Iterator[Any]:
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


# -- demo ----------------------------------------------------------------------------------------

DEMO_SPLIT = {"messagebird": 0.25, "messente": 0.10, "messageflow": 0.35, "messengeo": 0.30}


async def _demo(args: argparse.Namespace, console: Console) -> int:
    from .testing import Faults
    from .testing.pytest_plugin import start_fake

    latency = max(0.0, args.latency)

    def faults(index: int) -> Faults:  # one RNG per fake, so --seed replays the same faults
        if not args.faults:
            return Faults(latency=latency)
        return Faults(
            server_error=0.05,
            rate_limit=0.03,
            retry_after=0.05,
            drop=0.01,
            seed=args.seed + index,
            latency=latency,
        )

    retry = RetryPolicy(max_attempts=5, backoff_base=0.02, backoff_max=0.5)
    fakes = {
        name: start_fake(f"{name}_fake", faults=faults(index))
        for index, name in enumerate(PROVIDERS)
    }
    for fake in fakes.values():
        await fake.start()
    clients: dict[str, Any] = {}
    try:
        targets = []
        for name, fake in fakes.items():
            count = max(1, int(args.ids * DEMO_SPLIT[name]))
            group = fake.seed_group("contactgroups demo")
            ids = fake.seed_contacts(count)
            clients[name] = fake.client(retry=retry, timeout=5)
            targets.append(multi.Target(clients[name], group, ids))
        if not args.json:
            console.print(
                f"[bold]contactgroups {__version__} demo[/]: four fake vendors on 127.0.0.1, "
                f"{sum(len(t.ids) for t in targets)} ids"
                + (" [yellow](fault injection on)[/]" if args.faults else "")
            )
        totals = {t.provider: len(t.ids) for t in targets}
        reports = []
        for action in ("add", "remove"):
            runner = multi.add if action == "add" else multi.remove
            with _progress(
                console if not args.json else Console(file=sys.stderr), action, totals
            ) as cb:
                report = await runner(targets, on_progress=cb)
            reports.append(report)
            mismatches = _demo_check(report, fakes)
            if args.json:
                continue
            console.print(_report_table(report, f"bulk {action}"))
            console.print(
                "every id accounted for: "
                + ("[green]yes[/]" if report.total == sum(totals.values()) else "[red]no[/]")
                + "; fakes' state matches the report: "
                + ("[green]yes[/]" if not mismatches else f"[red]no ({mismatches} ids)[/]")
            )
        if args.json:
            console.print_json(json.dumps([_report_dict(r) for r in reports]))
        return 0 if all(r.ok for r in reports) else 1
    finally:
        for client in clients.values():
            await client.aclose()
        for fake in fakes.values():
            await fake.stop()


def _demo_check(report: multi.Report, fakes: dict[str, Any]) -> int:
    """Ids whose state at the fake disagrees with the report."""
    mismatches = 0
    members = {
        (t.provider, t.group_id): fakes[t.provider].member_ids(t.group_id) for t in report.targets
    }
    for target, contact_id, outcome, _ in report.outcomes():
        present = contact_id in members[(target.provider, target.group_id)]
        landed = present if report.action == "add" else not present
        if landed != outcome.ok:
            mismatches += 1
    return mismatches


# -- groups --------------------------------------------------------------------------------------


async def _groups_list(args: argparse.Namespace, console: Console) -> int:
    spec = _spec(args.provider)
    async with _client_from_env(spec, args) as client:
        rows = []
        async for group in spec.list_groups(client):
            rows.append({"id": str(group.id), "name": getattr(group, "name", None)})
    if args.json:
        console.print_json(json.dumps(rows))
    else:
        table = Table(title=f"{spec.name} groups")
        table.add_column("id")
        table.add_column("name")
        for row in rows:
            table.add_row(row["id"], row["name"] or "")
        console.print(table)
    return 0


async def _groups_create(args: argparse.Namespace, console: Console) -> int:
    spec = _spec(args.provider)
    async with _client_from_env(spec, args) as client:
        group = await spec.create_group(client, args.name)
    row = {"id": str(group.id), "name": getattr(group, "name", args.name)}
    if args.json:
        console.print_json(json.dumps(row))
    else:
        console.print(f"created {spec.name} group {row['id']} ({row['name']})")
    return 0


# -- members -------------------------------------------------------------------------------------


def _read_ids(path: str, stdin: TextIO) -> list[str]:
    if path == "-":
        text = stdin.read()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _write_failed(reports: list[multi.Report], path: str) -> int:
    """Every id that did not land, one per line (a ``# add``/``# remove`` line before each
    action's ids when there are several), so the file can be fed back as ``--ids-file``."""
    lines: list[str] = []
    total = 0
    for report in reports:
        ids = [i for _, _, i in report.failed_ids()]
        if ids:
            if len(reports) > 1:
                lines.append(f"# {report.action}")
            lines.extend(ids)
            total += len(ids)
    if total:
        Path(path).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return total


async def _members(args: argparse.Namespace, console: Console) -> int:
    spec = _spec(args.provider)
    ids = _read_ids(args.ids_file, sys.stdin)
    if not ids and args.action != "sync":
        raise UsageError("the ids file holds no ids")
    out = Console(file=sys.stderr) if args.json else console
    async with _client_from_env(spec, args) as client:
        options: dict[str, Any] = {"deadline": args.deadline}
        if args.concurrency:
            options["concurrency"] = args.concurrency
        if args.action == "sync":
            with _progress(out, "sync", {spec.name: len(ids)}) as cb:
                result = await multi.sync(
                    client, args.group, ids, dry_run=args.dry_run, on_progress=cb, **options
                )
            reports = [r for r in (result.added, result.removed) if r is not None]
            plan = {
                "to_add": len(result.plan.to_add),
                "to_remove": len(result.plan.to_remove),
                "unchanged": result.plan.unchanged,
                "dry_run": args.dry_run,
            }
            if args.json:
                console.print_json(
                    json.dumps({"plan": plan, "reports": [_report_dict(r) for r in reports]})
                )
            else:
                console.print(
                    f"sync plan: {plan['to_add']} to add, {plan['to_remove']} to remove, "
                    f"{plan['unchanged']} unchanged"
                    + (" (dry run: nothing changed)" if args.dry_run else "")
                )
        else:
            target = multi.Target(client, args.group, ids)
            runner = multi.add if args.action == "add" else multi.remove
            with _progress(out, args.action, {spec.name: len(target.ids)}) as cb:
                reports = [await runner([target], on_progress=cb, **options)]
            if args.json:
                console.print_json(json.dumps(_report_dict(reports[0])))
    if not args.json:
        for report in reports:
            console.print(_report_table(report, f"{spec.name} {report.action}"))
    failed = _write_failed(reports, args.failed_file)
    if failed:
        out.print(f"{failed} ids did not land; they are listed in {args.failed_file}")
        return 1
    return 0


# -- entry point ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contactgroups",
        description="Contact groups at MessageBird, Messente, MessageFlow and Messengeo.",
    )
    parser.add_argument("--version", action="version", version=f"contactgroups {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="bulk add and remove across four local fake vendors")
    demo.add_argument("--ids", type=int, default=8000, help="ids in all (default 8000)")
    demo.add_argument("--faults", action="store_true", help="inject 5xx, 429, dropped connections")
    demo.add_argument("--seed", type=int, default=7, help="fault pattern seed")
    demo.add_argument(
        "--latency", type=float, default=0.01, help="seconds each fake waits per request (0.01)"
    )
    demo.add_argument("--json", action="store_true", help="print the reports as JSON")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--provider", required=True, choices=PROVIDERS)
        p.add_argument("--base-url", help="another server for the vendor's API (e.g. a fake)")
        p.add_argument("--token-url", help="messengeo: another OAuth token endpoint")
        p.add_argument("--json", action="store_true", help="JSON output for scripts")

    groups = commands.add_parser("groups", help="list or create groups").add_subparsers(
        dest="groups_command", required=True
    )
    common(groups.add_parser("list", help="list every group"))
    create = groups.add_parser("create", help="create a group")
    common(create)
    create.add_argument("--name", required=True)

    members = commands.add_parser("members", help="bulk membership jobs").add_subparsers(
        dest="action", required=True
    )
    for action, text in (
        ("add", "add the ids to the group"),
        ("remove", "remove the ids from the group"),
        ("sync", "make the group hold exactly the ids"),
    ):
        sub = members.add_parser(action, help=text)
        common(sub)
        sub.add_argument("--group", required=True, help="group (list) id")
        sub.add_argument("--ids-file", required=True, help="one id per line, or - for stdin")
        sub.add_argument("--failed-file", default="failed-ids.txt", help="where failed ids go")
        sub.add_argument("--concurrency", type=int, help="calls at once (vendor default)")
        sub.add_argument("--deadline", type=float, help="seconds for the whole job")
        if action == "sync":
            sub.add_argument("--dry-run", action="store_true", help="show the plan only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=140)  # tables stay readable in logs and pipes
    handlers: dict[str, Callable[[argparse.Namespace, Console], Coroutine[Any, Any, int]]] = {
        "demo": _demo,
        "groups": lambda a, c: (_groups_list if a.groups_command == "list" else _groups_create)(
            a, c
        ),
        "members": _members,
    }
    try:
        code: int = asyncio.run(handlers[args.command](args, console))
    except UsageError as exc:
        Console(stderr=True, highlight=False).print(f"error: {exc}")
        return 2
    except InvalidRequestError as exc:  # bad options or configuration, caught before sending
        Console(stderr=True, highlight=False).print(f"error: {exc}")
        return 2
    except ContactGroupsError as exc:
        Console(stderr=True, highlight=False).print(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
