"""Memory: walk 1,000,000 members of one MessageFlow group through the pager (1000 per page).

The fake (another process) holds a group with ``--members`` members. This process walks them
with ``async for contact in client.groups.list_contacts(group, page_size=1000)``, each member a
typed ``Contact``, and measures its own RSS: the baseline after a first page (imports, session,
converter warmed up; the figure counts from before that first request, so the session and
one page are included), the kernel's peak mark (reset just before the walk where Linux allows it)
and samples along the way. The figure is the peak growth; constant memory
means it does not depend on the number of members (the samples at 10%, 50% and 100% show it).

    python benchmarks/bench_memory.py [--members 1000000]
"""

from __future__ import annotations

import argparse
import gc
import time

from _fakes import (
    Fakes,
    FakeSpec,
    heading,
    peak_rss_mb,
    report,
    reset_peak_rss,
    rss_mb,
    run,
)

TARGET_MB = 50.0
PAGE_SIZE = 1000


async def _walk(members: int) -> None:
    spec = FakeSpec("messageflow", contacts=members, members=members, return_ids=False)
    seed_started = time.perf_counter()
    with Fakes([spec]) as fakes:
        print(f"fake seeded with {members:,} members in {time.perf_counter() - seed_started:.1f}s")
        group = fakes.info["messageflow"].group_id
        async with fakes.client("messageflow") as client:
            gc.collect()
            before_first = rss_mb()
            first = await client.groups.list_contacts(group, page_size=PAGE_SIZE)
            assert len(first.items) == min(PAGE_SIZE, members)
            del first
            gc.collect()
            baseline = rss_mb()
            can_reset = reset_peak_rss()
            checkpoints = {members // 10, members // 2, members}
            samples: list[tuple[int, float]] = []
            sampled_peak = baseline
            count = 0
            started = time.perf_counter()
            async for contact in client.groups.list_contacts(group, page_size=PAGE_SIZE):
                count += 1
                if count % PAGE_SIZE == 0:
                    now = rss_mb()
                    sampled_peak = max(sampled_peak, now)
                    if count in checkpoints:
                        samples.append((count, now - baseline))
                del contact
            took = time.perf_counter() - started
            peak = max(peak_rss_mb() if can_reset else 0.0, sampled_peak)
    growth = peak - before_first
    print(
        f"walked {count:,} members in {took:.1f}s ({count / took:,.0f} members/s, "
        f"{count // PAGE_SIZE} pages); RSS {before_first:.1f} MB before the first request, "
        f"{baseline:.1f} MB after the first page"
    )
    print(
        "RSS growth over the after-first-page mark along the way: "
        + ", ".join(f"{n:,} members +{mb:.1f} MB" for n, mb in samples)
        + f"; peak +{peak - baseline:.1f} MB; peak over before-the-first-request "
        f"(the figure) +{growth:.1f} MB"
        + ("" if can_reset else " (peak from samples: /proc/self/clear_refs not allowed)")
    )
    report(
        f"Memory: walk {count:,} MessageFlow members (1000-item pages): peak RSS growth",
        growth,
        f"{growth:.1f} MB ({count / took:,.0f} members/s)"
        + ("" if count == members else f"; walked {count:,} of {members:,}!"),
        f"< {TARGET_MB:g} MB",
        growth < TARGET_MB and count == members,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    heading("Memory: walking a 1,000,000-member MessageFlow group through the pager")
    run(_walk(args.members))


if __name__ == "__main__":
    main()
