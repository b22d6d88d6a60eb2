"""Cancellation, a soak under every kind of fault, and creates that are never duplicated."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections import Counter
from contextlib import AsyncExitStack
from typing import Any

import pytest

from contactgroups import errors, multi
from contactgroups._http import RetryPolicy, Timeout
from contactgroups.testing import Faults
from contactgroups.testing.pytest_plugin import start_fake

PROVIDERS = ("messagebird", "messente", "messageflow", "messengeo")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_cancelling_a_call_propagates_and_leaves_the_client_usable(provider: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with start_fake(f"{provider}_fake") as fake:
            group = fake.seed_group("g")
            ids = fake.seed_contacts(2)
            client = fake.client()
            fake.faults = Faults(latency=2.0)
            task = asyncio.create_task(client.membership.add(group, ids[:1]))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            fake.faults = Faults()
            result = await client.membership.add(group, ids[1:])
            assert result.done == (ids[1],)
            session = client._transport._session
            await client.aclose()
            assert session is None or session.closed
            del client, session, task
            gc.collect()
    unclosed = [w for w in caught if "Unclosed" in str(w.message)]
    assert unclosed == []


def _soak_faults(seed: int) -> Faults:
    return Faults(
        server_error=0.10,
        rate_limit=0.05,
        retry_after=0.02,
        drop=0.02,
        slow=0.01,
        slow_seconds=0.6,
        seed=seed,
    )


@pytest.mark.slow
async def test_soak_50000_ids_every_id_where_the_report_says() -> None:
    split = {"messagebird": 16_000, "messente": 2_000, "messageflow": 17_000, "messengeo": 15_000}
    async with AsyncExitStack() as stack:
        fakes: dict[str, Any] = {}
        targets = []
        for seed, (provider, count) in enumerate(split.items()):
            fake = await stack.enter_async_context(
                start_fake(f"{provider}_fake", faults=_soak_faults(seed))
            )
            fakes[provider] = fake
            client = await stack.enter_async_context(
                fake.client(
                    timeout=Timeout(total=0.4, connect=0.4),
                    retry=RetryPolicy(backoff_base=0.01, backoff_max=0.1),
                )
            )
            targets.append(multi.Target(client, fake.seed_group("soak"), fake.seed_contacts(count)))
        report = await multi.add(targets)
        assert report.total == 50_000
        assert sum(report.counts().values()) == 50_000
        slow_hits = 0
        for target in targets:
            fake = fakes[target.provider]
            slow_hits += sum(1 for r in fake.requests if r.fault == "slow")
            members = fake.member_ids(target.group_id)
            for contact_id in target.ids:
                outcome = report.outcome(target, contact_id)
                # every id is in its group or reported failed, and nothing reported failed landed
                assert (contact_id in members) == outcome.ok, (target.provider, outcome)
        assert slow_hits > 0  # answers slower than the timeout did happen
        assert sum(p.retries for p in report.providers.values()) > 100


@pytest.mark.parametrize("provider", ["messagebird", "messente", "messengeo"])
async def test_creates_under_faults_are_never_duplicated(provider: str) -> None:
    faults = Faults(server_error=0.2, rate_limit=0.1, drop=0.1, slow=0.1, slow_seconds=0.5, seed=3)
    async with (
        start_fake(f"{provider}_fake", faults=faults) as fake,
        fake.client(
            timeout=Timeout(total=0.3, connect=0.3), retry=RetryPolicy(backoff_base=0.01)
        ) as client,
    ):
        created: list[str] = []
        outcomes: Counter[str] = Counter()
        for n in range(40):
            name = f"group-{n}"
            try:
                if provider == "messengeo":
                    await client.lists.create(name)
                else:
                    await client.groups.create(name)
            except errors.ContactGroupsError as exc:
                outcomes[type(exc).__name__] += 1
            else:
                created.append(name)
                outcomes["ok"] += 1
        fake.faults = Faults()
        await asyncio.sleep(0.6)  # let slow answers finish on the server side
        listing = client.lists.list() if provider == "messengeo" else client.groups.list()
        names = Counter([g.name async for g in listing])
    assert outcomes["ok"] < 40  # the faults hit some creates
    for name in created:
        assert names[name] == 1, name
    assert all(count == 1 for count in names.values()), names  # no create ever ran twice


@pytest.mark.parametrize("provider", ["messagebird", "messente"])
async def test_contact_creates_under_faults_are_never_duplicated(provider: str) -> None:
    faults = Faults(server_error=0.2, rate_limit=0.1, drop=0.1, slow=0.1, slow_seconds=0.5, seed=5)
    async with (
        start_fake(f"{provider}_fake", faults=faults) as fake,
        fake.client(
            timeout=Timeout(total=0.3, connect=0.3), retry=RetryPolicy(backoff_base=0.01)
        ) as client,
    ):
        failures = 0
        for n in range(40):
            phone = f"+3725{n:07d}"
            try:
                if provider == "messagebird":
                    await client.contacts.create(phone[1:], first_name=f"n{n}")
                else:
                    await client.contacts.create(phone, first_name=f"n{n}")
            except errors.APIError:
                failures += 1
            except errors.TransportError:
                failures += 1
        fake.faults = Faults()
        await asyncio.sleep(0.6)  # let slow answers finish on the server side
        seen = Counter(
            [
                str(getattr(c, "msisdn", None) or getattr(c, "phone_number", None))
                async for c in client.contacts.list()
            ]
        )
        slow = sum(1 for r in fake.requests if r.fault == "slow")
    assert failures > 0
    assert slow > 0  # some creates landed after the client gave up on them
    assert all(count == 1 for count in seen.values()), seen


async def test_a_failing_token_endpoint_causes_no_retry_storm() -> None:
    policy = RetryPolicy(max_attempts=3, backoff_base=0.01)
    faults = Faults(server_error=1.0, only_paths=("/token",))
    async with start_fake("messengeo_fake", faults=faults) as fake, fake.client(retry=policy) as c:
        outcomes = await asyncio.gather(
            *(c.lists.add_contacts("1", ["2"]) for _ in range(20)), return_exceptions=True
        )
        token_posts = [r for r in fake.requests if r.path == "/token"]
        api_calls = [r for r in fake.requests if r.path.startswith("/rest")]
    assert all(isinstance(o, errors.ServerError) for o in outcomes), outcomes
    assert len(token_posts) <= policy.max_attempts  # one shared fetch, retried within policy
    assert api_calls == []  # nothing is sent without a token
