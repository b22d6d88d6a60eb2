"""The commands behind ``contactgroups``: the demo on the fakes, groups and members at a vendor.

Imported by ``contactgroups.cli.main`` once it knows rich is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.markup import escape
from rich.table import Table

from .. import multi, providers
from .._http.retry import RetryPolicy
from .._version import __version__
from ..errors import ContactGroupsError, InvalidRequestError
from ..providers import PROVIDERS, Provider
from ._console import SafeConsole, env_secrets
from ._output import progress, report_dict, report_table

if TYPE_CHECKING:
    from ..testing import VendorFake

__all__ = ["run"]


class UsageError(Exception):
    """Bad usage or missing configuration: exit code 2, message shown as is."""


# -- providers ---------------------------------------------------------------------------------


def _messageflow_group(result: Any) -> Any:
    """MessageFlow answers a create with a bulk result: the group, or why it was not created."""
    name = providers.MESSAGEFLOW.name
    if result.errors:
        reasons = "; ".join(e.message or e.title or "" for e in result.errors)
        raise ContactGroupsError(f"{name} did not create the group: {reasons}")
    if not result.data:
        raise ContactGroupsError(
            f"{name} created the group but it could not be found afterwards; "
            f"see `contactgroups groups list --provider {name}`"
        )
    return result.data[0]


#: how a create's answer gives the new group, where it is not the group itself
_CREATED_GROUP: dict[str, Callable[[Any], Any]] = {providers.MESSAGEFLOW.name: _messageflow_group}


def _taking(option: str) -> str:
    """The providers whose client takes this option, for messages."""
    return ", ".join(p.name for p in PROVIDERS if option in p.options)


def _client_from_env(provider: Provider, args: argparse.Namespace) -> Any:
    # InvalidRequestError (exit 2) names any variable not set, never a value
    credentials = provider.credentials_from_env()
    kwargs: dict[str, Any] = {}
    if args.base_url:
        kwargs["base_url"] = args.base_url
    if args.token_url:
        if "token_url" not in provider.options:
            raise UsageError(f"--token-url is for {_taking('token_url')} only")
        kwargs["token_url"] = args.token_url
    return provider.client(**credentials, **kwargs)


# -- demo ----------------------------------------------------------------------------------------

#: each provider's share of the demo's ids
DEMO_SPLIT = {
    providers.MESSAGEBIRD.name: 0.25,
    providers.MESSENTE.name: 0.10,
    providers.MESSAGEFLOW.name: 0.35,
    providers.MESSENGEO.name: 0.30,
}


async def _demo(args: argparse.Namespace, console: SafeConsole) -> int:
    from ..testing import Faults

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
    fakes: dict[str, VendorFake] = {
        p.name: p.fake_class()(faults=faults(index)) for index, p in enumerate(PROVIDERS)
    }
    for fake in fakes.values():
        await fake.start()
    clients: dict[str, providers.ProviderClient] = {}
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
            with progress(
                console if not args.json else SafeConsole(secrets=console.secrets, stderr=True),
                action,
                totals,
            ) as cb:
                report = await runner(targets, on_progress=cb)
            reports.append(report)
            mismatches = _demo_check(report, fakes)
            if args.json:
                continue
            console.print(report_table(report, f"bulk {action}"))
            console.print(
                "every id accounted for: "
                + ("[green]yes[/]" if report.total == sum(totals.values()) else "[red]no[/]")
                + "; fakes' state matches the report: "
                + ("[green]yes[/]" if not mismatches else f"[red]no ({mismatches} ids)[/]")
            )
        if args.json:
            console.print_data([report_dict(r) for r in reports])
        return 0 if all(r.ok for r in reports) else 1
    finally:
        for client in clients.values():
            await client.aclose()
        for fake in fakes.values():
            await fake.stop()


def _demo_check(report: multi.Report, fakes: dict[str, VendorFake]) -> int:
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


async def _groups_list(args: argparse.Namespace, console: SafeConsole) -> int:
    provider = providers.get(args.provider)
    async with _client_from_env(provider, args) as client:
        rows = []
        async for group in provider.groups(client).list():
            rows.append({"id": str(group.id), "name": getattr(group, "name", None)})
    if args.json:
        console.print_data(rows)
    else:
        table = Table(title=f"{provider.name} groups")
        table.add_column("id")
        table.add_column("name")
        for row in rows:
            table.add_row(console.vendor_text(row["id"]), console.vendor_text(row["name"] or ""))
        console.print(table)
    return 0


async def _groups_create(args: argparse.Namespace, console: SafeConsole) -> int:
    provider = providers.get(args.provider)
    async with _client_from_env(provider, args) as client:
        created = await provider.groups(client).create(name=args.name)
    group = _CREATED_GROUP.get(provider.name, lambda result: result)(created)
    row = {"id": str(group.id), "name": getattr(group, "name", args.name)}
    if args.json:
        console.print_data(row)
    else:
        console.print(
            f"created {provider.name} group {console.vendor_text(row['id'])} "
            f"({console.vendor_text(row['name'])})"
        )
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


async def _members(args: argparse.Namespace, console: SafeConsole) -> int:
    provider = providers.get(args.provider)
    ids = _read_ids(args.ids_file, sys.stdin)
    if not ids and args.action != "sync":
        raise UsageError("the ids file holds no ids")
    out = SafeConsole(secrets=console.secrets, stderr=True) if args.json else console
    async with _client_from_env(provider, args) as client:
        options: dict[str, Any] = {"deadline": args.deadline}
        if args.concurrency:
            options["concurrency"] = args.concurrency
        if args.action == "sync":
            with progress(out, "sync", {provider.name: len(ids)}) as cb:
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
                console.print_data({"plan": plan, "reports": [report_dict(r) for r in reports]})
            else:
                console.print(
                    f"sync plan: {plan['to_add']} to add, {plan['to_remove']} to remove, "
                    f"{plan['unchanged']} unchanged"
                    + (" (dry run: nothing changed)" if args.dry_run else "")
                )
        else:
            target = multi.Target(client, args.group, ids)
            runner = multi.add if args.action == "add" else multi.remove
            with progress(out, args.action, {provider.name: len(target.ids)}) as cb:
                reports = [await runner([target], on_progress=cb, **options)]
            if args.json:
                console.print_data(report_dict(reports[0]))
    if not args.json:
        for report in reports:
            console.print(report_table(report, f"{provider.name} {report.action}"))
    failed = _write_failed(reports, args.failed_file)
    if failed:
        out.print(f"{failed} ids did not land; they are listed in {escape(str(args.failed_file))}")
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
        p.add_argument("--provider", required=True, choices=providers.NAMES)
        p.add_argument("--base-url", help="another server for the vendor's API (e.g. a fake)")
        p.add_argument("--token-url", help=f"{_taking('token_url')}: another OAuth token endpoint")
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


def run(argv: Sequence[str] | None = None) -> int:
    """The command line ``argv`` (``sys.argv[1:]``), run; its exit code."""
    args = _parser().parse_args(argv)
    # every line printed has the environment's credentials scrubbed (a vendor echoing one)
    secrets = env_secrets()
    console = SafeConsole(secrets=secrets, highlight=False)
    if not console.is_terminal:  # tables stay readable in logs and pipes
        console = SafeConsole(secrets=secrets, highlight=False, width=140)
    errors = SafeConsole(secrets=secrets, stderr=True, highlight=False)
    handlers: dict[str, Callable[[argparse.Namespace, SafeConsole], Coroutine[Any, Any, int]]] = {
        "demo": _demo,
        "groups": lambda a, c: (_groups_list if a.groups_command == "list" else _groups_create)(
            a, c
        ),
        "members": _members,
    }
    try:
        code: int = asyncio.run(handlers[args.command](args, console))
    except UsageError as exc:
        errors.print(f"error: {errors.vendor_text(exc)}")
        return 2
    except InvalidRequestError as exc:  # bad options or configuration, caught before sending
        errors.print(f"error: {errors.vendor_text(exc)}")
        return 2
    except ContactGroupsError as exc:  # a vendor's words, maybe: scrubbed and escaped
        errors.print(f"error: {errors.vendor_text(exc)}")
        return 1
    except KeyboardInterrupt:
        return 130
    return code
