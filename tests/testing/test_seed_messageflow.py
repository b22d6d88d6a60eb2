"""The MessageFlow fake answers as the captured vendor page shows
(``shared/seeds/000_7d37ded32279dec4.txt``, "Groups", API v2.1), and the SDK reads those answers."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from contactgroups.testing.messageflow import MessageFlowFake


@pytest.fixture
async def fake() -> AsyncIterator[MessageFlowFake]:
    async with MessageFlowFake() as f:
        yield f


async def get(fake: MessageFlowFake, path: str) -> tuple[int, Any]:
    headers = {"Authorization": fake.authorization, "Application-Key": fake.application_key}
    async with (
        aiohttp.ClientSession() as session,
        session.get(fake.url + path, headers=headers) as response,
    ):
        return response.status, json.loads(await response.read())


# -- createdAt ------------------------------------------------------------------------------------


async def test_created_at_is_the_integer_the_seed_shows(fake: MessageFlowFake) -> None:
    # seed, "List groups", 200 example:
    #   "data": [ { "createdAt": 1, "id": 1234, "name": "test", "description": "Test descr" } ]
    before = int(time.time())
    fake.seed_group("test", description="Test descr")
    status, body = await get(fake, "/group")
    assert status == 200
    (group,) = body["data"]
    assert type(group["createdAt"]) is int  # not a date string, not a bool
    assert before <= group["createdAt"] <= int(time.time())
    assert type(group["id"]) is int


async def test_the_client_reads_the_integer_created_at(fake: MessageFlowFake) -> None:
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    gid = fake.seed_group("test")
    async with fake.client() as client:
        page = await client.groups.list()
    (group,) = page.items
    assert group.id == gid
    assert group.created_at is not None
    assert group.created_at.tzinfo is not None  # epoch seconds are read as aware UTC
    assert before <= group.created_at <= dt.datetime.now(dt.timezone.utc)


async def test_groups_order_by_created_at_then_id(fake: MessageFlowFake) -> None:
    # seed, "List groups": "You can order only by id, createdAt and name."
    first, second = fake.seed_group("b"), fake.seed_group("a")
    fake.groups[first].created_at = 2_000_000_000  # created "later" than the second
    status, body = await get(fake, "/group?orderBy=createdAt&orderDirection=ASC")
    assert status == 200
    assert [str(g["id"]) for g in body["data"]] == [second, first]
    _, body = await get(fake, "/group?orderBy=createdAt&orderDirection=DESC")
    assert [str(g["id"]) for g in body["data"]] == [first, second]


# -- member listing: orderBy / orderDirection -----------------------------------------------------


@pytest.fixture
def members(fake: MessageFlowFake) -> tuple[str, list[str]]:
    """A group whose members joined in an order that is not their id order."""
    gid = fake.seed_group()
    a, b, c, d = fake.seed_contacts(4)
    fake.seed_members(gid, [c, a, d, b])
    return gid, [a, b, c, d]


async def ids_listed(fake: MessageFlowFake, gid: str, query: str = "") -> list[str]:
    status, body = await get(fake, f"/group/{gid}/contact{query}")
    assert status == 200
    return [item["id"] for item in body["data"]]


async def test_member_listing_defaults_to_id_descending(
    fake: MessageFlowFake, members: tuple[str, list[str]]
) -> None:
    # seed, "List contacts in group": orderBy "Default: id", orderDirection "Default: DESC"
    gid, ids = members
    assert await ids_listed(fake, gid) == ids[::-1]


@pytest.mark.parametrize("order_by", ["id", "createdAt"])
async def test_member_listing_honours_order_by_and_direction(
    fake: MessageFlowFake, members: tuple[str, list[str]], order_by: str
) -> None:
    # seed, "List contacts in group": "orderBy ... Allows you to select the field by which the
    # sort should be performed. ( For this method: id, createdAt )", "orderDirection ... ( ASC or
    # DESC )". The fake numbers contacts as it creates them, so createdAt order is id order.
    gid, ids = members
    assert await ids_listed(fake, gid, f"?orderBy={order_by}&orderDirection=ASC") == ids
    assert await ids_listed(fake, gid, f"?orderBy={order_by}&orderDirection=DESC") == ids[::-1]
    paged = await ids_listed(fake, gid, f"?orderBy={order_by}&orderDirection=ASC&offset=1&limit=2")
    assert paged == ids[1:3]


async def test_member_listing_order_follows_membership_changes(
    fake: MessageFlowFake, members: tuple[str, list[str]]
) -> None:
    gid, ids = members
    assert await ids_listed(fake, gid, "?orderDirection=ASC") == ids  # sorted once, kept
    async with fake.client() as client:
        await client.groups.remove_contacts(gid, [ids[1]])
        (newest,) = fake.seed_contacts(1)
        await client.groups.add_contacts(gid, [newest, ids[1]])
    assert await ids_listed(fake, gid, "?orderDirection=ASC") == [*ids, newest]


async def test_the_client_asks_for_an_order_and_gets_it(
    fake: MessageFlowFake, members: tuple[str, list[str]]
) -> None:
    gid, ids = members
    async with fake.client() as client:
        ascending = [
            c.id async for c in client.groups.list_contacts(gid, page_size=3, order_direction="ASC")
        ]
        default = [c.id async for c in client.groups.list_contacts(gid, order_by="createdAt")]
    assert ascending == ids
    assert default == ids[::-1]
