"""The commands on a PostgreSQL journal: ``jobs submit|status|report`` and ``worker``.

A job is submitted once (its id printed), run by any number of ``contactgroups worker`` processes
(each reads its accounts' credentials from its own environment; SIGTERM finishes the chunks in
hand and exits 0), and read back with ``jobs status`` or ``jobs report``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import anyio

from .. import multi
from ..errors import InvalidRequestError
from ..multi.accounts import client_from_env
from ._console import SafeConsole
from ._exits import ConfigError, Exit, UsageError, job_exit_code
from ._failures import read_ids
from ._output import report_dict, report_table

__all__ = ["jobs_report", "jobs_status", "jobs_submit", "worker"]


async def jobs_submit(args: argparse.Namespace, console: SafeConsole) -> int:
    ids = read_ids(args.ids_file, sys.stdin).ids
    if not ids:
        raise UsageError("the ids file holds no ids")
    account = args.account or args.provider
    try:
        client = client_from_env(account, args.provider)
    except InvalidRequestError as error:
        raise ConfigError(str(error)) from None
    async with client:  # type: ignore[attr-defined]
        target = multi.Target(client, args.group, ids)
        job = await multi.submit(
            args.journal,
            args.action,
            [target],
            accounts={account: client},
            caps=args.cap,
            rounds=args.rounds,
        )
    if args.json:
        console.print_data({"job": job, "account": account, "ids": len(target.ids)})
    else:
        console.print(job)
    return Exit.DONE


async def jobs_status(args: argparse.Namespace, console: SafeConsole) -> int:
    status = await multi.job_status(args.journal, args.job)
    if args.json:
        console.print_data(status.to_dict())
        return Exit.DONE
    outcomes = ", ".join(f"{n} {name}" for name, n in sorted(status.outcomes.items()))
    chunks = ", ".join(f"{n} {name}" for name, n in sorted(status.chunks.items()))
    console.print(f"job {status.job}: {status.action}, {status.state}")
    console.print(f"  ids: {outcomes}")
    console.print(f"  chunks: {chunks}")
    for account, left in sorted(status.paused.items()):
        console.print(f"  account {account} paused for {left:.1f} s more (the vendor's 429)")
    console.print(f"  workers seen in the last minute: {status.workers}")
    return Exit.DONE


async def jobs_report(args: argparse.Namespace, console: SafeConsole) -> int:
    report = await anyio.to_thread.run_sync(multi.Report.load, args.journal, args.job)
    if args.json:
        console.print_data(report_dict(report))
    else:
        console.print(report_table(report, f"job {args.job} {report.action}"))
    return int(job_exit_code([report]))


async def worker(args: argparse.Namespace, console: SafeConsole) -> int:
    stop = anyio.Event()
    loop = asyncio.get_running_loop()
    watched = (signal.SIGTERM, signal.SIGINT)
    for number in watched:  # no new chunks; the ones in hand are finished and recorded
        loop.add_signal_handler(number, stop.set)
    try:
        chunks = await multi.work(
            args.journal,
            job=args.job,
            slots=args.slots,
            lease=args.lease,
            until_done=args.until_done,
            stop=stop,
        )
    finally:
        for number in watched:
            loop.remove_signal_handler(number)
    if args.json:
        console.print_data({"chunks": chunks})
    else:
        console.print(f"worker stopped: {chunks} chunks recorded")
    return Exit.DONE
