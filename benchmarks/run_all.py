"""Run every benchmark, one process each, and print a summary table of every figure.

    python benchmarks/run_all.py [--only overhead,bulk,memory,vs_official,scaling,hardening,journal]
                                 [--markdown FILE]
    python benchmarks/run_all.py [--markdown FILE]
        [--only overhead,bulk,memory,vs_official,scaling,hardening,governor]

Each script prints its own figures with their target and PASS/MISS; this runner streams that
output, collects the figures (the scripts' ``BENCH-RESULT`` lines) and ends with one table,
the total run time and the machine. A MISS never fails the run (these are measurements); the
exit status is 1 only if a script crashed or ran out of its time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _fakes import RESULT_PREFIX, RESULTS_ENV, available_providers  # noqa: E402

#: (name, script, seconds it may take at most)
SCRIPTS = (
    ("overhead", "bench_overhead.py", 150),
    ("bulk", "bench_bulk.py", 180),
    ("memory", "bench_memory.py", 180),
    ("vs_official", "bench_vs_official.py", 240),
    ("scaling", "bench_scaling.py", 300),
    ("hardening", "bench_hardening.py", 180),
    ("journal", "bench_journal.py", 600),
    ("governor", "bench_governor.py", 180),
)


def _run_script(script: str, limit: float) -> tuple[list[dict[str, Any]], str | None]:
    """Run one script, echo its output, return its figures and an error (None if it ran)."""
    env = {**os.environ, RESULTS_ENV: "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, str(HERE / script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: on a timeout it goes with its children
    )
    figures: list[dict[str, Any]] = []
    deadline = time.monotonic() + limit
    timer_error: str | None = None
    assert process.stdout is not None

    def stop_on_deadline() -> None:
        nonlocal timer_error
        if process.poll() is None:
            timer_error = f"{script} did not finish within {limit:g}s; stopped"
            os.killpg(process.pid, signal.SIGTERM)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), stop_on_deadline)
    timer.daemon = True
    timer.start()
    try:
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                figures.append(json.loads(line[len(RESULT_PREFIX) :]))
            else:
                print(line, end="", flush=True)
        code = process.wait()
    finally:
        timer.cancel()
    if timer_error:
        return figures, timer_error
    if code != 0:
        return figures, f"{script} exited with status {code}"
    return figures, None


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| figure | value | target | result |", "|---|---|---|---|"]
    for row in rows:
        shown = str(row["shown"]).replace("|", "/")
        lines.append(f"| {row['figure']} | {shown} | {row['target']} | {row['status']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", help="comma-separated names: " + ", ".join(n for n, *_ in SCRIPTS)
    )
    parser.add_argument("--markdown", type=Path, help="also write the summary table to this file")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else {n for n, *_ in SCRIPTS}
    unknown = wanted - {n for n, *_ in SCRIPTS}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    providers = available_providers()
    print(f"contactgroups benchmarks, {when}")
    print(
        f"machine: nproc {os.cpu_count()}, {platform.machine()}, Python "
        f"{platform.python_version()}; providers: {', '.join(providers)}"
    )
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for name, script, limit in SCRIPTS:
        if name not in wanted:
            continue
        figures, error = _run_script(script, limit)
        rows.extend(figures)
        if error:
            errors.append(error)
            print(f"!! {error}", flush=True)
    total = time.perf_counter() - started

    table = _table(rows)
    print()
    print("Summary")
    print("=======")
    print(table)
    footer = (
        f"\n`python benchmarks/run_all.py` took {total:.0f}s on nproc {os.cpu_count()} "
        f"({platform.machine()}, Python {platform.python_version()}), {when}; "
        f"providers: {', '.join(providers)}."
    )
    print(footer)
    for error in errors:
        print(f"ERROR: {error}")
    if args.markdown:
        args.markdown.write_text(table + "\n" + footer + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
