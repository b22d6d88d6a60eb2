"""Hostile vendors: what a buggy or malicious server can cost a client, measured.

A child process (this script with ``--serve``) runs hostile HTTP servers on 127.0.0.1, a
Messengeo fake among them, and counts every request it gets; this process drives the SDK against
them with its default options and measures:

- peak RSS growth while a 64 MiB answer, and a 63 KiB gzip answer that inflates to 64 MiB, are
  refused (target: within the 16 MiB answer cap plus 16 MiB);
- listings that never end (a server that ignores the offset, repeats a page, grows its total,
  serves full pages forever without a total, or moves backwards): requests sent after the point
  where the trap became visible (target: at most 3);
- a MessageFlow ``202`` with ``Retry-After: 0`` for ever: polls per second (target: at most 1);
- a 40-call Messengeo bulk add while its token endpoint answers 503: token requests (target:
  at most 8);
- ``timeout=1`` against a server that always answers 503 after 0.3 s: seconds until the call
  raises (target: at most 1.2).

    python benchmarks/bench_hardening.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import gzip
import json
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

import aiohttp
import anyio
from _fakes import ServedChild, heading, peak_rss_mb, report, reset_peak_rss, rss_mb, run
from aiohttp import web

from contactgroups import ContactGroupsError, messagebird, messageflow, messengeo, multi
from contactgroups._http.pager import MAX_PAGES_WITHOUT_TOTAL

BIG = 64 * 2**20
CAP_MB = 16.0
RSS_TARGET_MB = CAP_MB + 16.0
TRAP_PAGE = 20
TRAP_TOTAL = 100
TRAP_SECONDS = 60.0  # a trap that is not caught is given up on after this

# -- the hostile servers (child process) ----------------------------------------------------------


def _bomb() -> bytes:
    return gzip.compress(b" " * BIG, compresslevel=9)


def _page(offset: int, count: int, total: int | None, first_id: int) -> dict[str, Any]:
    """One page of groups, in MessageBird's envelope when there is a total, else Messengeo's."""
    items = [{"id": f"g{first_id + i}", "name": f"group {first_id + i}"} for i in range(count)]
    if total is None:
        return {"list": items, "size": count, "total": None}
    return {
        "offset": offset,
        "limit": TRAP_PAGE,
        "count": count,
        "totalCount": total,
        "links": {"first": None, "previous": None, "next": "more", "last": None},
        "items": items,
    }


def _trap_page(trap: str, served: int, offset: int) -> tuple[int, int, int | None, int]:
    """(offset shown, items, total, first item id) of the ``served``-th page of a trap."""
    if trap == "ignores_offset":
        return 0, TRAP_PAGE, TRAP_TOTAL, 0
    if trap == "repeats_page":
        return offset, TRAP_PAGE, TRAP_TOTAL, 0 if served > 1 else offset
    if trap == "total_grows":
        return offset, TRAP_PAGE, TRAP_TOTAL + served * 2 * TRAP_PAGE, offset
    if trap == "endless_without_total":
        return offset, TRAP_PAGE, None, offset
    if trap == "goes_backwards":
        return (
            max(0, offset - 2 * TRAP_PAGE) if served > 2 else offset,
            TRAP_PAGE,
            TRAP_TOTAL,
            (offset if served <= 2 else 10_000 + served * TRAP_PAGE),
        )
    raise KeyError(trap)


def _app(counts: Counter[str]) -> web.Application:
    bomb = _bomb()

    async def big(request: web.Request) -> web.StreamResponse:
        counts["big"] += 1
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b" " * 2**20
        try:
            for _ in range(BIG // len(chunk)):
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def gzip_bomb(request: web.Request) -> web.Response:
        counts["bomb"] += 1
        return web.Response(
            body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )

    async def trap(request: web.Request) -> web.Response:
        name = request.match_info["trap"]
        counts[f"trap:{name}"] += 1
        offset = int(request.query.get("offset", "0"))
        shown, count, total, first = _trap_page(name, counts[f"trap:{name}"], offset)
        return web.json_response(_page(shown, count, total, first))

    async def accepted(request: web.Request) -> web.Response:
        counts["poll"] += 1
        return web.json_response({}, status=202, headers={"Retry-After": "0"})

    async def slow_503(request: web.Request) -> web.Response:
        counts["slow503"] += 1
        await asyncio.sleep(0.3)
        return web.json_response({"errors": [{"code": 99}]}, status=503)

    async def token_down(request: web.Request) -> web.Response:
        counts["token"] += 1
        return web.json_response({"error": "temporarily_unavailable"}, status=503)

    async def count(request: web.Request) -> web.Response:
        return web.json_response(dict(counts))

    app = web.Application()
    app.router.add_get("/big/groups/{id}", big)
    app.router.add_get("/bomb/groups/{id}", gzip_bomb)
    app.router.add_get("/trap/{trap}/groups", trap)  # MessageBird
    app.router.add_get("/trap/{trap}/lists", trap)  # Messengeo
    app.router.add_get("/poll/group/{id}/count", accepted)
    app.router.add_get("/slow/groups/{id}", slow_503)
    app.router.add_post("/token", token_down)
    app.router.add_get("/counts", count)
    return app


async def _serve() -> None:
    from contactgroups.testing.messengeo import MessengeoFake

    counts: Counter[str] = Counter()
    runner = web.AppRunner(_app(counts))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with MessengeoFake() as fake:
        group = fake.seed_group("Token outage")
        ids = fake.seed_contacts(40)
        print(json.dumps({"port": port, "messengeo": fake.client_options(), "group": group,
                          "ids": ids}), flush=True)  # fmt: skip
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF
    await runner.cleanup()


# -- measuring (this process) ---------------------------------------------------------------------


class Hostile(ServedChild):
    def __init__(self) -> None:
        super().__init__(__file__)
        self.url = f"http://127.0.0.1:{self.info['port']}"

    async def counts(self) -> Counter[str]:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/counts") as r:
            return Counter(await r.json())


async def _rss_growth(base_url: str) -> tuple[float, str]:
    async with messagebird.Client(access_key="bench", base_url=base_url) as client:
        gc.collect()
        before = rss_mb()
        can_reset = reset_peak_rss()
        try:
            await client.groups.get("g1")
            outcome = "returned (not refused)"
        except ContactGroupsError as exc:
            outcome = type(exc).__name__
        peak = peak_rss_mb() if can_reset else rss_mb()
    return max(0.0, peak - before), outcome


async def measure() -> None:
    heading("Hostile vendors: what a buggy or malicious server costs the client")
    hostile = Hostile()
    try:
        for name, path in (("a 64 MiB answer", "big"), ("a gzip bomb (63 KiB -> 64 MiB)", "bomb")):
            growth, outcome = await _rss_growth(f"{hostile.url}/{path}")
            report(
                f"Peak RSS growth under {name}",
                growth,
                f"{growth:.1f} MB ({outcome})",
                f"<= {RSS_TARGET_MB:g} MB",
                growth <= RSS_TARGET_MB and outcome == "MalformedResponseError",
            )

        for trap, visible_at in TRAPS.items():
            url = f"{hostile.url}/trap/{trap}"
            client: Any = (
                messengeo.Client(**dict(hostile.info["messengeo"], base_url=url))
                if trap == "endless_without_total"
                else messagebird.Client(access_key="bench", base_url=url)
            )
            async with client:
                groups = client.lists if trap == "endless_without_total" else client.groups
                outcome = "ended without an error"
                try:
                    with anyio.fail_after(TRAP_SECONDS):
                        async for _ in groups.list(page_size=TRAP_PAGE):
                            pass
                except ContactGroupsError as exc:
                    outcome = type(exc).__name__
                except TimeoutError:
                    outcome = f"still walking after {TRAP_SECONDS:g} s"
            sent = (await hostile.counts())[f"trap:{trap}"]
            past = sent - visible_at
            report(
                f"Listing trap '{trap}': requests past the point it became visible",
                past,
                f"{past} ({sent} sent, visible at request {visible_at}; {outcome})",
                "<= 3",
                past <= 3 and outcome == "MalformedResponseError",
            )

        async with messageflow.Client(
            authorization="bench", application_key="bench", base_url=f"{hostile.url}/poll"
        ) as client:
            started = time.monotonic()
            with contextlib.suppress(ContactGroupsError):
                await client.groups.count_contacts(1, timeout=5)
            elapsed = time.monotonic() - started
        polls = (await hostile.counts())["poll"]
        rate = (polls - 1) / elapsed
        report(
            "202 with Retry-After: 0: polls per second",
            rate,
            f"{rate:.2f}/s ({polls} requests in {elapsed:.1f} s)",
            "<= 1/s",
            rate <= 1.0,
        )

        options = dict(hostile.info["messengeo"], token_url=f"{hostile.url}/token")
        async with messengeo.Client(**options, max_add_per_call=1) as client:
            target = multi.Target(client, hostile.info["group"], hostile.info["ids"])
            started = time.monotonic()
            result = await multi.add([target])
            elapsed = time.monotonic() - started
        tokens = (await hostile.counts())["token"]
        report(
            "Messengeo 40-call job, token endpoint down: token requests",
            tokens,
            f"{tokens} ({result.counts()[multi.Outcome.FAILED]} ids failed in {elapsed:.1f} s)",
            "<= 8",
            tokens <= 8,
        )

        async with messagebird.Client(
            access_key="bench", base_url=f"{hostile.url}/slow", timeout=1
        ) as client:
            started = time.monotonic()
            with contextlib.suppress(ContactGroupsError):
                await client.groups.get("g1")
            elapsed = time.monotonic() - started
        report(
            "timeout=1 against a slow 503: seconds until the call raises",
            elapsed,
            f"{elapsed:.2f} s ({(await hostile.counts())['slow503']} attempts)",
            "<= 1.2 s",
            elapsed <= 1.2,
        )
    finally:
        hostile.close()


#: each trap, and the request at which the pager can first tell it is one: an offset other than
#: the one asked, a page seen before, a total past the first one + 10% + 100 (140 -> 260 at the
#: 4th page), and, with no total at all, the cap on pages
TRAPS = {
    "ignores_offset": 2,
    "repeats_page": 2,
    "total_grows": 4,
    "goes_backwards": 3,
    "endless_without_total": MAX_PAGES_WITHOUT_TOTAL,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        # the parent closes our stdin to stop us; a watchdog ends us anyway
        threading.Timer(600, os._exit, args=(3,)).start()
        asyncio.run(_serve())
        os._exit(0)
    run(measure())


if __name__ == "__main__":
    main()
