"""Issue 15 on the fakes: one vendor never sinks the others, ids are compared in the vendor's
canonical form, a read-back never claims what it did not see, settling costs what it settles,
progress is told once per change, a report can be kept."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
from aiohttp import web

from contactgroups import multi
from contactgroups.errors import (
    InvalidRequestError,
    OutcomeUnknownError,
    ServerError,
    UnexpectedError,
    ValidationError,
)
from contactgroups.membership import BatchResult
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake

pytestmark = pytest.mark.anyio
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Bug(Exception):
    pass


class HostileMembership:
    """An adapter whose calls raise what no SDK error covers (a bug, or an answer nobody
    foresaw): RecursionError, ValueError, a result that is not a BatchResult."""

    provider = "hostile"
    max_add_per_call = 10
    max_remove_per_call = 10
    default_concurrency = 3

    def __init__(self) -> None:
        self.calls = 0

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        self.calls += 1
        if self.calls % 3 == 1:
            raise RecursionError("maximum recursion depth exceeded")
        if self.calls % 3 == 2:
            raise ValueError("odd answer")
        return "garbage"  # type: ignore[return-value]

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        raise Bug("remove")

    async def members(self, group_id: str) -> AsyncIterator[str]:
        raise Bug("members")
        yield ""  # pragma: no cover


class HostileClient:
    def __init__(self) -> None:
        self.membership = HostileMembership()


async def test_a_hostile_vendor_among_four_healthy_ones_sinks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fakes = [MessageBirdFake(), MessenteFake(), MessageFlowFake(), MessengeoFake()]
    hostile = HostileClient()
    async with fakes[0], fakes[1], fakes[2], fakes[3]:
        groups = [f.seed_group("g") for f in fakes]
        ids = [f.seed_contacts(60) for f in fakes]
        clients = [f.client() for f in fakes]
        try:
            targets = [multi.Target(c, g, i) for c, g, i in zip(clients, groups, ids, strict=True)]
            targets.append(multi.Target(hostile, "h", [str(n) for n in range(45)]))
            with caplog.at_level(logging.ERROR, logger="contactgroups.multi"):
                report = await multi.add(targets)
        finally:
            for client in clients:
                await client.aclose()
        for fake, group, wanted in zip(fakes, groups, ids, strict=True):
            assert fake.member_ids(group) == set(wanted)  # every healthy vendor's id landed
    for provider in ("messagebird", "messente", "messageflow", "messengeo"):
        assert report.providers[provider].outcomes[multi.Outcome.ADDED] == 60
    assert report.providers["hostile"].outcomes[multi.Outcome.FAILED] == 45
    # its read-back failed too: "outcome unknown", the bug kept as the cause
    errors = [report.error(4, str(n)) for n in range(45)]
    assert all(isinstance(e, OutcomeUnknownError) for e in errors)
    causes = [e.__cause__ for e in errors if e is not None]
    assert all(isinstance(c, UnexpectedError) for c in causes)
    kinds = {type(c.exception) for c in causes if isinstance(c, UnexpectedError)}
    assert kinds == {RecursionError, ValueError, TypeError}
    assert any("bug:" in r.getMessage() for r in caplog.records)  # logged as a bug
    assert not report.ok and not report.cancelled


async def test_zero_padded_ids_are_one_id_and_keep_what_was_passed() -> None:
    async with MessageFlowFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(3)
        given: list[object] = ["00" + ids[0], int(ids[1]), f" {ids[2]} ", ids[0], None, "", 2.5]
        target = multi.Target(client, group, given)
        assert target.ids[:3] == tuple(ids)  # canonical, "00…" and its plain form once
        report = await multi.add([target])
        assert fake.member_ids(group) == set(ids)
        sent = [r for r in fake.requests if r.method == "POST"]
        assert all(b"None" not in r.body and b"2.5" not in r.body for r in sent)
        items = {i["id"]: i for i in report.to_dict()["targets"][0]["ids"]}
        assert items[ids[0]]["given"] == "00" + ids[0]
        assert items[ids[0]]["outcome"] == "added"
        for key in ("<NoneType None>", "", "<float 2.5>"):
            assert items[key]["outcome"] == "failed"
            assert items[key]["error"]["error"] == "InvalidRequestError"
        # a remove of padded ids is reported removed only where the member is gone
        gone = await multi.remove([multi.Target(client, group, ["000" + i for i in ids])])
        assert gone.ok and fake.member_ids(group) == set()


async def test_a_capped_listing_and_5xx_deletes_report_nothing_removed() -> None:
    """The vendor serves 7 members a page whatever was asked, and every delete answers 503:
    no id may be reported removed while it is still a member, and ``ok`` is false."""
    fake = MessageBirdFake(page_cap=7)

    @web.middleware
    async def deletes_fail(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "DELETE":
            return web.json_response({"errors": [{"code": 99}]}, status=503)
        return await handler(request)

    fake.app.middlewares.append(deletes_fail)
    async with fake:
        group = fake.seed_group("g")
        members = fake.seed_contacts(920)
        fake.seed_members(group, members)
        async with fake.client(retry=None) as client:
            report = await multi.remove([multi.Target(client, group, members[:20])])
            result = await multi.sync(client, group, members[900:])  # 900 extra members
    still = fake.member_ids(group)
    assert not report.ok
    for _, contact_id, outcome, error in report.outcomes():
        if outcome is multi.Outcome.REMOVED:
            assert contact_id not in still
        else:
            assert isinstance(error, (ServerError, OutcomeUnknownError))
    assert result.removed is not None and not result.ok
    for _, contact_id, outcome, _ in result.removed.outcomes():
        assert outcome is not multi.Outcome.REMOVED or contact_id not in still


@pytest.mark.parametrize("k", [1, 2, 5])
async def test_settling_k_unclear_ids_in_a_15000_member_group_costs_at_most_k_plus_2(
    k: int,
) -> None:
    async with MessageBirdFake() as fake:
        group = fake.seed_group("big")
        fake.seed_members(group, fake.seed_contacts(15_000))
        ids = fake.seed_contacts(k)
        # every add answers 503 (it may have landed): the read-back settles the k ids
        fake.faults = Faults(server_error=1.0, only_paths=(f"/groups/{group}/contacts",))
        async with fake.client(retry=None) as client:
            before = len(fake.requests)
            report = await multi.add([multi.Target(client, group, ids)], rounds=1)
        calls = [r for r in fake.requests[before:] if r.method != "GET"]
        reads = [r for r in fake.requests[before:] if r.method == "GET"]
    assert len(calls) == 1
    assert len(reads) <= k + 2
    assert report.counts()[multi.Outcome.FAILED] == k  # proven absent: the 503 stands
    assert all(isinstance(report.error(0, i), ServerError) for i in ids)


async def test_progress_is_told_once_per_change_and_once_final() -> None:
    seen: list[multi.Progress] = []
    async with MessenteFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(30)
        await multi.add([multi.Target(client, group, ids)], on_progress=seen.append)
    assert [p.final for p in seen].count(True) == 1 and seen[-1].final
    assert seen[-1].done == seen[-1].total == 30
    for before, after in itertools.pairwise(seen):
        assert before != after  # never the same news twice


async def test_a_report_survives_json() -> None:
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(5)
        report = await multi.add([multi.Target(client, group, [*ids, None, "no such id"])])
    data = json.loads(json.dumps(report.to_dict()))
    again = multi.Report.from_dict(data)
    assert again.counts() == report.counts() and again.action == "add" and not again.ok
    assert list(again.failed_ids()) == list(report.failed_ids())
    for (_, i, o, e), (_, i2, o2, e2) in zip(report.outcomes(), again.outcomes(), strict=True):
        assert (i, o, type(e)) == (i2, o2, type(e2))
    with pytest.raises(InvalidRequestError):
        again.failed_targets(include_permanent=True)  # no clients: it says how to go on


async def test_retry_failed_repeats_only_what_can_succeed() -> None:
    class Mixed:
        provider = "mixed"
        max_add_per_call = 10
        max_remove_per_call = 10
        default_concurrency = 1

        def __init__(self) -> None:
            self.sent: list[str] = []

        async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            self.sent.extend(ids)
            refused = ValidationError("bad", status=422, provider="mixed")
            busy = ServerError("busy", status=503, provider="mixed")
            failed = {i: (refused if i.startswith("v") else busy) for i in ids}
            return BatchResult(failed=failed)

        async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
            raise NotImplementedError

        async def members(self, group_id: str) -> AsyncIterator[str]:
            for member in ():
                yield member

    class MixedClient:
        membership = Mixed()

    client = MixedClient()
    report = await multi.add([multi.Target(client, "g", ["v1", "s1", None])], rounds=1)
    client.membership.sent.clear()
    await multi.retry_failed(report, rounds=1)
    assert client.membership.sent == ["s1"]
    client.membership.sent.clear()
    await multi.retry_failed(report, rounds=1, include_permanent=True)
    assert client.membership.sent == ["v1", "s1"]  # never None: it cannot be sent


async def test_after_the_deadline_interrupted_calls_are_read_back_within_the_grace() -> None:
    """Calls still in flight at the deadline may have landed; the read-back still runs (within
    ``verify_grace``), so what landed is reported added, not failed."""
    async with MessageBirdFake(faults=Faults(latency=0.5)) as fake:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(3)
        async with fake.client(retry=None) as client:
            target = multi.Target(client, group, ids)
            report = await multi.add([target], deadline=0.2, verify_grace=5)
    assert report.deadline_passed
    members = fake.member_ids(group)
    for contact_id in ids:
        outcome = report.outcome(0, contact_id)
        assert (outcome is multi.Outcome.ADDED) == (contact_id in members)
        assert outcome is not multi.Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize(
    "keywords",
    [
        {"rounds": 1.5},
        {"rounds": True},
        {"concurrency": float("inf")},
        {"concurrency": {"messente": 0}},
        {"rate": float("nan")},
        {"deadline": float("nan")},
        {"deadline": float("inf")},
        {"verify_grace": -1},
    ],
)
def test_bad_options_are_refused_before_the_job_starts(keywords: dict[str, object]) -> None:
    with pytest.raises(InvalidRequestError):
        multi.JobOptions(**keywords)  # type: ignore[arg-type]


def test_an_async_progress_callback_is_refused_not_left_unawaited() -> None:
    async def on_progress(progress: multi.Progress) -> None:
        pass

    with pytest.raises(InvalidRequestError, match="not awaited"):
        multi.JobOptions(on_progress=on_progress)  # type: ignore[arg-type]
