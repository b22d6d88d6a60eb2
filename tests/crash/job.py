"""A journaled bulk job through the Python API, run by the crash tests in a child they SIGKILL.

``python job.py SPEC`` (SPEC a JSON object): ``action`` ("add" or "remove"), ``journal`` (path),
``targets``: a list of ``{"provider", "client_options", "group_id", "ids_file", "stream"}``;
``stream`` passes the ids as an iterator (streamed into the journal). With ``"announce_after": N``
on a streamed target the iterator, after yielding its N-th id, writes ``ingested N`` on stdout
and waits to be killed (a kill during the ingest, at a known id). The exit status is 0 when the
report is ok; the last line on stdout is the report's counts.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import AsyncExitStack
from typing import Any

from contactgroups import multi, providers


def ids_of(target: dict[str, Any]) -> Iterable[str]:
    with open(target["ids_file"]) as lines:
        ids = [line.strip() for line in lines if line.strip()]
    if not target.get("stream"):
        return ids
    announce = target.get("announce_after")

    def streamed() -> Iterator[str]:
        for n, contact_id in enumerate(ids, 1):
            yield contact_id
            if n == announce:
                sys.stdout.write(f"ingested {n}\n")
                sys.stdout.flush()
                time.sleep(20)  # the test kills this process now

    return streamed()


async def main(spec: dict[str, Any]) -> int:
    async with AsyncExitStack() as stack:
        targets = []
        for target in spec["targets"]:
            provider = providers.get(target["provider"])
            client = await stack.enter_async_context(provider.client(**target["client_options"]))
            targets.append(multi.Target(client, target["group_id"], ids_of(target)))
        run = multi.add if spec["action"] == "add" else multi.remove
        # a fixed, modest number of calls at once: an adaptive job would send nearly every call
        # at once, and a kill would find little left in flight or to come
        concurrency = spec.get("concurrency", 4)
        report = await run(targets, journal=spec["journal"], concurrency=concurrency)
    counts = {outcome.value: n for outcome, n in report.counts().items()}
    sys.stdout.write(json.dumps({"ok": report.ok, "counts": counts}) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(json.loads(sys.argv[1]))))
