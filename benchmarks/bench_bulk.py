"""Bulk throughput: ``multi.add`` of 100,000 ids across the fakes.

With a fixed latency injected per request (20 ms), the best any client can do at the adapters'
default concurrency is bounded by the round trips: per provider ``ceil(calls / concurrency) x
latency``, the slowest provider bounding the job. The figure is the achieved wall time of the
job as ``multi.add`` runs it by default (``concurrency="adaptive"``: the governor may go past the
default, so it can beat that ideal) over that ideal (target <= 1.15). Beside it, the same calls
by hand-written aiohttp at the adapters' default concurrency (the raw floor) give the client CPU
per request SDK/raw (target <= 1.3: what ``multi`` and the core add per call), the SDK job then
run at that same fixed concurrency (``concurrency={provider: default}``) so both sides make the
same calls the same number at a time; the adaptive job's CPU ratio is printed too, as INFO.
Each repeat runs the fixed SDK job, the raw floor and the adaptive SDK job in turn, and each
ratio is the median of the SDK/raw pairs of one repeat. The same (adaptive) job at 0 ms latency
shows what the client itself sustains: requests per second, and requests per second of client
CPU (the client is one asyncio thread, so that is requests per second per core it uses).

The split of the ids (``SHARES``): MessageBird takes 50 ids per call at 8 calls at once (400 ids
per round trip), Messente 1 id per call at 10 (10 ids per round trip), MessageFlow 1000 at 4 and
Messengeo 500 at 4. An even split would leave Messente alone with 2,500 round trips (50 s of pure
latency) while the others finish in under a second, so Messente gets 1%: then MessageBird (40%)
and Messente both need exactly 100 round trips at 100,000 ids and bound the job together, and
MessageFlow (40%) and Messengeo (19%) run alongside them for their first tenth. Without a
Messengeo fake its share goes to MessageFlow.

    python benchmarks/bench_bulk.py [--ids 100000] [--latency 0.02] [--no-zero]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import sys
import time
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from _fakes import (
    Fakes,
    FakeSpec,
    available_providers,
    ceil_div,
    cpu_seconds,
    heading,
    median,
    peak_rss_mb,
    report,
    reset_peak_rss,
    rss_mb,
    run,
)

from contactgroups import multi, providers
from contactgroups._http import USER_AGENT

TARGET = 1.15
#: client CPU per request of the SDK's bulk job over the raw floor's, in the same run
CPU_TARGET = 1.3
SHARES = {"messagebird": 0.40, "messente": 0.01, "messageflow": 0.40, "messengeo": 0.19}
SUMMARY_PREFIX = "BULK-SUMMARY "


def split(total: int, providers: tuple[str, ...]) -> dict[str, int]:
    """``total`` ids over ``providers`` by ``SHARES`` (a missing provider's share and the
    rounding remainder go to MessageFlow)."""
    counts = {p: int(total * SHARES[p]) for p in providers if p != "messageflow"}
    counts["messageflow"] = total - sum(counts.values())
    return {p: counts[p] for p in providers}


async def bulk_add(
    total: int,
    latency: float,
    providers: tuple[str, ...],
    concurrency: multi.PerProviderConcurrency = multi.ADAPTIVE,
) -> dict[str, Any]:
    """Run one ``multi.add`` of ``total`` ids with ``latency`` per request at ``concurrency``
    (``multi.add``'s keyword); return the figures."""
    counts = split(total, providers)
    specs = [FakeSpec(p, latency=latency, contacts=counts[p]) for p in providers]
    seed_started = time.perf_counter()
    with Fakes(specs) as fakes:
        seed_seconds = time.perf_counter() - seed_started
        async with AsyncExitStack() as stack:
            clients = {p: await stack.enter_async_context(fakes.client(p)) for p in providers}
            ids = {p: fakes.info[p].ids for p in providers}
            gc.collect()
            fake_cpu_started = fakes.cpu_seconds()
            rss_before = rss_mb()
            can_reset = reset_peak_rss()
            cpu_started = cpu_seconds()
            started = time.perf_counter()
            targets = [multi.Target(clients[p], fakes.info[p].group_id, ids[p]) for p in providers]
            result = await multi.add(targets, concurrency=concurrency)
            wall = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_started
            peak = peak_rss_mb() if can_reset else max(rss_mb(), rss_before)
            # what the Report itself holds per id (one outcome per id, by design)
            fake_cpu = fakes.cpu_seconds() - fake_cpu_started
            report_mb = sys.getsizeof(result.ledger) / 2**20
            report_mb += sum(sys.getsizeof(t.ids) for t in result.targets) / 2**20
            landed = {p: fakes.member_count(p) for p in providers}
            per_provider = {}
            for target in result.targets:
                p = target.provider
                summary = result.providers[p]
                adapter = clients[p].membership
                calls_at_once = adapter.default_concurrency
                expected_calls = ceil_div(len(target.ids), adapter.max_add_per_call)
                per_provider[p] = {
                    "ids": len(target.ids),
                    "per_call": adapter.max_add_per_call,
                    "calls": summary.calls,
                    "expected_calls": expected_calls,
                    "requests": summary.requests,
                    "retries": summary.retries,
                    "concurrency": calls_at_once,
                    "ideal": ceil_div(summary.calls, calls_at_once) * latency,
                    "seconds": summary.seconds,
                    "landed": landed[p],
                    "failed": summary.failed,
                }
    ideal = max(v["ideal"] for v in per_provider.values())
    requests = sum(v["requests"] for v in per_provider.values())
    return {
        "ids": total,
        "latency": latency,
        "adaptive": concurrency == multi.ADAPTIVE,
        "providers": per_provider,
        "wall": wall,
        "cpu": cpu,
        "fake_cpu": fake_cpu,
        "ideal": ideal,
        "ratio": wall / ideal if ideal else None,
        "requests": requests,
        "ok": result.ok and all(v["landed"] == v["ids"] for v in per_provider.values()),
        "rss_before_mb": rss_before,
        "rss_growth_mb": peak - rss_before,
        "report_mb": report_mb,
        "seed_seconds": seed_seconds,
    }


async def raw_floor(total: int, latency: float, providers: tuple[str, ...]) -> dict[str, Any]:
    """The same calls at the same concurrency through hand-written aiohttp requests (one session,
    the same headers, the answer read and parsed, ``concurrency`` workers per provider pulling
    calls from one queue, as ``multi`` does): what the fakes, the loopback and aiohttp alone
    allow, to tell the SDK's share of any gap to the ideal from the rest."""
    raw_providers = tuple(p for p in providers if p in RAW_SIZES)
    counts = split(total, providers)
    specs = [FakeSpec(p, latency=latency, contacts=counts[p]) for p in raw_providers]
    with Fakes(specs) as fakes:
        timeout = aiohttp.ClientTimeout(total=30, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            probe = await _round_trip(session, fakes.info["messagebird"])
            jobs = {p: _raw_job(session, p, fakes.info[p]) for p in raw_providers}
            gc.collect()
            fake_cpu_started = fakes.cpu_seconds()
            cpu_started = cpu_seconds()
            started = time.perf_counter()
            took = dict(await asyncio.gather(*jobs.values()))
            wall = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_started
            fake_cpu = fakes.cpu_seconds() - fake_cpu_started
        landed = {p: fakes.member_count(p) for p in raw_providers}
    calls = {p: ceil_div(counts[p], RAW_SIZES[p][0]) for p in raw_providers}
    ideal = max(ceil_div(calls[p], RAW_SIZES[p][1]) * latency for p in raw_providers)
    return {
        "providers": raw_providers,
        "wall": wall,
        "cpu": cpu,
        "fake_cpu": fake_cpu,
        "ideal": ideal,
        "requests": sum(calls.values()),
        "took": took,
        "round_trip": probe,
        "ok": all(landed[p] == counts[p] for p in raw_providers),
    }


def _adapter_defaults() -> dict[str, tuple[int, int]]:
    """Ids per add call and calls at once, read from the SDK adapters (no request is sent)."""
    defaults = {}
    for provider in providers.PROVIDERS:
        client = provider.client(**{c.keyword: "unused" for c in provider.credentials})
        defaults[provider.name] = (
            client.membership.max_add_per_call,
            client.membership.default_concurrency,
        )
    return defaults


#: ids per call and concurrency of the raw floor: the SDK adapters' defaults
RAW_SIZES = _adapter_defaults()
#: ``concurrency=`` of the SDK job the CPU ratio is taken on: the raw floor's, fixed
FIXED = {provider: calls_at_once for provider, (_, calls_at_once) in RAW_SIZES.items()}


async def _round_trip(session: aiohttp.ClientSession, info: Any, calls: int = 40) -> float:
    """Seconds one request takes alone (a raw GET of the group, one after another, median)."""
    kw = info.client_kwargs
    url = f"{kw['base_url']}/groups/{info.group_id}"
    headers = {"Accept": "application/json", "Authorization": f"AccessKey {kw['access_key']}"}
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        async with session.get(url, headers=headers) as response:
            json.loads(await response.read())
        times.append(time.perf_counter() - started)
    return median(times[5:])


async def _raw_job(session: aiohttp.ClientSession, provider: str, info: Any) -> tuple[str, float]:
    kw = info.client_kwargs
    base, group = kw["base_url"], info.group_id
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    per_call, concurrency = RAW_SIZES[provider]
    if provider == "messagebird":
        headers["Authorization"] = f"AccessKey {kw['access_key']}"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif provider == "messente":
        token = base64.b64encode(f"{kw['username']}:{kw['password']}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif provider == "messageflow":
        headers["Authorization"] = kw["authorization"]
        headers["Application-Key"] = kw["application_key"]
        headers["Content-Type"] = "application/json"
    else:  # messengeo: one OAuth token first, as any client must
        form = {
            "grant_type": "client_credentials",
            "client_id": kw["client_id"],
            "client_secret": kw["client_secret"],
        }
        async with session.post(kw["token_url"], data=form, headers=headers) as response:
            token = (await response.json())["access_token"]
        headers["Authorization"] = f"Bearer {token}"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    ids = info.ids
    chunks = iter([ids[i : i + per_call] for i in range(0, len(ids), per_call)])

    async def call(chunk: list[str]) -> None:
        if provider == "messagebird":
            method, url = "PUT", f"{base}/groups/{group}/contacts"
            body: bytes | None = "&".join("ids[]=" + i for i in chunk).encode()
        elif provider == "messente":
            phone = quote(chunk[0], safe="")
            method, url, body = "POST", f"{base}/phonebook/groups/{group}/contacts/{phone}", None
        elif provider == "messageflow":
            method, url = "POST", f"{base}/group/{group}/contact"
            body = json.dumps({"id": [int(i) for i in chunk]}, separators=(",", ":")).encode()
        else:
            method, url = "POST", f"{base}/lists?action=contactadd"
            meta = json.dumps({"contactIds": chunk}, separators=(",", ":"))
            body = urlencode({"id": group, "metaData": meta}).encode()
        async with session.request(method, url, data=body, headers=headers) as response:
            answer = await response.read()
            if response.status >= 300:
                raise RuntimeError(f"{provider}: HTTP {response.status}")
            if answer:
                json.loads(answer)

    async def worker() -> None:
        for chunk in chunks:
            await call(chunk)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return provider, time.perf_counter() - started


def print_floor(floor: dict[str, Any], sdk: dict[str, Any], runs: list[float]) -> None:
    took = ", ".join(f"{p} {s:.2f}s" for p, s in floor["took"].items())
    ratio = floor["wall"] / floor["ideal"]
    alone = floor["round_trip"]
    print(
        f"  one raw request alone, one after another: {alone * 1000:.1f} ms round trip "
        f"= {alone / floor['latency']:.3f} x the injected latency (the floor of the ratio "
        "before any concurrency)"
    )
    print(
        f"  raw aiohttp floor ({', '.join(floor['providers'])}; same calls, same concurrency, "
        f"fresh fakes): wall {floor['wall']:.2f}s = {ratio:.3f} x ideal {floor['ideal']:.2f}s "
        f"({took}); fakes' CPU {floor['fake_cpu']:.2f}s; "
        f"client CPU {floor['cpu']:.2f}s for {floor['requests']} requests "
        f"= {1e6 * floor['cpu'] / floor['requests']:.0f} µs/request "
        f"(SDK + multi at the same concurrency: {1e6 * sdk['cpu'] / sdk['requests']:.0f} "
        "µs/request)" + ("" if floor["ok"] else "; NOT every id landed"),
        flush=True,
    )
    report(
        f"(reference) raw aiohttp floor of the same bulk job at {floor['latency'] * 1000:g} ms: "
        "achieved/ideal",
        ratio,
        f"{ratio:.3f} ({floor['wall']:.2f}s vs ideal {floor['ideal']:.2f}s, median of "
        f"{len(runs)} runs: {', '.join(f'{r:.3f}' for r in runs)}; client CPU "
        f"{1e6 * floor['cpu'] / floor['requests']:.0f} µs/request vs SDK fixed "
        f"{1e6 * sdk['cpu'] / sdk['requests']:.0f})",
        "none (what the fakes and aiohttp alone allow)",
        None,
    )


def cpu_per_request(figures: dict[str, Any]) -> float:
    """Client CPU seconds per request of one run."""
    return float(figures["cpu"]) / figures["requests"]


def report_cpu(sdk_runs: list[dict[str, Any]], floor_runs: list[dict[str, Any]]) -> None:
    """Client CPU per request, SDK over raw aiohttp: each SDK run against the raw run beside it
    (they alternate, so noise hits both), the median of those pairs. Only the SDK job at the raw
    floor's fixed concurrency is held to the target; the adaptive job's ratio is INFO."""
    pairs = sorted(
        (cpu_per_request(s) / cpu_per_request(f), s, f)
        for s, f in zip(sdk_runs, floor_runs, strict=True)
    )
    ratio, sdk, floor = pairs[len(pairs) // 2]
    each = ", ".join(f"{r:.2f}" for r, _, _ in pairs)
    shown = (
        f"{ratio:.2f} ({1e6 * cpu_per_request(sdk):.0f} vs {1e6 * cpu_per_request(floor):.0f} "
        f"µs CPU/request; median of {len(pairs)} SDK/raw pairs: {each})"
    )
    figure = f"Bulk add {sdk['ids']:,} ids at {sdk['latency'] * 1000:g} ms: client CPU per request"
    if sdk["adaptive"]:
        report(
            f"(reference) {figure} SDK adaptive (concurrency past the raw floor's)/raw",
            ratio,
            shown,
            "none (not the same concurrency as the raw floor)",
            None,
        )
    else:
        report(
            f"{figure} SDK/raw, same fixed concurrency",
            ratio,
            shown,
            f"<= {CPU_TARGET}",
            ratio <= CPU_TARGET,
        )


def print_run(figures: dict[str, Any]) -> None:
    latency_ms = figures["latency"] * 1000
    mode = (
        "adaptive concurrency (multi's default; conc. is where the governor starts)"
        if figures["adaptive"]
        else "fixed concurrency (the adapters' defaults, as the raw floor)"
    )
    print(
        f"{figures['ids']:,} ids, {latency_ms:g} ms latency per request, {mode} "
        f"(fakes seeded in {figures['seed_seconds']:.1f}s)"
    )
    print(
        f"  {'provider':12} {'ids':>8} {'ids/call':>8} {'calls':>6} {'requests':>8} "
        f"{'retries':>7} {'conc.':>5} {'ideal s':>8} {'took s':>7} {'landed':>8}"
    )
    for p, v in figures["providers"].items():
        print(
            f"  {p:12} {v['ids']:8,} {v['per_call']:8} {v['calls']:6} {v['requests']:8} "
            f"{v['retries']:7} {v['concurrency']:5} {v['ideal']:8.2f} {v['seconds']:7.2f} "
            f"{v['landed']:8,}"
        )
    print(
        f"  wall {figures['wall']:.2f}s, client CPU {figures['cpu']:.2f}s, "
        f"fakes' CPU {figures['fake_cpu']:.2f}s, "
        f"{figures['requests']} requests, every id landed: {figures['ok']}; "
        f"client RSS growth {figures['rss_growth_mb']:.1f} MB "
        f"(the Report's per-id outcome tables take {figures['report_mb']:.1f} MB)",
        flush=True,
    )


def report_latency(figures: dict[str, Any], runs: list[float]) -> None:
    """The achieved/ideal wall time: the target is on the job as ``multi.add`` runs it by default
    (adaptive); the fixed-concurrency job's figure is INFO (compare it with the raw floor's)."""
    ratio = figures["ratio"]
    ideal = figures["ideal"]
    bound = ", ".join(p for p, v in figures["providers"].items() if abs(v["ideal"] - ideal) < 1e-9)
    each = ", ".join(f"{r:.3f}" for r in runs)
    figure = (
        f"Bulk add {figures['ids']:,} ids at {figures['latency'] * 1000:g} ms: "
        "achieved/ideal wall time"
    )
    shown = (
        f"{ratio:.3f} ({figures['wall']:.2f}s vs ideal {ideal:.2f}s, bound by {bound}; "
        f"median of {len(runs)} runs: {each})" + ("" if figures["ok"] else "; NOT every id landed")
    )
    if figures["adaptive"]:
        report(
            figure + " (adaptive)", ratio, shown, f"<= {TARGET}", ratio <= TARGET and figures["ok"]
        )
    else:
        report(
            f"(reference) {figure}, SDK at the raw floor's fixed concurrency",
            ratio,
            shown,
            "none (compare with the raw floor's)",
            None,
        )


def report_zero(figures: dict[str, Any]) -> None:
    per_cpu = figures["requests"] / figures["cpu"]
    per_wall = figures["requests"] / figures["wall"]
    report(
        f"Bulk add {figures['ids']:,} ids at 0 ms: requests per second per core",
        per_cpu,
        f"{per_cpu:,.0f} requests per client CPU-second ({per_wall:,.0f} req/s wall, "
        f"{figures['ids'] / figures['wall']:,.0f} ids/s; client used "
        f"{100 * figures['cpu'] / figures['wall']:.0f}% of one core)",
        "reported (no target)",
        None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.020, help="seconds per request")
    parser.add_argument("--no-zero", action="store_true", help="skip the 0 ms run")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw aiohttp floor")
    parser.add_argument("--repeats", type=int, default=3, help="runs at --latency (median)")
    parser.add_argument(
        "--summary", action="store_true", help="print the figures as one JSON line (for scaling)"
    )
    args = parser.parse_args()
    providers = available_providers()
    if args.summary:
        figures = run(bulk_add(args.ids, args.latency, providers))
        print(SUMMARY_PREFIX + json.dumps(figures), flush=True)
        return
    heading("Bulk throughput: multi.add across the fakes (adaptive, and fixed at the defaults)")
    missing = sorted(set(SHARES) - set(providers))
    if missing:
        print(f"not available (not measured): {', '.join(missing)}")
    counts = split(args.ids, providers)
    print("split: " + ", ".join(f"{p} {n:,}" for p, n in counts.items()))
    fixed = {p: FIXED[p] for p in providers}
    fixed_runs: list[dict[str, Any]] = []
    floor_runs: list[dict[str, Any]] = []
    adaptive_runs: list[dict[str, Any]] = []
    for index in range(args.repeats):  # the SDK jobs and the raw floor alternate: noise hits all
        fixed_runs.append(run(bulk_add(args.ids, args.latency, providers, fixed)))
        line = f"run {index + 1}: SDK fixed {fixed_runs[-1]['ratio']:.3f} x ideal"
        if not args.no_raw:
            floor_runs.append(run(raw_floor(args.ids, args.latency, providers)))
            floor_runs[-1]["latency"] = args.latency
            line += f", raw floor {floor_runs[-1]['wall'] / floor_runs[-1]['ideal']:.3f} x ideal"
        adaptive_runs.append(run(bulk_add(args.ids, args.latency, providers)))
        line += f", SDK adaptive {adaptive_runs[-1]['ratio']:.3f} x ideal"
        print(line, flush=True)
    medians = {}
    for name, runs in (("adaptive", adaptive_runs), ("fixed", fixed_runs)):
        medians[name] = sorted(runs, key=lambda f: f["ratio"])[len(runs) // 2]
        print(f"the median SDK run, {name}:")
        print_run(medians[name])
        report_latency(medians[name], [f["ratio"] for f in runs])
    if floor_runs:
        floor = sorted(floor_runs, key=lambda f: f["wall"] / f["ideal"])[len(floor_runs) // 2]
        print_floor(floor, medians["fixed"], [f["wall"] / f["ideal"] for f in floor_runs])
        report_cpu(fixed_runs, floor_runs)
        report_cpu(adaptive_runs, floor_runs)
    if not args.no_zero:
        print()
        zero = run(bulk_add(args.ids, 0.0, providers))
        print_run(zero)
        report_zero(zero)
    print(f"(cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
