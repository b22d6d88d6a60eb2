"""What every benchmark shares: the fakes in a child process, the measuring, the printing.

The fake vendors run in a separate process (multiprocessing, ``spawn``), so the client's CPU time
and RSS are the SDK's alone. The child listens on 127.0.0.1 (port 0), seeds what it is asked to,
sends back each fake's URL, credentials, group id and seeded ids, then serves until it is told to
stop, its parent goes away, or ``max_seconds`` pass: it always stops itself.

Every script prints its figures with their target and PASS/MISS, and one machine-readable line
per figure (``BENCH-RESULT {json}``) that ``run_all.py`` turns into the summary table. A MISS
never fails the process: these are measurements, not tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contactgroups import providers

#: Every vendor, in the order figures are printed.
ALL_PROVIDERS = providers.NAMES

RESULT_PREFIX = "BENCH-RESULT "
#: set (by run_all.py) to make every script also print its figures as JSON lines
RESULTS_ENV = "CONTACTGROUPS_BENCH_RESULTS"


def available_providers() -> tuple[str, ...]:
    """The providers whose client and fake import (Messengeo may not have landed yet)."""
    found = []
    for provider in providers.PROVIDERS:
        try:
            provider.fake_class()
            provider.client_class()
        except (ImportError, AttributeError):
            continue
        found.append(provider.name)
    return tuple(found)


# -- the child process ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeSpec:
    """One fake to start: its latency, what to seed, constructor options."""

    provider: str
    latency: float = 0.0
    contacts: int = 0  # seed this many contacts (their ids are sent back if return_ids)
    members: int = 0  # of which this many are put into the group directly (no requests)
    return_ids: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FakeInfo:
    """What the child sends back about one running fake."""

    provider: str
    client_kwargs: dict[str, Any]
    group_id: str
    ids: list[str]
    seed_seconds: float


def _seed_members(fake: Any, provider: str, group_id: str, ids: Sequence[str]) -> None:
    if hasattr(fake, "seed_members"):
        fake.seed_members(group_id, list(ids))
        return
    raise ValueError(f"the {provider} fake cannot seed members directly")


async def _child_main(
    specs: Sequence[FakeSpec], conn: multiprocessing.connection.Connection, max_seconds: float
) -> None:
    from contactgroups.testing import Faults

    fakes: dict[str, Any] = {}
    groups: dict[str, str] = {}
    infos: dict[str, FakeInfo] = {}
    try:
        for spec in specs:
            cls = providers.get(spec.provider).fake_class()
            fake = cls(faults=Faults(latency=spec.latency), record=False, **dict(spec.options))
            await fake.start("127.0.0.1", 0)
            fakes[spec.provider] = fake
            started = time.perf_counter()
            group_id = fake.seed_group("benchmark")
            ids = fake.seed_contacts(spec.contacts) if spec.contacts else []
            if spec.members:
                _seed_members(fake, spec.provider, group_id, ids[: spec.members])
            groups[spec.provider] = group_id
            infos[spec.provider] = FakeInfo(
                provider=spec.provider,
                client_kwargs=fake.client_options(),
                group_id=group_id,
                ids=list(ids) if spec.return_ids else [],
                seed_seconds=time.perf_counter() - started,
            )
            del ids
        gc.collect()
        conn.send(("ready", infos))
        infos.clear()

        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        while True:
            left = deadline - loop.time()
            if left <= 0:
                break
            # wait for a command in a thread, so the loop keeps serving; wake up now and then
            ready = await loop.run_in_executor(None, conn.poll, min(left, 1.0))
            if not ready:
                continue
            try:
                command, args = conn.recv()
            except (EOFError, OSError):
                break  # the parent is gone
            if command == "stop":
                break
            if command == "cpu_seconds":
                conn.send(time.process_time())
            elif command == "member_count":
                (provider,) = args
                conn.send(len(fakes[provider].member_ids(groups[provider])))
            else:
                conn.send(ValueError(f"unknown command {command!r}"))
    except Exception as exc:  # pragma: no cover - reported to the parent
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        for fake in fakes.values():
            await fake.stop()


def _child(
    specs: Sequence[FakeSpec], conn: multiprocessing.connection.Connection, max_seconds: float
) -> None:
    # a watchdog: whatever happens in the loop, this process ends after max_seconds (+ grace)
    timer = threading.Timer(max_seconds + 30, os._exit, args=(3,))
    timer.daemon = True
    timer.start()
    asyncio.run(_child_main(specs, conn, max_seconds))


class Fakes:
    """The fakes in a child process: ``with Fakes([FakeSpec("messagebird", ...)]) as fakes:``.

    ``fakes.info[provider]`` holds the URL/credentials (``client_kwargs``), the group id and the
    seeded ids; ``fakes.client(provider)`` makes an SDK client for it in this process.
    """

    def __init__(
        self, specs: Sequence[FakeSpec], *, max_seconds: float = 600, start_timeout: float = 300
    ) -> None:
        self.specs = list(specs)
        self.max_seconds = max_seconds
        self.start_timeout = start_timeout
        self.info: dict[str, FakeInfo] = {}
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: multiprocessing.connection.Connection | None = None

    def __enter__(self) -> Fakes:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(
            target=_child, args=(self.specs, child, self.max_seconds), name="benchmark-fakes"
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        try:
            if not parent.poll(self.start_timeout):
                raise RuntimeError(f"the fakes did not start within {self.start_timeout:g}s")
            status, payload = parent.recv()
            if status != "ready":
                raise RuntimeError(f"the fakes failed to start: {payload}")
            self.info = payload
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(("stop", ()))
        if process is not None:
            process.join(10)
            if process.is_alive():  # only our own child, by its handle
                process.terminate()
                process.join(5)
        if conn is not None:
            conn.close()

    def _ask(self, command: str, *args: Any) -> Any:
        assert self._conn is not None
        self._conn.send((command, args))
        if not self._conn.poll(60):
            raise RuntimeError("the fakes did not answer")
        answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def member_count(self, provider: str) -> int:
        """How many members the benchmark group has in the fake now."""
        return int(self._ask("member_count", provider))

    def cpu_seconds(self) -> float:
        """CPU time the fakes' process has used so far."""
        return float(self._ask("cpu_seconds"))

    def client(self, provider: str, **overrides: Any) -> Any:
        """A contactgroups client for this provider's fake (created in this process)."""
        kwargs = {**self.info[provider].client_kwargs, **overrides}
        return providers.get(provider).client(**kwargs)


# -- measuring -----------------------------------------------------------------------------------


def _status_kb(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field_name} not in /proc/self/status")


def rss_mb() -> float:
    """This process's resident set size now, in MB."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """This process's peak RSS (since start, or since ``reset_peak_rss``), in MB."""
    try:
        return _status_kb("VmHWM") / 1024
    except (OSError, RuntimeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ``clear_refs`` 5); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def cpu_seconds() -> float:
    """CPU time of this process (user + system), all threads."""
    return time.process_time()


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def machine() -> str:
    return f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}"


# -- printing -------------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "INFO"
    return "PASS" if ok else "MISS"


def report(
    figure: str,
    value: float | None,
    shown: str,
    target: str,
    ok: bool | None,
    **extra: Any,
) -> None:
    """Print one figure with its target and PASS/MISS, and the machine-readable line."""
    print(f"  => {figure}: {shown}   target {target}   {verdict(ok)}", flush=True)
    if not os.environ.get(RESULTS_ENV):
        return
    record = {
        "figure": figure,
        "value": None if value is None or not math.isfinite(value) else value,
        "shown": shown,
        "target": target,
        "status": verdict(ok),
        **extra,
    }
    print(RESULT_PREFIX + json.dumps(record), flush=True)


def heading(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))
    print(f"machine: {machine()}; fakes in a separate process on 127.0.0.1", flush=True)


def run(coro: Any) -> Any:
    """``asyncio.run`` with the loop's debug mode off, whatever the environment says."""
    return asyncio.run(coro, debug=False)


__all__ = [
    "ALL_PROVIDERS",
    "RESULTS_ENV",
    "RESULT_PREFIX",
    "FakeInfo",
    "FakeSpec",
    "Fakes",
    "ServedChild",
    "available_providers",
    "ceil_div",
    "cpu_seconds",
    "heading",
    "machine",
    "median",
    "peak_rss_mb",
    "report",
    "reset_peak_rss",
    "rss_mb",
    "run",
    "verdict",
]


class ServedChild:
    """``python SCRIPT --serve`` in a child process: it prints one JSON line (``info``: ports and
    whatever it seeded), serves until its stdin closes; ``close`` ends it, killing our own child
    by its handle if it does not end within 10 s."""

    def __init__(self, script: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, script, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.info: Any = json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
