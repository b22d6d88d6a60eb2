"""The throughput governor against vendors whose limit the SDK is not told, measured.

A child process (this script with ``--serve``) runs three loopback vendors shaped like Messente's
add-to-group call (``POST .../groups/{group}/contacts/{phone}``, one phone a call, 20 ms each);
this process runs ``multi.add`` against each with the default options (``concurrency="adaptive"``)
and, for reference, with today's fixed default (16 calls at once for Messente):

- **token bucket**: 150 calls/s (a burst of 10), beyond it ``429`` with ``Retry-After`` (the
  seconds until the next token, to the hundredth). Targets: achieved rate >= 90% of the hidden
  limit, 429s <= 3% of calls, every id landed.
- **capacity**: 24 calls served at once, the rest queue (latency grows with load). Targets: the
  calls in flight settle within 0.8 .. 1.5x the capacity (their time-weighted mean at the vendor
  over the second half of the job), the throughput >= 90% of what the capacity allows, no
  timeout.
- **no limit**: targets: adaptive at least as fast as the fixed default, and the limit reaches
  ``max_concurrency`` (64).

    python benchmarks/bench_governor.py [--quick] [--capacity 24] [--latency 0.020]

``--capacity`` and ``--latency`` change the vendors' shape (every vendor's latency), to check
that the governor is not fitted to one pair.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import statistics
import sys
import time
from typing import Any

import aiohttp
from _fakes import ServedChild, heading, report, run
from aiohttp import web

from contactgroups import errors, messente, multi
from contactgroups.multi import Outcome, Target

# the capacity vendor's shape; --capacity/--latency change it (for the child too, through the
# environment) to check that the governor is not tuned to one pair
LATENCY = float(os.environ.get("BENCH_GOVERNOR_LATENCY", "0.020"))
CAPACITY = int(os.environ.get("BENCH_GOVERNOR_CAPACITY", "24"))
BUCKET_RATE = 150.0
BUCKET_BURST = 10.0
GROUP = "g1"

# -- the vendors (the child process) -------------------------------------------------------------


class Vendor:
    """One loopback vendor: how it limits, and what it saw."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.reset()

    def reset(self) -> None:
        self.calls = 0
        self.refused = 0
        self.landed: set[str] = set()
        self.in_flight = 0
        self.peak = 0
        self.samples: list[int] = []
        self.changes: list[tuple[float, int]] = []  # (when, in flight after) at every change
        self.tokens = BUCKET_BURST
        self.refilled = time.monotonic()
        self.served = asyncio.Semaphore(CAPACITY)

    def take_token(self) -> float | None:
        """None if a token was taken, else the seconds until the next one."""
        now = time.monotonic()
        self.tokens = min(BUCKET_BURST, self.tokens + (now - self.refilled) * BUCKET_RATE)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / BUCKET_RATE

    async def add(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.in_flight += 1
        self.changes.append((time.monotonic(), self.in_flight))
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.kind == "bucket":
                wait = self.take_token()
                await asyncio.sleep(LATENCY)
                if wait is not None:
                    self.refused += 1
                    after = f"{math.ceil(wait * 100) / 100:.2f}"
                    return web.json_response(
                        {"errors": [{"title": "Too many requests"}]},
                        status=429,
                        headers={"Retry-After": after},
                    )
            elif self.kind == "capacity":
                async with self.served:
                    await asyncio.sleep(LATENCY)
            else:
                await asyncio.sleep(LATENCY)
            self.landed.add(request.match_info["phone"])
            return web.json_response({}, status=201)
        finally:
            self.in_flight -= 1
            self.changes.append((time.monotonic(), self.in_flight))

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": self.calls,
                "refused": self.refused,
                "landed": sorted(self.landed),
                "peak": self.peak,
                "samples": self.samples,
                "mean_second_half": _time_weighted(self.changes),
            }
        )

    async def reset_view(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({})

    async def sample(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            if self.in_flight:
                self.samples.append(self.in_flight)


def _time_weighted(changes: list[tuple[float, int]]) -> float:
    """The time-weighted mean of the calls in flight over the second half of the job's time."""
    if len(changes) < 2:
        return 0.0
    half = (changes[0][0] + changes[-1][0]) / 2
    area = 0.0
    for (when, count), (after, _) in itertools.pairwise(changes):
        if after > half:
            area += count * (after - max(when, half))
    return area / (changes[-1][0] - half)


async def _serve() -> None:
    ports: dict[str, int] = {}
    runners = []
    tasks = []
    for kind in ("bucket", "capacity", "unlimited"):
        vendor = Vendor(kind)
        app = web.Application()
        app.router.add_post("/v1/phonebook/groups/{group}/contacts/{phone}", vendor.add)
        app.router.add_get("/_stats", vendor.stats)
        app.router.add_post("/_reset", vendor.reset_view)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports[kind] = runner.addresses[0][1]
        runners.append(runner)
        tasks.append(asyncio.create_task(vendor.sample()))
    print(json.dumps(ports), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF
    for task in tasks:
        task.cancel()
    for runner in runners:
        await runner.cleanup()


# -- measuring (this process) ---------------------------------------------------------------------


class Vendors(ServedChild):
    def __init__(self) -> None:
        super().__init__(__file__)
        self.ports: dict[str, int] = self.info

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.ports[kind]}"

    async def stats(self, kind: str) -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{self.url(kind)}/_stats") as answer:
                result: dict[str, Any] = await answer.json()
            async with session.post(f"{self.url(kind)}/_reset"):
                pass
        return result


def phones(n: int) -> list[str]:
    return [f"+37250{i:06d}" for i in range(n)]


async def job(vendors: Vendors, kind: str, n: int, **options: Any) -> dict[str, Any]:
    """One ``multi.add`` of ``n`` phones; its time, report, governor and the vendor's view."""
    ids = phones(n)
    highest = 0.0
    async with messente.Client(
        username="bench", password="bench", base_url=vendors.url(kind) + "/v1"
    ) as client:
        governor = client._transport.governor

        async def watch() -> None:
            nonlocal highest
            while True:
                highest = max(highest, governor.limit)
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        started = time.perf_counter()
        result = await multi.add([Target(client, GROUP, ids)], verify=False, **options)
        seconds = time.perf_counter() - started
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    seen = await vendors.stats(kind)
    added = sum(1 for i in ids if result.outcome(0, i) is Outcome.ADDED)
    timeouts = sum(1 for i in ids if isinstance(result.error(0, i), errors.TimeoutError))
    return {
        "seconds": seconds,
        "added": added,
        "all_landed": added == n and set(seen["landed"]) == set(ids),
        "calls": seen["calls"],
        "refused": seen["refused"],
        "peak": seen["peak"],
        "samples": seen["samples"],
        "mean_second_half": seen["mean_second_half"],
        "limit_end": governor.limit,
        "limit_highest": highest,
        "overloads": governor.overloads,
        "timeouts": timeouts,
    }


def _settled(samples: list[int]) -> float:
    """The median of the second half of the vendor's in-flight samples (every 10 ms)."""
    return statistics.median(samples[len(samples) // 2 :]) if samples else 0.0


def line(kind: str, label: str, got: dict[str, Any]) -> None:
    print(
        f"  {kind:9} {label:8} {got['seconds']:6.2f}s  {got['added']} added, "
        f"{got['calls']} calls, {got['refused']} refused (429), peak in flight {got['peak']}, "
        f"limit highest {got['limit_highest']:.1f} end {got['limit_end']:.1f}, "
        f"{got['timeouts']} timeouts",
        flush=True,
    )


async def measure(quick: bool) -> None:
    vendors = Vendors()
    try:
        # -- a token bucket: 150 calls/s, 429 + Retry-After beyond --------------------------
        n = 900 if quick else 3000
        adaptive = await job(vendors, "bucket", n)
        fixed = await job(vendors, "bucket", n, concurrency=16)
        line("bucket", "adaptive", adaptive)
        line("bucket", "fixed 16", fixed)
        rate = adaptive["added"] / adaptive["seconds"]
        share = adaptive["refused"] / adaptive["calls"]
        report(
            f"Token bucket {BUCKET_RATE:g} calls/s (hidden), {n} ids: achieved/limit",
            rate / BUCKET_RATE,
            f"{rate / BUCKET_RATE:.3f} ({rate:.1f} calls/s; fixed 16: "
            f"{fixed['added'] / fixed['seconds'] / BUCKET_RATE:.3f})",
            ">= 0.90",
            rate / BUCKET_RATE >= 0.90,
        )
        report(
            f"Token bucket {BUCKET_RATE:g} calls/s: 429s per call",
            share,
            f"{share:.2%} ({adaptive['refused']} of {adaptive['calls']}; fixed 16: "
            f"{fixed['refused'] / fixed['calls']:.2%})",
            "<= 3%",
            share <= 0.03,
        )
        report(
            "Token bucket: every id landed",
            float(adaptive["all_landed"]),
            f"{adaptive['added']} of {n} added, all at the vendor: {adaptive['all_landed']}",
            "all",
            bool(adaptive["all_landed"]),
        )

        # -- a capacity: 24 served at once, the rest queue ----------------------------------
        n = 2000 if quick else 6000
        adaptive = await job(vendors, "capacity", n)
        fixed = await job(vendors, "capacity", n, concurrency=64)
        line("capacity", "adaptive", adaptive)
        line("capacity", "fixed 64", fixed)
        settled = adaptive["mean_second_half"]
        throughput = adaptive["added"] / adaptive["seconds"] / (CAPACITY / LATENCY)
        report(
            f"Capacity {CAPACITY} at once (hidden), {n} ids: settled in flight/capacity",
            settled / CAPACITY,
            f"{settled / CAPACITY:.2f} (mean {settled:.1f} in flight over the second half of the "
            f"job's time, sampled median {_settled(adaptive['samples']):g}; fixed 64 keeps "
            f"{fixed['mean_second_half']:.1f})",
            "0.8 .. 1.5",
            0.8 <= settled / CAPACITY <= 1.5,
        )
        report(
            f"Capacity {CAPACITY}: throughput/capacity, timeouts",
            throughput,
            f"{throughput:.3f} ({adaptive['added'] / adaptive['seconds']:.0f} calls/s of "
            f"{CAPACITY / LATENCY:.0f}); {adaptive['overloads']} attempts timed out, "
            f"{adaptive['timeouts']} ids failed on one",
            ">= 0.90 and 0 timeouts",
            throughput >= 0.90 and adaptive["overloads"] == 0 and adaptive["all_landed"],
        )
        versus = (adaptive["added"] / adaptive["seconds"]) / (fixed["added"] / fixed["seconds"])
        report(
            f"Capacity {CAPACITY}: adaptive throughput / fixed 64 throughput (same run)",
            versus,
            f"{versus:.3f} (what the machine let the vendor serve; in flight "
            f"{settled:.1f} vs {fixed['mean_second_half']:.1f})",
            ">= 0.90",
            versus >= 0.90,
        )

        # -- no limit ------------------------------------------------------------------------
        n = 3000 if quick else 8000
        fixed = await job(vendors, "unlimited", n, concurrency=16)
        adaptive = await job(vendors, "unlimited", n)
        line("unlimited", "adaptive", adaptive)
        line("unlimited", "fixed 16", fixed)
        speedup = fixed["seconds"] / adaptive["seconds"]
        report(
            f"No limit, {n} ids: fixed default (16) time / adaptive time",
            speedup,
            f"{speedup:.2f}x ({fixed['seconds']:.2f}s vs {adaptive['seconds']:.2f}s)",
            ">= 1.0",
            speedup >= 1.0,
        )
        report(
            "No limit: highest limit reached / max_concurrency",
            adaptive["limit_highest"] / 64,
            f"{adaptive['limit_highest']:.0f} of 64 (peak {adaptive['peak']} in flight at the "
            "vendor)",
            "reaches 64",
            adaptive["limit_highest"] >= 64,
        )
    finally:
        vendors.close()


def main() -> None:
    global CAPACITY, LATENCY
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer ids (about a third)")
    parser.add_argument("--capacity", type=int, help=f"the capacity vendor's (default {CAPACITY})")
    parser.add_argument("--latency", type=float, help=f"seconds a call (default {LATENCY:g})")
    args = parser.parse_args()
    if args.capacity is not None:
        CAPACITY = args.capacity
        os.environ["BENCH_GOVERNOR_CAPACITY"] = str(CAPACITY)  # for the child
    if args.latency is not None:
        LATENCY = args.latency
        os.environ["BENCH_GOVERNOR_LATENCY"] = str(LATENCY)
    if args.serve:
        run(_serve())
        return
    heading("Throughput governor: vendors with a limit the SDK is not told")
    # the figures depend on a quiet machine: the vendors' latency is the signal measured
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    run(measure(args.quick))
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
