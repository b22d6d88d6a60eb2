"""The commands: the demo on the fakes, groups and members at a vendor. Each returns its exit
code; an error it raises is mapped onto one by ``_run`` (``_exits.exit_code``)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from .. import multi, providers
from .._http import check_base_url
from .._http.retry import RetryPolicy
from .._version import __version__
from ..errors import ContactGroupsError, InvalidRequestError
from ..providers import PROVIDERS, Provider
from ._console import SafeConsole
from ._exits import ConfigError, Exit, RefusedError, UsageError, job_exit_code, plural
from ._failures import check_ids, failure_paths, prepare, read_ids, write
from ._output import progress, report_dict, report_table

if TYPE_CHECKING:
    from ..testing import VendorFake

__all__ = [
    "DEMO_SPLIT",
    "DRY_RUN_SHOWN",
    "cli_words",
    "demo",
    "groups_create",
    "groups_list",
    "members",
    "taking",
]

#: each provider's share of the demo's ids
DEMO_SPLIT = {
    providers.MESSAGEBIRD.name: 0.25,
    providers.MESSENTE.name: 0.10,
    providers.MESSAGEFLOW.name: 0.35,
    providers.MESSENGEO.name: 0.30,
}
#: the ids to add and to remove a dry run shows in text (``--json`` gives every one)
DRY_RUN_SHOWN = 20

# the library's keywords, as the command line spells them
_CLI_WORDS = (
    (re.compile(r"\ballow_insecure_http=True\b"), "--allow-insecure-http"),
    (re.compile(r"(?<![-\w])base_url\b"), "--base-url"),
    (re.compile(r"(?<![-\w])token_url\b"), "--token-url"),
)


def cli_words(text: str) -> str:
    """A library message about an option, with the option as the command line names it."""
    for pattern, flag in _CLI_WORDS:
        text = pattern.sub(flag, text)
    return text


def taking(option: str) -> str:
    """The providers whose client takes this option, for messages."""
    return ", ".join(p.name for p in PROVIDERS if option in p.options)


# -- clients -------------------------------------------------------------------------------------


def _checked_url(value: str, flag: str, args: argparse.Namespace) -> str:
    try:
        check_base_url(value, allow_insecure_http=args.allow_insecure_http, what=flag)
    except InvalidRequestError as exc:
        raise UsageError(cli_words(str(exc))) from None
    return value


def _client_from_env(provider: Provider, args: argparse.Namespace) -> Any:
    try:
        credentials = provider.credentials_from_env()  # names any variable not set, no value
    except InvalidRequestError as exc:
        raise ConfigError(str(exc)) from None
    kwargs: dict[str, Any] = {}
    if args.base_url:
        kwargs["base_url"] = _checked_url(args.base_url, "--base-url", args)
    if args.token_url:
        if "token_url" not in provider.options:
            raise UsageError(f"--token-url is for {taking('token_url')} only")
        kwargs["token_url"] = _checked_url(args.token_url, "--token-url", args)
    if args.allow_insecure_http:
        kwargs["allow_insecure_http"] = True
    try:
        return provider.client(**credentials, **kwargs)
    except InvalidRequestError as exc:
        text = cli_words(str(exc))
        if "--base-url" in text or "--token-url" in text:
            raise UsageError(text) from None
        for credential in provider.credentials:  # a credential of the wrong form: its variable
            text = re.sub(rf"\b{credential.keyword}\b", credential.env, text)
        raise ConfigError(text) from None


# -- demo ----------------------------------------------------------------------------------------


async def demo(args: argparse.Namespace, console: SafeConsole) -> int:
    from ..testing import Faults

    def faults(index: int) -> Faults:  # one RNG per fake, so --seed replays the same faults
        if not args.faults:
            return Faults(latency=args.latency)
        return Faults(
            server_error=0.05,
            rate_limit=0.03,
            retry_after=0.05,
            drop=0.01,
            seed=args.seed + index,
            latency=args.latency,
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
                f"{plural(sum(len(t.ids) for t in targets), 'id')}"
                + (" [yellow](fault injection on)[/]" if args.faults else "")
            )
        totals = {t.provider: len(t.ids) for t in targets}
        reports = []
        for action in ("add", "remove"):
            runner = multi.add if action == "add" else multi.remove
            with progress(_progress_console(args, console), action, totals) as cb:
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
                + (
                    "[green]yes[/]"
                    if not mismatches
                    else f"[red]no ({plural(mismatches, 'id')})[/]"
                )
            )
        if args.json:
            console.print_data([report_dict(r) for r in reports])
        return job_exit_code(reports)
    finally:
        for client in clients.values():
            await client.aclose()
        for fake in fakes.values():
            await fake.stop()


def _progress_console(args: argparse.Namespace, console: SafeConsole) -> SafeConsole:
    """Where progress goes: stderr with ``--json`` (stdout holds only the JSON)."""
    return SafeConsole(secrets=console.secrets, stderr=True) if args.json else console


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


def _messageflow_group(result: Any) -> Any:
    """MessageFlow answers a create with a bulk result: the group, or why it was not created."""
    name = providers.MESSAGEFLOW.name
    if result.errors:
        reasons = "; ".join(e.message or e.title or "" for e in result.errors)
        raise RefusedError(f"{name} did not create the group: {reasons}")
    if not result.data:
        raise ContactGroupsError(
            f"{name} created the group but it could not be found afterwards; "
            f"see `contactgroups groups list --provider {name}`"
        )
    return result.data[0]


#: how a create's answer gives the new group, where it is not the group itself
_CREATED_GROUP: dict[str, Callable[[Any], Any]] = {providers.MESSAGEFLOW.name: _messageflow_group}


async def groups_list(args: argparse.Namespace, console: SafeConsole) -> int:
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
    return Exit.DONE


async def groups_create(args: argparse.Namespace, console: SafeConsole) -> int:
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
    return Exit.DONE


# -- members -------------------------------------------------------------------------------------


def _show_ids(console: SafeConsole, heading: str, sign: str, ids: Sequence[str]) -> None:
    """The first ``DRY_RUN_SHOWN`` ids, one a line after ``sign``, and how many more there are."""
    if not ids:
        return
    console.print(f"{heading} ({len(ids)}):")
    for contact_id in ids[:DRY_RUN_SHOWN]:
        console.print(f"  {sign} {console.vendor_text(contact_id)}")
    if len(ids) > DRY_RUN_SHOWN:
        console.print(f"  … and {len(ids) - DRY_RUN_SHOWN} more (--json lists every id)")


async def _sync(
    args: argparse.Namespace, console: SafeConsole, client: Any, ids: list[str], **options: Any
) -> list[multi.Report]:
    name = client.membership.provider
    with progress(_progress_console(args, console), "sync", {name: len(ids)}) as cb:
        result = await multi.sync(
            client, args.group, ids, dry_run=args.dry_run, on_progress=cb, **options
        )
    reports = [r for r in (result.added, result.removed) if r is not None]
    plan: dict[str, Any] = {
        "to_add": len(result.plan.to_add),
        "to_remove": len(result.plan.to_remove),
        "unchanged": result.plan.unchanged,
        "dry_run": args.dry_run,
    }
    if args.dry_run:
        plan["ids_to_add"] = list(result.plan.to_add)
        plan["ids_to_remove"] = list(result.plan.to_remove)
    if args.json:
        console.print_data({"plan": plan, "reports": [report_dict(r) for r in reports]})
        return reports
    console.print(
        f"sync plan: {plan['to_add']} to add, {plan['to_remove']} to remove, "
        f"{plan['unchanged']} unchanged" + (" (dry run: nothing changed)" if args.dry_run else "")
    )
    if args.dry_run:
        _show_ids(console, "ids to add", "+", result.plan.to_add)
        _show_ids(console, "ids to remove", "-", result.plan.to_remove)
    return reports


async def members(args: argparse.Namespace, console: SafeConsole) -> int:
    provider = providers.get(args.provider)
    ids_file = read_ids(args.ids_file, sys.stdin)
    check_ids(ids_file, args.action, args.ids_file)  # sync never takes a failures file
    ids = ids_file.ids
    if not ids and args.action != "sync":
        raise UsageError("the ids file holds no ids")
    # a dry run leaves the failures files alone; a run removes the last run's before it starts
    paths = {} if getattr(args, "dry_run", False) else failure_paths(args.failed_file, args.action)
    prepare(paths.values(), args.ids_file)
    out = _progress_console(args, console)
    options: dict[str, Any] = {"deadline": args.deadline}
    if args.journal and not getattr(args, "dry_run", False):
        options["journal"] = args.journal
    if args.concurrency:
        options["concurrency"] = args.concurrency
    async with _client_from_env(provider, args) as client:
        if args.action == "sync":
            reports = await _sync(args, console, client, ids, **options)
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
    for written in write(reports, paths, provider.name, args.group):
        out.print(
            f"{plural(written.count, 'id')} did not land; they are listed in "
            f"{out.vendor_text(written.path)}; re-run them with: {out.vendor_text(written.rerun)}",
            soft_wrap=True,  # one line, to copy
        )
    return job_exit_code(reports)
