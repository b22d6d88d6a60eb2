"""The journal's cost (issue 15): its overhead on the bulk job, and a 10,000,000-id journaled job.

(a) The 100,000-id ``multi.add`` of ``bench_bulk.py`` (same split over the four fakes, default
concurrency, 20 ms per request), without and with ``journal=``, alternating, fresh fakes each
run: the median over the pairs of with/without wall time (target: the journal adds at most
10%), and the ratio of the medians beside it.

(b) A 10,000,000-id journaled ``multi.add`` at MessageFlow (1000 ids per call), 0 ms latency,
the ids passed as an iterator (streamed into the journal, never held): this process's peak RSS
(the fake runs in its own process; ``VmHWM``) and ids per second, ingest included (target: peak
RSS under 250 MB). ``--quick``: 1,000,000 ids.

    python benchmarks/bench_journal.py [--quick] [--ids N] [--repeats 3] [--no-big]
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from _fakes import (
    Fakes,
    FakeSpec,
    available_providers,
    heading,
    median,
    peak_rss_mb,
    report,
    rss_mb,
    run,
)
from bench_bulk import split

from contactgroups import multi

OVERHEAD_TARGET = 1.10
RSS_TARGET_MB = 250.0
FIRST_MESSAGEFLOW_ID = 100001  # the MessageFlow fake numbers its contacts from here


async def bulk_add(total: int, latency: float, journal: Path | None) -> dict[str, Any]:
    """``bench_bulk.py``'s job (the same split, default concurrency), optionally journaled."""
    providers = available_providers()
    counts = split(total, providers)
    specs = [FakeSpec(p, latency=latency, contacts=counts[p]) for p in providers]
    with Fakes(specs) as fakes:
        async with AsyncExitStack() as stack:
            clients = {p: await stack.enter_async_context(fakes.client(p)) for p in providers}
            targets = [
                multi.Target(clients[p], fakes.info[p].group_id, fakes.info[p].ids)
                for p in providers
            ]
            gc.collect()
            started = time.perf_counter()
            result = await multi.add(targets, journal=journal)
            wall = time.perf_counter() - started
        landed = sum(fakes.member_count(p) for p in providers)
    return {"wall": wall, "ok": result.ok and landed == total, "calls": result_calls(result)}


def result_calls(result: multi.Report) -> int:
    return sum(summary.calls for summary in result.providers.values())


def overhead(total: int, latency: float, repeats: int, workdir: Path) -> None:
    plain: list[float] = []
    journaled: list[float] = []
    ok = True
    for index in range(repeats):
        figures = run(bulk_add(total, latency, None))
        plain.append(figures["wall"])
        ok &= figures["ok"]
        journal = workdir / f"overhead-{index}.db"
        figures = run(bulk_add(total, latency, journal))
        journaled.append(figures["wall"])
        ok &= figures["ok"]
        print(
            f"run {index + 1}: without journal {plain[-1]:.2f}s, with journal "
            f"{journaled[-1]:.2f}s ({journaled[-1] / plain[-1]:.3f}x; "
            f"{figures['calls']} calls)",
            flush=True,
        )
    # each journaled run against the run without beside it (they alternate): the median of the
    # pairs, as bench_bulk.py takes its CPU ratio, is the figure; the ratio of medians beside it
    pairs = sorted(j / p for j, p in zip(journaled, plain, strict=True))
    ratio = median(pairs)
    report(
        f"Journal overhead, bulk add {total:,} ids at {latency * 1000:g} ms: wall time "
        "with/without journal",
        ratio,
        f"{ratio:.3f} (median of {repeats} alternating pairs: "
        f"{', '.join(f'{r:.3f}' for r in pairs)};"
        f" medians {median(journaled):.2f}s with vs {median(plain):.2f}s without, ratio "
        f"{median(journaled) / median(plain):.3f}; with {', '.join(f'{w:.2f}' for w in journaled)};"
        f" without {', '.join(f'{w:.2f}' for w in plain)})"
        + ("" if ok else "; NOT every id landed"),
        f"<= {OVERHEAD_TARGET}",
        ratio <= OVERHEAD_TARGET and ok,
    )


def streamed_ids(total: int) -> Iterator[str]:
    """The fake's contact ids, one at a time (never a list of them)."""
    return (str(i) for i in range(FIRST_MESSAGEFLOW_ID, FIRST_MESSAGEFLOW_ID + total))


async def big_job(total: int, workdir: Path) -> dict[str, Any]:
    spec = FakeSpec("messageflow", latency=0.0, contacts=total, return_ids=False)
    with Fakes([spec], max_seconds=3600) as fakes:
        journal = workdir / "big.db"
        async with fakes.client("messageflow") as client:
            gc.collect()
            rss_before = rss_mb()
            ingested: list[float] = []

            def on_progress(progress: multi.Progress) -> None:
                if not ingested:  # the first call's answer: the ingest is over by then
                    ingested.append(time.perf_counter())

            started = time.perf_counter()
            target = multi.Target(client, fakes.info["messageflow"].group_id, streamed_ids(total))
            result = await multi.add([target], journal=journal, on_progress=on_progress)
            wall = time.perf_counter() - started
        landed = fakes.member_count("messageflow")
        size_mb = journal.stat().st_size / 2**20
    return {
        "ids": total,
        "wall": wall,
        "ingest": (ingested[0] - started) if ingested else None,
        "peak_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "ok": result.ok and landed == total,
        "calls": result_calls(result),
        "journal_mb": size_mb,
    }


def big(total: int, workdir: Path) -> None:
    figures = run(big_job(total, workdir))
    rate = figures["ids"] / figures["wall"]
    ingest = figures["ingest"]
    print(
        f"{total:,} ids in {figures['wall']:.1f}s ({figures['calls']:,} calls; the ingest and the "
        f"first call {ingest:.1f}s), journal file {figures['journal_mb']:.0f} MB, "
        f"RSS before the job {figures['rss_before_mb']:.0f} MB, every id landed: {figures['ok']}",
        flush=True,
    )
    peak = figures["peak_mb"]
    report(
        f"Journaled bulk add of {total:,} streamed ids at 0 ms (MessageFlow): peak RSS",
        peak,
        f"{peak:.0f} MB ({rate:,.0f} ids/s, {figures['wall']:.1f}s in all)"
        + ("" if figures["ok"] else "; NOT every id landed"),
        f"< {RSS_TARGET_MB:g} MB",
        peak < RSS_TARGET_MB and figures["ok"],
    )
    report(
        f"Journaled bulk add of {total:,} streamed ids at 0 ms (MessageFlow): ids per second",
        rate,
        f"{rate:,.0f} ids/s ({figures['wall']:.1f}s, ingest included)",
        "reported (no target)",
        None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", type=int, default=100_000, help="ids of the overhead job")
    parser.add_argument("--latency", type=float, default=0.020, help="seconds per request")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (median)")
    parser.add_argument("--big", type=int, default=10_000_000, help="ids of the big job")
    parser.add_argument("--quick", action="store_true", help="the big job with 1,000,000 ids")
    parser.add_argument("--no-big", action="store_true", help="skip the big job")
    parser.add_argument("--no-overhead", action="store_true", help="skip the overhead runs")
    args = parser.parse_args()
    heading("The journal: overhead on the bulk job, and a streamed 10M-id job")
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as tmp:
        workdir = Path(tmp)
        if not args.no_overhead:
            overhead(args.ids, args.latency, args.repeats, workdir)
        if not args.no_big:
            big(1_000_000 if args.quick else args.big, workdir)
    print(f"(cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
