"""The Messengeo fake takes a read filter the way the captured vendor page sends it
(``shared/seeds/003_02b64aa42fbe8819.txt``, "Reading contact lists")."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from contactgroups.testing.messengeo import MessengeoFake

# The seed's example, verbatim but for the token:
#   GET /rest/lists HTTP/1.1 Authorization: Bearer eyJ0eXAi… Host: contacts.messengeo.net
#   Content-Type: application/x-www-form-urlencoded id=12,65
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def fake() -> AsyncIterator[MessengeoFake]:
    async with MessengeoFake() as f:
        yield f


async def token(session: aiohttp.ClientSession, fake: MessengeoFake) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    async with session.post(fake.origin + "/token", data=form) as response:
        return str((await response.json())["access_token"])


async def get_with_form_body(fake: MessengeoFake, path: str, body: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        headers = {**FORM, "Authorization": "Bearer " + await token(session, fake)}
        async with session.get(fake.url + path, data=body, headers=headers) as response:
            return response.status, json.loads(await response.read())


async def test_lists_read_filter_in_a_get_form_body(fake: MessengeoFake) -> None:
    first, _, third = (fake.seed_group(name) for name in ("one", "two", "three"))
    status, body = await get_with_form_body(fake, "/lists", f"id={first},{third}")
    assert status == 200
    assert sorted(item["id"] for item in body["list"]) == sorted([first, third])
    assert body["size"] == 2


async def test_the_seed_example_itself_matches_nothing_here(fake: MessengeoFake) -> None:
    fake.seed_group("not 12 nor 65")
    status, body = await get_with_form_body(fake, "/lists", "id=12,65")
    assert status == 200
    assert body["list"] == []  # the filter was read: without it the one list would come back


async def test_contacts_read_filter_and_properties_in_a_get_form_body(
    fake: MessengeoFake,
) -> None:
    group = fake.seed_group("members")
    a, b, c = fake.seed_contacts(3)
    async with fake.client() as client:
        await client.lists.add_contacts(group, [a, c])
    status, body = await get_with_form_body(fake, "/contacts", f"listId={group}&properties=id")
    assert status == 200
    assert [item["id"] for item in body["list"]] == [a, c]
    assert all(set(item) == {"id"} for item in body["list"])
    assert b not in {item["id"] for item in body["list"]}
