"""The fake's ``accept_sdk_add_path`` option: the official Python SDK's add request, on demand.

The official ``messagebird`` SDK (2.2.0) sends ``group_add_contacts`` as
``PUT /groups/{id}?ids[]=a&ids[]=b`` with the body ``{}``: no ``/contacts`` in the path. The fake
takes that as an add only when asked to (the benchmarks do); by default it is a 404, as for any
verb a resource does not have.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from contactgroups.testing.messagebird import DEFAULT_ACCESS_KEY, MessageBirdFake

SDK_HEADERS = {
    "Accept": "application/json",
    "Authorization": f"AccessKey {DEFAULT_ACCESS_KEY}",
    "Content-Type": "application/json; charset=UTF-8",
}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def sdk_put(
    http: aiohttp.ClientSession, fake: MessageBirdFake, group_id: str, query: str
) -> tuple[int, bytes]:
    """The request as the SDK sends it (query string kept byte for byte)."""
    url = f"{fake.url}/groups/{group_id}?{query}"
    async with http.put(url, data=b"{}", headers=SDK_HEADERS) as response:
        return response.status, await response.read()


def first_error(raw: bytes) -> dict[str, Any]:
    errors = json.loads(raw)["errors"]
    assert isinstance(errors, list)
    return dict(errors[0])


async def test_off_by_default_the_sdk_path_is_not_an_add(http: aiohttp.ClientSession) -> None:
    async with MessageBirdFake() as fake:
        group = fake.seed_group()
        ids = fake.seed_contacts(2)
        status, body = await sdk_put(http, fake, group, f"ids[]={ids[0]}&ids[]={ids[1]}")
        assert status == 404
        assert first_error(body)["code"] == 20
        assert fake.member_ids(group) == set()


@pytest.mark.parametrize("brackets", ["[]", "%5B%5D"])
async def test_on_the_sdk_path_adds_the_ids(http: aiohttp.ClientSession, brackets: str) -> None:
    async with MessageBirdFake(accept_sdk_add_path=True) as fake:
        group = fake.seed_group()
        ids = fake.seed_contacts(3)
        query = "&".join(f"ids{brackets}={i}" for i in ids)
        status, body = await sdk_put(http, fake, group, query)
        assert (status, body) == (204, b"")
        assert fake.member_ids(group) == set(ids)
        # a repeat is a no-op, as on the documented path
        assert (await sdk_put(http, fake, group, query))[0] == 204
        assert fake.member_ids(group) == set(ids)


async def test_on_the_sdk_path_keeps_the_vendor_limits(http: aiohttp.ClientSession) -> None:
    async with MessageBirdFake(accept_sdk_add_path=True) as fake:
        group = fake.seed_group()
        ids = fake.seed_contacts(51)
        status, body = await sdk_put(http, fake, group, "&".join(f"ids[]={i}" for i in ids))
        assert status == 422
        assert first_error(body)["parameter"] == "ids"
        status, body = await sdk_put(http, fake, group, "")
        assert status == 422
        assert first_error(body)["code"] == 9
        status, body = await sdk_put(http, fake, "nosuchgroup", f"ids[]={ids[0]}")
        assert status == 404
        assert fake.member_ids(group) == set()


async def test_on_the_documented_path_and_the_group_update_still_work(
    http: aiohttp.ClientSession,
) -> None:
    async with MessageBirdFake(accept_sdk_add_path=True) as fake, fake.client() as client:
        group = fake.seed_group("Old")
        ids = fake.seed_contacts(2)
        await client.groups.add_contacts(group, ids)
        assert fake.member_ids(group) == set(ids)
        renamed = await client.groups.update(group, name="New")
        assert renamed.name == "New"


async def test_the_official_sdk_adds_through_the_fake() -> None:
    # tests/messagebird would pass for the SDK as a namespace package: ask for a real module
    pytest.importorskip(
        "messagebird.client",
        reason="the official MessageBird SDK is only in the bench extra: pip install -e '.[bench]'",
    )
    from messagebird.client import USER_AGENT
    from messagebird.http_client import HttpClient

    import messagebird

    async with MessageBirdFake(accept_sdk_add_path=True) as fake:
        group = fake.seed_group()
        ids = fake.seed_contacts(50)
        sdk = messagebird.Client(
            fake.access_key, http_client=HttpClient(fake.url, fake.access_key, USER_AGENT)
        )
        await asyncio.to_thread(sdk.group_add_contacts, group, ids)
        assert fake.member_ids(group) == set(ids)
        await asyncio.to_thread(sdk.group_remove_contact, group, ids[0])
        assert fake.member_ids(group) == set(ids[1:])
