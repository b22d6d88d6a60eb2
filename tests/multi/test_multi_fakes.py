"""multi against the four fake vendors on 127.0.0.1 at once, with faults on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest

from contactgroups import multi
from contactgroups._http import RetryPolicy
from contactgroups.multi import Outcome, Target
from contactgroups.testing import Faults, RecordedRequest
from contactgroups.testing.pytest_plugin import start_fake

PROVIDERS = ("messagebird", "messente", "messageflow", "messengeo")
RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.1)


class Vendors:
    """The four fakes and a client for each."""

    def __init__(self, stack: AsyncExitStack, faults: dict[str, Faults] | None = None) -> None:
        self.stack = stack
        self.faults = faults or {}
        self.fakes: dict[str, Any] = {}
        self.clients: dict[str, Any] = {}

    async def start(self, **client_kwargs: Any) -> Vendors:
        for name in PROVIDERS:
            fake = start_fake(f"{name}_fake", faults=self.faults.get(name))
            self.fakes[name] = await self.stack.enter_async_context(fake)
            client_kwargs.setdefault("retry", RETRY)
            client = fake.client(**client_kwargs)
            self.clients[name] = await self.stack.enter_async_context(client)
        return self

    def targets(self, split: dict[str, int]) -> list[Target]:
        targets = []
        for name, count in split.items():
            fake = self.fakes[name]
            targets.append(
                Target(self.clients[name], fake.seed_group("bulk"), fake.seed_contacts(count))
            )
        return targets

    def check_state_equals_report(self, report: multi.Report, skip: tuple[str, ...] = ()) -> None:
        """Every id the report calls done is in the group (add) / gone (remove), and every id it
        calls failed or not attempted is not."""
        for target in report.targets:
            if target.provider in skip:
                continue
            members = self.fakes[target.provider].member_ids(target.group_id)
            for contact_id in target.ids:
                outcome = report.outcome(target, contact_id)
                landed = (contact_id in members) == (report.action == "add")
                assert landed == outcome.ok, (target.provider, contact_id, outcome)


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as s:
        yield s


def faults(seed: int, **kwargs: float) -> Faults:
    return Faults(seed=seed, **kwargs)  # type: ignore[arg-type]


# the calls at once of the fixed defaults: 15% of every request refused at random (at any load)
# would drive the adaptive governor down to one call at a time, which this test is not about
# (tests/multi/test_multi_governor.py is); each 429's Retry-After pauses the whole account
FIXED = {"messagebird": 16, "messente": 16, "messageflow": 4, "messengeo": 4}


async def test_20000_ids_with_faults_end_where_the_report_says(stack: AsyncExitStack) -> None:
    noisy = {
        name: faults(i, server_error=0.08, rate_limit=0.05, retry_after=0.005, drop=0.02)
        for i, name in enumerate(PROVIDERS)
    }
    vendors = await Vendors(stack, noisy).start()
    split = {"messagebird": 6000, "messente": 1500, "messageflow": 7000, "messengeo": 5500}
    targets = vendors.targets(split)
    report = await multi.add(targets, concurrency=FIXED)
    assert report.total == 20_000
    assert sum(report.counts().values()) == 20_000
    vendors.check_state_equals_report(report)
    assert report.ok, report.counts()  # with 4 attempts and 2 rounds, the faults are absorbed
    assert sum(p.retries for p in report.providers.values()) > 0  # the faults did fire
    removal = await multi.remove(targets, concurrency=FIXED)
    assert removal.total == 20_000
    vendors.check_state_equals_report(removal)


async def test_a_vendor_that_is_down_fails_only_its_own_targets(stack: AsyncExitStack) -> None:
    vendors = await Vendors(stack).start()
    targets = vendors.targets({"messagebird": 300, "messageflow": 2000, "messengeo": 1000})
    down = start_fake("messente_fake")
    await down.start()
    phones = down.seed_contacts(20)
    group = down.seed_group("g")
    dead_client = await stack.enter_async_context(down.client(retry=RETRY))
    await down.stop()  # connection refused from now on
    targets.append(Target(dead_client, group, phones))
    report = await multi.add(targets)
    summary = report.providers["messente"]
    assert summary.outcomes[Outcome.FAILED] == 20
    assert summary.requests <= 20 * RETRY.max_attempts * 2  # bounded: attempts x rounds, no storm
    for name in ("messagebird", "messageflow", "messengeo"):
        assert report.providers[name].outcomes[Outcome.ADDED] == report.providers[name].requested
    vendors.check_state_equals_report(report, skip=("messente",))
    assert {p for p, _, _ in report.failed_ids()} == {"messente"}


def ids_in_request(provider: str, request: RecordedRequest) -> set[str]:
    """The member ids a recorded membership call carried, per vendor wire format."""
    if provider == "messagebird":
        if request.method != "PUT":
            return (
                {unquote(request.path.rsplit("/", 1)[-1])} if request.method == "DELETE" else set()
            )
        return set(parse_qs(request.body.decode()).get("ids[]", []))
    if provider == "messente":
        if "/contacts/" not in request.path or "/groups/" not in request.path:
            return set()
        return {unquote(request.path.rsplit("/", 1)[-1])}
    if provider == "messageflow":
        if not request.path.endswith("/contact") or request.method == "GET":
            return set()
        return {str(i) for i in json.loads(request.body)["id"]}
    if "action=contact" not in request.query:
        return set()
    meta = json.loads(parse_qs(request.body.decode())["metaData"][0])
    return set(meta["contactIds"].split(","))


async def test_cancelled_job_reports_exactly_the_unseen_ids_as_not_attempted(
    stack: AsyncExitStack,
) -> None:
    slow = {name: Faults(latency=0.05) for name in PROVIDERS}
    vendors = await Vendors(stack, slow).start()
    targets = vendors.targets(
        {"messagebird": 2000, "messente": 200, "messageflow": 4000, "messengeo": 3000}
    )
    job = multi.BulkJob("add", targets, concurrency=2)
    task = asyncio.create_task(job.run())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    report = job.report
    assert report.cancelled
    assert report.total == 9200
    for target in targets:
        fake = vendors.fakes[target.provider]
        seen: set[str] = set()
        for request in fake.requests:
            seen |= ids_in_request(target.provider, request)
        not_attempted = {
            i for i in target.ids if report.outcome(target, i) is Outcome.NOT_ATTEMPTED
        }
        assert not_attempted == set(target.ids) - seen, target.provider
        if target.provider in ("messagebird", "messente"):  # many small calls: cut short
            assert not_attempted, target.provider
    # nothing left open: every client still works after the cancellation
    for name, client in vendors.clients.items():
        async for _ in client.membership.members(targets[PROVIDERS.index(name)].group_id):
            break


async def test_sync_dry_run_changes_nothing_and_sync_reaches_the_desired_set(
    stack: AsyncExitStack,
) -> None:
    vendors = await Vendors(stack).start()
    for name in PROVIDERS:
        fake, client = vendors.fakes[name], vendors.clients[name]
        group = fake.seed_group("sync")
        ids = fake.seed_contacts(30)
        await multi.add([Target(client, group, ids[:20])])
        desired = ids[10:30]
        before = len(fake.requests)
        plan = await multi.sync(client, group, desired, dry_run=True)
        assert set(plan.plan.to_add) == set(ids[20:30])
        assert set(plan.plan.to_remove) == set(ids[:10])
        assert fake.member_ids(group) == set(ids[:20])
        writes = [r for r in fake.requests[before:] if r.method != "GET"]
        assert writes == [], name  # a dry run only reads
        result = await multi.sync(client, group, desired)
        assert result.ok
        assert fake.member_ids(group) == set(desired), name
