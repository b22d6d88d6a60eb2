"""Scaling: the bulk figure at 10k, 100k and 1M ids, to show time grows linearly, memory not.

Each size runs ``bench_bulk.py --summary`` in a fresh process (so each RSS figure starts clean),
with the same split and 20 ms latency. Printed per size: ideal and achieved wall time, their
ratio, wall time per 1000 ids, client CPU, and the client's peak RSS growth, split into the
``Report``'s own per-id outcome tables (one outcome per id is the contract of ``multi``, so they
grow with the ids by design) and everything else (in-flight calls, buffers, sessions), which
must not grow with the ids.

- time: linear if the wall time per id at 1M is at most 1.15x that at 100k.
- memory: constant if the growth besides the Report's per-id tables stays under 50 MB at every
  size.

    python benchmarks/bench_scaling.py [--sizes 10000,100000,1000000] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _fakes import heading, report

HERE = Path(__file__).resolve().parent
SUMMARY_PREFIX = "BULK-SUMMARY "
LINEAR_TARGET = 1.15
MEMORY_TARGET_MB = 50.0


def _one(size: int, latency: float, timeout: float) -> dict[str, Any]:
    command = [
        sys.executable,
        str(HERE / "bench_bulk.py"),
        "--ids",
        str(size),
        "--latency",
        str(latency),
        "--summary",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(SUMMARY_PREFIX):
            figures: dict[str, Any] = json.loads(line[len(SUMMARY_PREFIX) :])
            return figures
    raise RuntimeError(
        f"bench_bulk.py --ids {size} gave no summary (exit {done.returncode}):\n"
        + done.stderr[-2000:]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--timeout", type=float, default=240, help="seconds per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    heading("Scaling: multi.add at 10k, 100k and 1M ids")
    print(
        f"{args.latency * 1000:g} ms latency per request, default concurrency, split as bench_bulk"
    )
    print(
        f"{'ids':>10} {'ideal s':>8} {'wall s':>8} {'ratio':>6} {'ms/1k ids':>9} "
        f"{'CPU s':>6} {'RSS +MB':>8} {'Report MB':>9} {'other MB':>8} {'landed':>6}"
    )
    results: dict[int, dict[str, Any]] = {}
    for size in sizes:
        figures = _one(size, args.latency, args.timeout)
        results[size] = figures
        other = figures["rss_growth_mb"] - figures["report_mb"]
        print(
            f"{size:10,} {figures['ideal']:8.2f} {figures['wall']:8.2f} {figures['ratio']:6.3f} "
            f"{1e6 * figures['wall'] / size:9.1f} {figures['cpu']:6.2f} "
            f"{figures['rss_growth_mb']:8.1f} {figures['report_mb']:9.1f} {other:8.1f} "
            f"{'yes' if figures['ok'] else 'NO':>6}",
            flush=True,
        )
    for size, figures in results.items():
        report(
            f"Scaling: bulk add {size:,} ids at {args.latency * 1000:g} ms: achieved/ideal",
            figures["ratio"],
            f"{figures['ratio']:.3f} ({figures['wall']:.2f}s vs ideal {figures['ideal']:.2f}s; "
            f"RSS +{figures['rss_growth_mb']:.0f} MB, of which Report "
            f"{figures['report_mb']:.0f} MB)",
            "<= 1.15",
            figures["ratio"] <= 1.15 and figures["ok"],
        )
    if len(results) >= 2:
        small, large = sorted(results)[-2:]
        per_id = {s: results[s]["wall"] / s for s in (small, large)}
        growth = per_id[large] / per_id[small]
        report(
            f"Scaling: wall time per id, {large:,} vs {small:,} ids (linear = 1.0)",
            growth,
            f"{growth:.3f} ({1e6 * per_id[large]:.1f} vs {1e6 * per_id[small]:.1f} µs per id)",
            f"<= {LINEAR_TARGET}",
            growth <= LINEAR_TARGET,
        )
        others = {s: r["rss_growth_mb"] - r["report_mb"] for s, r in results.items()}
        worst = max(others.values())
        report(
            "Scaling: client RSS growth besides the Report's per-id tables, largest over sizes",
            worst,
            f"{worst:.1f} MB ("
            + ", ".join(f"{s:,}: {mb:.1f}" for s, mb in others.items())
            + "; total growth "
            + ", ".join(f"{s:,}: {r['rss_growth_mb']:.0f}" for s, r in results.items())
            + " MB)",
            f"< {MEMORY_TARGET_MB:g} MB at every size",
            worst < MEMORY_TARGET_MB,
        )


if __name__ == "__main__":
    main()
