"""The fake's own contract: token endpoint, bearer check, envelopes, properties, paging, counts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from contactgroups.testing.messengeo import MessengeoFake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def token(fake: MessengeoFake, http: aiohttp.ClientSession) -> str:
    async with http.post(
        fake.origin + "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        },
    ) as r:
        assert r.status == 200
        body = await r.json()
    assert body["expires_in"] == "3600" and body["token_type"] == "bearer"
    assert len(body["access_token"]) < 100  # short: fits any header limit
    return str(body["access_token"])


async def call(
    fake: MessengeoFake, http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {await token(fake, http)}"}
    async with http.request(method, fake.url + path, headers=headers, **kwargs) as r:
        return r.status, await r.json()


async def test_token_refuses_bad_credentials(
    fake: MessengeoFake, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        fake.origin + "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": fake.client_id,
            "client_secret": "nope",
        },
    ) as r:
        assert r.status == 400
        assert await r.json() == {
            "error": "invalid_client",
            "error_description": "The client credentials are invalid",
        }
    async with http.post(fake.origin + "/token", data={"grant_type": "password"}) as r:
        assert r.status == 400
        assert (await r.json())["error"] == "unsupported_grant_type"
    assert fake.token_requests == 2


@pytest.mark.parametrize(
    "header", [None, "bearer {token}", "Bearer wrong", "Basic {token}", "Bearer  {token}"]
)
async def test_bearer_check(
    fake: MessengeoFake, http: aiohttp.ClientSession, header: str | None
) -> None:
    good = await token(fake, http)
    headers = {} if header is None else {"Authorization": header.format(token=good)}
    async with http.get(fake.url + "/lists", headers=headers) as r:
        assert r.status == 401
        body = await r.json()
    assert body["status"] == 401 and body["message"]
    assert fake.unauthorized == 1


async def test_envelope_strings_and_total(fake: MessengeoFake, http: aiohttp.ClientSession) -> None:
    list_id = fake.seed_group("A")
    fake.seed_group("B")
    members = fake.seed_contacts(3)
    fake.lists[list_id].members.update(dict.fromkeys(members))
    status, body = await call(fake, http, "GET", f"/lists?id={list_id}&properties=DEFAULT,stats")
    assert status == 200
    assert body == {
        "list": [
            {
                "id": list_id,
                "name": "A",
                "description": None,
                "stats": {
                    "subscribers": "3",
                    "sms": "3",
                    "email": "3",
                    "voice": "3",
                    "voicemail": "3",
                },
            }
        ],
        "size": 1,
        "total": None,  # not asked for
    }
    _, body = await call(fake, http, "GET", "/lists?total=1&limit=1")
    assert body["total"] == 2 and body["size"] == 1


async def test_properties_default_alias(fake: MessengeoFake, http: aiohttp.ClientSession) -> None:
    fake.seed_group("A")
    _, plain = await call(fake, http, "GET", "/lists")
    assert set(plain["list"][0]) == {"id", "name", "description"}
    _, some = await call(fake, http, "GET", "/lists?properties=name,dateCreated,bogus")
    assert set(some["list"][0]) == {"id", "name", "dateCreated"}
    _, more = await call(fake, http, "GET", "/lists?properties=DEFAULT,importStatus")
    assert set(more["list"][0]) == {"id", "name", "description", "importStatus"}


async def test_limit_default_and_cap(http: aiohttp.ClientSession) -> None:
    async with MessengeoFake(max_limit=150) as fake:
        fake.seed_contacts(260)
        _, body = await call(fake, http, "GET", "/contacts?properties=id")
        assert body["size"] == 100
        _, body = await call(fake, http, "GET", "/contacts?limit=5000&offset=100&properties=id")
        assert body["size"] == 150
        _, body = await call(fake, http, "GET", "/contacts?limit=abc")
        assert body["status"] == 400


async def test_sort(fake: MessengeoFake, http: aiohttp.ClientSession) -> None:
    ids = [fake.seed_group(n) for n in ("b", "a", "c")]
    _, body = await call(fake, http, "GET", "/lists?sort=id%20DESC")
    assert [i["id"] for i in body["list"]] == sorted(ids, key=int, reverse=True)
    _, body = await call(fake, http, "GET", "/lists?sort=name%20ASC")
    assert [i["name"] for i in body["list"]] == ["a", "b", "c"]


async def test_json_body_and_json_string_contacts(
    fake: MessengeoFake, http: aiohttp.ClientSession
) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(2)
    status, body = await call(
        fake,
        http,
        "POST",
        "/lists?action=contactadd",
        json={"id": list_id, "metaData": {"contactIds": ",".join(ids)}},
    )
    assert (status, body) == (200, {"count": 2})
    status, body = await call(
        fake,
        http,
        "POST",
        "/contacts",
        data={"contacts": json.dumps([{"email": "x@example.fr"}])},
    )
    assert status == 200 and body["list"][0]["email"] == "x@example.fr"


async def test_count_counts_only_real_changes(
    fake: MessengeoFake, http: aiohttp.ClientSession
) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(3)
    meta = json.dumps({"contactIds": ",".join([*ids, "999"])})
    path = "/lists?action=contactadd"
    assert (await call(fake, http, "POST", path, data={"id": list_id, "metaData": meta}))[1] == {
        "count": 3
    }
    assert (await call(fake, http, "POST", path, data={"id": list_id, "metaData": meta}))[1] == {
        "count": 0
    }
    assert (await call(fake, http, "POST", path, data={"id": "1", "metaData": meta}))[1] == {
        "count": 0
    }  # an unknown list matches nothing


async def test_max_ids_per_call_option(http: aiohttp.ClientSession) -> None:
    async with MessengeoFake(max_ids_per_call=2) as fake:
        list_id = fake.seed_group()
        meta = json.dumps({"contactIds": "1,2,3"})
        status, body = await call(
            fake, http, "POST", "/lists?action=contactadd", data={"id": list_id, "metaData": meta}
        )
    assert status == 400 and "at most 2" in body["details"]


async def test_missing_parameters(fake: MessengeoFake, http: aiohttp.ClientSession) -> None:
    for method, path, data in [
        ("POST", "/lists", {}),
        ("PUT", "/lists", {"metaData": "{}"}),
        ("DELETE", "/lists", None),
        ("POST", "/lists?action=contactadd", {"id": "1"}),
        ("POST", "/lists?action=contactadd", {"id": "1", "metaData": "not json"}),
        ("POST", "/lists?action=explode", {}),
        ("POST", "/lists?action=import&name=x", {}),
    ]:
        status, body = await call(fake, http, method, path, data=data)
        assert status == 400 and body["status"] == 400, (method, path, body)


async def test_import_reads_name_only_from_the_query(
    fake: MessengeoFake, http: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("name", "in the body")
    form.add_field("contactFile", b"a@b.fr\n", filename="a.csv", content_type="text/csv")
    status, body = await call(fake, http, "POST", "/lists?action=import", data=form)
    assert status == 400 and "name" in body["details"]


async def test_import_rejects_xls_in_the_fake(fake: MessengeoFake) -> None:
    async with fake.client() as client:
        with pytest.raises(Exception, match="CSV"):
            await client.lists.import_file("L", b"\xd0\xcf", filename="a.xls")


async def test_client_query_encoding_reaches_the_server_once_encoded(
    fake: MessengeoFake,
) -> None:
    list_id = fake.seed_group()
    async with fake.client() as client:
        await client.lists.list(ids=[list_id, "2"], properties=["DEFAULT", "stats"], sort="id DESC")
        (created,) = await client.contacts.create(
            [{"email": "a+b@example.fr", "mobile": "+33612345678"}]
        )
        found = await client.contacts.find(email="a+b@example.fr", mobile="+33612345678")
        assert [c.id for c in found.items] == [created.id]
    # the fake records the query decoded once: no "%2C"/"%20" left means no double encoding
    lists_query, contacts_query = (r.query for r in fake.requests if r.method == "GET")
    assert lists_query == (
        f"id={list_id},2&properties=DEFAULT,stats&sort=id DESC&limit=100&offset=0&total=1"
    )
    assert contacts_query == (
        "email=a%2Bb@example.fr&mobile=%2B33612345678&limit=100&offset=0&total=1"
    )


async def test_seed_helpers(fake: MessengeoFake) -> None:
    list_id = fake.seed_group("Seeded")
    assert list_id.isdigit()
    ids = fake.seed_contacts(3)
    assert all(i.isdigit() for i in ids) and len(set(ids)) == 3
    assert fake.member_ids(list_id) == set()
    assert fake.member_ids("nope") == set()
    async with fake.client() as client:
        assert client.base_url == fake.url
        assert client.auth.token_url == fake.origin + "/token"
        await client.lists.add_contacts(list_id, ids)
    assert fake.member_ids(list_id) == set(ids)


async def test_delete_list_keeps_contacts_and_cleans_list_ids(fake: MessengeoFake) -> None:
    list_id = fake.seed_group()
    ids = fake.seed_contacts(2)
    async with fake.client() as client:
        await client.lists.add_contacts(list_id, ids)
        assert await client.lists.delete([list_id]) == 1
        page = await client.contacts.find(ids=ids, properties=["listIds"])
    assert [c.list_ids for c in page.items] == [(), ()]


async def test_update_counts_matching_lists(fake: MessengeoFake) -> None:
    a, b = fake.seed_group("a"), fake.seed_group("b")
    async with fake.client() as client:
        assert await client.lists.update([a, b, "1"], description="same") == 2
        got = [item async for item in client.lists.list(ids=[a, b])]
    assert [g.description for g in got] == ["same", "same"]


async def test_contact_create_417_creates_nothing(fake: MessengeoFake) -> None:
    from contactgroups import ValidationError

    async with fake.client() as client:
        with pytest.raises(ValidationError) as info:
            await client.contacts.create([{"email": "ok@example.fr"}, {"email": "jean@exemple"}])
    assert info.value.status == 417
    assert info.value.message == "Invalid email: jean@exemple (contacts[1][email])"
    assert fake.contacts == {}
