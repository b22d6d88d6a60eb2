"""What the crash tests share: the fakes' process, a job child killed at a chosen write, the
journal read right after a kill, and the checks made once the job has run to its end.

The fakes run in a child process (``fake_process.py``) that counts, per id, the writes that
carried it, and can hold the N-th write: the test then SIGKILLs the job child while that write is
held (landed or not, as the test chose), so every kill falls at a known point of the job.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from random import Random
from typing import Any

from contactgroups import multi, providers
from contactgroups.multi.journal import Journal

HERE = Path(__file__).resolve().parent
#: seconds each fake waits per request: calls overlap, so a kill finds several in flight
LATENCY = 0.002
#: seconds a child job may take before the test gives up on it
CHILD_SECONDS = 25

Key = tuple[str, str]  # (provider, id)


def _per_call() -> dict[str, tuple[int, int]]:
    """Ids per add and per remove call, from each SDK adapter (no request is sent)."""
    sizes = {}
    for provider in providers.PROVIDERS:
        membership = provider.client(**{c.keyword: "unused" for c in provider.credentials})
        adapter = membership.membership
        sizes[provider.name] = (adapter.max_add_per_call, adapter.max_remove_per_call)
    return sizes


PER_CALL = _per_call()


class FakeProcess:
    """The four fakes in a child process; ``close()`` ends it (and it ends if we die)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "fake_process.py"), str(LATENCY)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert self.process.stdout is not None
            self.url = json.loads(self.process.stdout.readline())["control"]
        except BaseException:
            self.close()
            raise
        # loopback only: never through a proxy the environment may name
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def close(self) -> None:
        process = self.process
        if process.stdin is not None:
            process.stdin.close()  # the fakes' process ends when its stdin closes
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def _call(self, path: str, data: Any = None) -> Any:
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(
            self.url + path, data=body, method="GET" if data is None else "POST"
        )
        with self._opener.open(request, timeout=30) as answer:
            return json.loads(answer.read())

    def setup(self, sizes: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
        """A new group per provider with (contacts, of which members) seeded."""
        return self._call(
            "/setup", {p: {"contacts": n, "members": m} for p, (n, m) in sizes.items()}
        )

    def arm(self, after: int, mode: str) -> None:
        self._call("/arm", {"after": after, "mode": mode})

    def wait(self, timeout: float) -> bool:
        return bool(self._call(f"/wait?timeout={timeout}")["reached"])

    def release(self) -> None:
        self._call("/release", {})

    def state(self, provider: str) -> tuple[set[str], dict[str, int]]:
        """The group's members now, and per id the writes that carried it."""
        answer = self._call(f"/state?provider={provider}")
        return set(answer["members"]), answer["sent"]


def in_flight(journal: Path) -> set[Key]:
    """The ids the journal holds as in flight (read right after a kill, before the re-run)."""
    if not journal.exists():
        return set()
    opened = Journal.open_now(journal)
    try:
        return set(opened.in_flight())
    finally:
        opened.close_now()


def writes_left(
    fakes: FakeProcess, action: str, wanted: Mapping[str, Iterable[str]], never: Iterable[Key] = ()
) -> int:
    """The fewest writes that can still bring every provider's group to what is ``wanted`` (its
    ids in the group for an add, out of it for a remove): a job not killed sends at least these,
    so a kill armed at a write up to this number is sure to come. ``never``: ids that never land.
    """
    skip = set(never)
    total = 0
    for provider, ids in wanted.items():
        members, _ = fakes.state(provider)
        todo = [i for i in ids if (i in members) != (action == "add") and (provider, i) not in skip]
        total += math.ceil(len(todo) / PER_CALL[provider][0 if action == "add" else 1])
    return total


class Crashes:
    """One job run again and again in a child process: killed at chosen writes, then to its end.

    ``in_flight`` holds, per kill, the ids the journal held as in flight right after it.
    """

    def __init__(self, fakes: FakeProcess, command: Sequence[str], workdir: Path, **env: str):
        self.fakes = fakes
        self.command = list(command)
        self.workdir = workdir
        self.env = {**os.environ, **env}
        self.journal = workdir / "job.db"
        self.in_flight: list[set[Key]] = []
        self.runs = 0

    def _start(self, *, stdout: Any = None) -> subprocess.Popen[str]:
        self.runs += 1
        log = open(self.workdir / f"run{self.runs}.log", "w")  # noqa: SIM115 - closed by the child's end
        try:
            return subprocess.Popen(
                self.command,
                stdout=log if stdout is None else stdout,
                stderr=log,
                cwd=self.workdir,
                env=self.env,
                text=True,
            )
        finally:
            log.close()

    def kill_at_write(self, after: int, mode: str) -> bool:
        """Run the job, SIGKILL it while its ``after``-th write is held (``mode``: "land" the
        change first or "lost"); record what was in flight. False if the job ended first."""
        self.fakes.arm(after, mode)
        process = self._start()
        try:
            while not self.fakes.wait(0.2):
                if process.poll() is not None:
                    with open(self.workdir / f"run{self.runs}.log", "a") as log:
                        log.write(f"\n[ended before the kill: exit {process.returncode}]\n")
                    return False
            process.kill()  # SIGKILL, our own child, by its handle
            process.wait()
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            self.fakes.release()
        self.in_flight.append(in_flight(self.journal))
        return True

    def kill_when_ingested(self, command: Sequence[str]) -> int:
        """Run ``command`` (a streamed job that writes ``ingested N`` and waits) and SIGKILL it
        then, mid-ingest; record what was in flight. Returns N."""
        self.command, streamed = list(command), self.command
        process = self._start(stdout=subprocess.PIPE)
        self.command = streamed
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            process.kill()
            process.wait()
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
        assert line.startswith("ingested "), self.log()
        self.in_flight.append(in_flight(self.journal))
        return int(line.split()[1])

    def run_to_end(self) -> int:
        process = self._start()
        try:
            return process.wait(CHILD_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    def log(self) -> str:
        return (self.workdir / f"run{self.runs}.log").read_text()

    def kill_randomly(self, rng: Random, kills: int, left: Any) -> int:
        """Up to ``kills`` kills, each at a random write among the ``left()`` still to come and
        with a random landing; the number of kills made."""
        made = 0
        for turn in range(kills):
            bound = left()
            if bound < 1:
                break
            # within this kill's share of what is left, so the later kills still find writes
            share = max(1, bound // (kills - turn))
            made += self.kill_at_write(rng.randint(1, share), rng.choice(("land", "lost")))
        return made


def check_sent(fakes: FakeProcess, crashes: Crashes, provider_list: Iterable[str]) -> set[Key]:
    """Each id was sent more than once only if it was in flight at a kill, and at most once more
    per kill that found it in flight. The ids sent more than once."""
    repeated = set()
    for provider in provider_list:
        _, sent = fakes.state(provider)
        for contact_id, count in sent.items():
            key = (provider, contact_id)
            kills = sum(key in ids for ids in crashes.in_flight)
            assert count - 1 <= kills, (key, count, kills)
            if count > 1:
                repeated.add(key)
    return repeated


def check_report(
    fakes: FakeProcess,
    report: multi.Report,
    wanted: Mapping[str, Sequence[str]],
    failed: Iterable[Key] = (),
) -> None:
    """Every requested id has exactly one outcome, and it agrees with the fake's state: done or
    already means in the group after an add and out of it after a remove; failed only for the
    ids in ``failed`` (those the vendor refuses)."""
    refused = set(failed)
    members = {p: fakes.state(p)[0] for p in wanted}
    seen: set[Key] = set()
    for target, contact_id, outcome, error in report.outcomes():
        key = (target.provider, contact_id)
        assert key not in seen, f"{key} has two outcomes"
        seen.add(key)
        if key in refused:
            assert outcome is multi.Outcome.FAILED, (key, outcome)
            continue
        assert outcome.ok, (key, outcome, error)
        assert (contact_id in members[target.provider]) == (report.action == "add"), key
    assert seen == {(p, i) for p, ids in wanted.items() for i in ids}


def write_ids(path: Path, ids: Iterable[str]) -> Path:
    path.write_text("".join(f"{i}\n" for i in ids))
    return path


def api_command(spec: Mapping[str, Any]) -> list[str]:
    return [sys.executable, str(HERE / "job.py"), json.dumps(spec)]


def cli_command(
    action: str, provider: str, setup: Mapping[str, Any], ids_file: Path
) -> tuple[list[str], dict[str, str]]:
    """``python -m contactgroups members ACTION`` on the fake, and its credentials as env vars."""
    options = dict(setup["client_options"])
    entry = providers.get(provider)
    env = {c.env: options.pop(c.keyword) for c in entry.credentials}
    command = [sys.executable, "-m", "contactgroups", "members", action, "--provider", provider]
    command += ["--group", setup["group_id"], "--ids-file", str(ids_file), "--journal", "job.db"]
    command += ["--base-url", options.pop("base_url"), "--concurrency", "4"]  # see job.py
    if "token_url" in options:
        command += ["--token-url", options.pop("token_url")]
    assert not options, options
    return command, env
