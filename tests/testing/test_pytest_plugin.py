"""The fixtures the installed pytest plugin offers users, one per fake vendor."""

from __future__ import annotations

from typing import Any

from contactgroups import multi
from contactgroups.testing import FakeServer


async def test_each_fixture_is_a_running_fake_with_the_shared_helpers(
    messagebird_fake: Any, messente_fake: Any, messageflow_fake: Any, messengeo_fake: Any
) -> None:
    for fake in (messagebird_fake, messente_fake, messageflow_fake, messengeo_fake):
        assert isinstance(fake, FakeServer)
        assert fake.url.startswith("http://127.0.0.1:")
        group = fake.seed_group("plugin")
        ids = fake.seed_contacts(3)
        async with fake.client() as client:
            report = await multi.add([multi.Target(client, group, ids)])
        assert report.ok
        assert fake.member_ids(group) == set(ids)


async def test_each_test_gets_a_fresh_fake(messagebird_fake: Any) -> None:
    assert messagebird_fake.requests == []
