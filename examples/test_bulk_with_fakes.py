"""More tests against the fakes: one bulk job at every vendor, a flaky vendor, an error.

Run like ``test_with_fakes.py`` (its docstring says how): ``pytestmark`` marks every test for
pytest-asyncio, and the fixtures come from the plugin contactgroups installs.
"""

import pytest

from contactgroups import errors, multi
from contactgroups.testing import Faults, VendorFake
from contactgroups.testing.messagebird import MessageBirdFake

pytestmark = pytest.mark.asyncio


async def test_one_bulk_job_at_every_vendor(
    messagebird_fake: VendorFake,
    messente_fake: VendorFake,
    messageflow_fake: VendorFake,
    messengeo_fake: VendorFake,
) -> None:
    fakes = (messagebird_fake, messente_fake, messageflow_fake, messengeo_fake)
    groups = [fake.seed_group("VIP") for fake in fakes]
    ids = [fake.seed_contacts(5) for fake in fakes]  # contact ids; phone numbers at Messente
    clients = [fake.client() for fake in fakes]
    try:
        targets = [multi.Target(c, g, i) for c, g, i in zip(clients, groups, ids, strict=True)]
        report = await multi.add(targets)
    finally:
        for client in clients:
            await client.aclose()
    assert report.ok, report.failed_ids()
    for fake, group, wanted in zip(fakes, groups, ids, strict=True):
        assert fake.member_ids(group) == set(wanted)


async def test_a_flaky_vendor_still_lands_every_id(messagebird_fake: MessageBirdFake) -> None:
    # about one request in three answers 503 (drawn from a seeded RNG, so the run can be replayed)
    messagebird_fake.faults = Faults(server_error=0.3, seed=7)
    group = messagebird_fake.seed_group("Flaky")
    wanted = messagebird_fake.seed_contacts(40)
    async with messagebird_fake.client() as client:
        report = await multi.add([multi.Target(client, group, wanted)])
    assert messagebird_fake.member_ids(group) == {
        i for i in wanted if report.outcome(0, i).ok
    }  # the report never calls a missing id landed


async def test_an_unknown_group_is_not_found(messagebird_fake: MessageBirdFake) -> None:
    async with messagebird_fake.client() as client:
        with pytest.raises(errors.NotFoundError):
            await client.groups.get("0" * 32)
