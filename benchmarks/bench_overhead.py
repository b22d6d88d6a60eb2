"""Per-request overhead: the SDK vs a careful hand-written aiohttp call, same request, same fake.

The fakes run in another process with zero latency. For each request this process sends it
``--calls`` times through the SDK, then the same number of times raw, in alternating blocks
(``--rounds``), and measures the client's CPU time (``time.process_time``) per request. The
figure is the ratio SDK/raw of the fastest block of each (the least disturbed by the noisy
machine); the median of the per-round ratios is printed beside it.

The raw baseline is what a careful hand-written client does: one ``aiohttp.ClientSession``
(with a timeout) reused for every call, the same headers as the SDK (Accept, User-Agent, auth,
Content-Type), a status check, and the JSON answer parsed.

    python benchmarks/bench_overhead.py [--calls 400] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from _fakes import Fakes, FakeSpec, cpu_seconds, heading, median, report, run

from contactgroups._http import USER_AGENT

TARGET = 1.3

Call = Callable[[], Awaitable[Any]]


@dataclass
class Case:
    name: str
    sdk: Call
    raw: Call


async def _blocks(case: Case, calls: int, rounds: int) -> tuple[list[float], list[float]]:
    """Per-request CPU seconds of each SDK block and each raw block."""

    async def block(call: Call) -> float:
        gc.collect()
        started = cpu_seconds()
        for _ in range(calls):
            await call()
        return (cpu_seconds() - started) / calls

    for _ in range(max(20, calls // 5)):  # warm up both paths (connections, caches)
        await case.sdk()
        await case.raw()
    sdk: list[float] = []
    raw: list[float] = []
    for index in range(rounds):
        # alternate which goes first, so a slow patch of the machine hits both
        if index % 2:
            raw.append(await block(case.raw))
            sdk.append(await block(case.sdk))
        else:
            sdk.append(await block(case.sdk))
            raw.append(await block(case.raw))
    return sdk, raw


async def _main(calls: int, rounds: int) -> None:
    specs = [
        FakeSpec("messagebird", contacts=50),
        FakeSpec("messageflow", contacts=1000),
    ]
    with Fakes(specs) as fakes:
        mb_info, mf_info = fakes.info["messagebird"], fakes.info["messageflow"]
        mb_group, mb_ids = mb_info.group_id, mb_info.ids
        mf_group, mf_ids = mf_info.group_id, mf_info.ids
        mf_numbers = [int(i) for i in mf_ids]
        mb_base = mb_info.client_kwargs["base_url"]
        mf_base = mf_info.client_kwargs["base_url"]
        mb_headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Authorization": f"AccessKey {mb_info.client_kwargs['access_key']}",
        }
        mf_headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Authorization": mf_info.client_kwargs["authorization"],
            "Application-Key": mf_info.client_kwargs["application_key"],
        }

        timeout = aiohttp.ClientTimeout(total=30, sock_connect=10)
        async with (
            fakes.client("messagebird") as mb,
            fakes.client("messageflow") as mf,
            aiohttp.ClientSession(timeout=timeout) as session,
        ):

            async def raw_get_group() -> Any:
                async with session.get(f"{mb_base}/groups/{mb_group}", headers=mb_headers) as r:
                    body = await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"HTTP {r.status}")
                    return json.loads(body)

            async def raw_add_50() -> None:
                form = "&".join("ids[]=" + i for i in mb_ids)
                headers = {**mb_headers, "Content-Type": "application/x-www-form-urlencoded"}
                url = f"{mb_base}/groups/{mb_group}/contacts"
                async with session.put(url, data=form.encode(), headers=headers) as r:
                    await r.read()
                    if r.status != 204:
                        raise RuntimeError(f"HTTP {r.status}")

            async def raw_add_1000() -> Any:
                body = json.dumps({"id": mf_numbers}, separators=(",", ":")).encode()
                headers = {**mf_headers, "Content-Type": "application/json"}
                url = f"{mf_base}/group/{mf_group}/contact"
                async with session.post(url, data=body, headers=headers) as r:
                    answer = await r.read()
                    if r.status not in (200, 207):
                        raise RuntimeError(f"HTTP {r.status}")
                    return json.loads(answer)

            cases = [
                Case(
                    "MessageBird: get a group",
                    lambda: mb.groups.get(mb_group),
                    raw_get_group,
                ),
                Case(
                    "MessageBird: add 50 contacts to a group",
                    lambda: mb.groups.add_contacts(mb_group, mb_ids),
                    raw_add_50,
                ),
                Case(
                    "MessageFlow: add 1000 contacts to a group",
                    lambda: mf.groups.add_contacts(mf_group, mf_ids),
                    raw_add_1000,
                ),
            ]
            print(f"{calls} calls per block, {rounds} rounds of (SDK block, raw block) per request")
            print(f"{'request':45} {'SDK µs':>8} {'raw µs':>8} {'ratio':>6} {'median':>7}")
            for case in cases:
                sdk, raw = await _blocks(case, calls, rounds)
                best_sdk, best_raw = min(sdk), min(raw)
                ratio = best_sdk / best_raw
                per_round = median([s / r for s, r in zip(sdk, raw, strict=True)])
                print(
                    f"{case.name:45} {best_sdk * 1e6:8.0f} {best_raw * 1e6:8.0f} "
                    f"{ratio:6.2f} {per_round:7.2f}",
                    flush=True,
                )
                report(
                    f"Per-request overhead, {case.name}: client CPU SDK/raw",
                    ratio,
                    f"{ratio:.2f} ({best_sdk * 1e6:.0f} vs {best_raw * 1e6:.0f} µs CPU/request; "
                    f"median of rounds {per_round:.2f})",
                    f"<= {TARGET}",
                    ratio <= TARGET,
                )
        # the adds really happened (and the raw adds were the same request)
        assert fakes.member_count("messagebird") == len(mb_ids)
        assert fakes.member_count("messageflow") == len(mf_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="requests per block")
    parser.add_argument("--rounds", type=int, default=7, help="SDK/raw block pairs per request")
    args = parser.parse_args()
    heading("Per-request overhead: SDK vs raw aiohttp, zero latency")
    run(_main(args.calls, args.rounds))


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
