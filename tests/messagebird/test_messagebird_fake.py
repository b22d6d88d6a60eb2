"""The fake server speaks MessageBird: paths, auth, envelopes, encodings, limits, error bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from contactgroups._http import RetryPolicy
from contactgroups.errors import AuthenticationError, NotFoundError, RateLimitError, ServerError
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake

KEY = "test_fakeMessageBirdAccessKey0"


@pytest.fixture
async def fake() -> AsyncIterator[MessageBirdFake]:
    async with MessageBirdFake() as f:
        yield f


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    fake: MessageBirdFake,
    method: str,
    path: str,
    *,
    key: str | None = KEY,
    **kwargs: Any,
) -> tuple[int, bytes]:
    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["Authorization"] = f"AccessKey {key}"
    async with http.request(method, fake.url + path, headers=headers, **kwargs) as r:
        return r.status, await r.read()


def errors(raw: bytes) -> list[dict[str, Any]]:
    data = json.loads(raw)
    assert set(data) == {"errors"}
    return list(data["errors"])


# -- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "AccessKey wrong"}, {"Authorization": f"Bearer {KEY}"}],
)
async def test_missing_or_wrong_key_is_401_code_2(
    fake: MessageBirdFake, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    status, raw = await call(http, fake, "GET", "/groups", key=None, headers=headers)
    assert status == 401
    assert errors(raw) == [
        {
            "code": 2,
            "description": "Request not allowed (incorrect access_key)",
            "parameter": "access_key",
        }
    ]


async def test_query_access_key_only_when_enabled(http: aiohttp.ClientSession) -> None:
    async with MessageBirdFake() as off, MessageBirdFake(query_access_key=True) as on:
        assert (await call(http, off, "GET", f"/groups?access_key={KEY}", key=None))[0] == 401
        assert (await call(http, on, "GET", f"/groups?access_key={KEY}", key=None))[0] == 200


# -- groups and envelopes --------------------------------------------------------------------


async def test_create_accepts_form_and_json_and_answers_201_group(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    status, raw = await call(http, fake, "POST", "/groups", data="name=Home")
    assert status == 201
    group = json.loads(raw)
    assert group["name"] == "Home"
    assert len(group["id"]) == 32
    assert group["href"] == f"{fake.url}/groups/{group['id']}"
    assert group["contacts"] == {
        "totalCount": 0,
        "href": f"{fake.url}/groups/{group['id']}/contacts",
    }
    assert group["createdDatetime"].endswith("+00:00")
    assert group["updatedDatetime"] == group["createdDatetime"]
    status, raw = await call(http, fake, "POST", "/groups", json={"name": "Work"})
    assert status == 201
    assert json.loads(raw)["name"] == "Work"


async def test_create_without_name_is_422_code_9(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    status, raw = await call(http, fake, "POST", "/groups", json={})
    assert status == 422
    assert errors(raw) == [{"code": 9, "description": "name is required", "parameter": "name"}]


async def test_unknown_group_is_404_code_20(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    for method, path in [
        ("GET", "/groups/nope"),
        ("PATCH", "/groups/nope"),
        ("DELETE", "/groups/nope"),
        ("GET", "/groups/nope/contacts"),
        ("PUT", "/groups/nope/contacts"),
        ("DELETE", "/groups/nope/contacts/x"),
        ("GET", "/contacts/nope"),
        ("GET", "/contacts/nope/groups"),
    ]:
        status, raw = await call(http, fake, method, path)
        assert status == 404, (method, path)
        assert errors(raw)[0]["code"] == 20


async def test_patch_answers_200_group_by_default_or_204_when_configured(
    http: aiohttp.ClientSession,
) -> None:
    async with MessageBirdFake() as f200, MessageBirdFake(group_update_status=204) as f204:
        for fake, expected in ((f200, 200), (f204, 204)):
            gid = fake.seed_group("Home")
            status, raw = await call(http, fake, "PATCH", f"/groups/{gid}", data="name=Work")
            assert status == expected
            if expected == 200:
                assert json.loads(raw)["name"] == "Work"
            else:
                assert raw == b""
            assert fake.groups[gid].name == "Work"


async def test_list_envelope_paging_and_links(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    for i in range(5):
        fake.seed_group(f"g{i}")
    status, raw = await call(http, fake, "GET", "/groups?offset=2&limit=2")
    assert status == 200
    page = json.loads(raw)
    assert [page[k] for k in ("offset", "limit", "count", "totalCount")] == [2, 2, 2, 5]
    assert [g["name"] for g in page["items"]] == ["g2", "g3"]
    url = f"{fake.url}/groups"
    assert page["links"] == {
        "first": f"{url}?offset=0&limit=2",
        "previous": f"{url}?offset=0&limit=2",
        "next": f"{url}?offset=4&limit=2",
        "last": f"{url}?offset=4&limit=2",
    }
    _, raw = await call(http, fake, "GET", "/groups")
    page = json.loads(raw)
    assert page["limit"] == 20
    assert page["count"] == 5
    assert page["links"]["previous"] is None
    assert page["links"]["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=abc", "offset=-1", "limit=251"])
async def test_bad_paging_is_422_code_10(
    fake: MessageBirdFake, http: aiohttp.ClientSession, query: str
) -> None:
    status, raw = await call(http, fake, "GET", f"/groups?{query}")
    assert status == 422
    assert errors(raw)[0]["code"] == 10


async def test_max_limit_is_configurable(http: aiohttp.ClientSession) -> None:
    async with MessageBirdFake(max_limit=1000) as fake:
        assert (await call(http, fake, "GET", "/groups?limit=1000"))[0] == 200
        assert (await call(http, fake, "GET", "/groups?limit=1001"))[0] == 422


# -- membership encodings --------------------------------------------------------------------


async def test_add_accepts_form_json_and_the_get_alternative(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    gid = fake.seed_group()
    a, b, c, d, e, g = fake.seed_contacts(6)
    path = f"/groups/{gid}/contacts"
    assert (await call(http, fake, "PUT", path, data=f"ids[]={a}&ids[]={b}"))[0] == 204
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await call(http, fake, "PUT", path, data=f"ids%5B%5D={c}", headers=ctype))[0] == 204
    status, raw = await call(http, fake, "PUT", path, json={"ids": [d], "groupId": gid})
    assert (status, raw) == (204, b"")
    assert (await call(http, fake, "GET", f"{path}?_method=PUT&ids%5B%5D={e}"))[0] == 204
    assert (await call(http, fake, "GET", f"{path}?_method=PUT&ids[]={g}"))[0] == 204
    assert fake.member_ids(gid) == {a, b, c, d, e, g}


async def test_add_skips_existing_members(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    gid = fake.seed_group()
    a, b = fake.seed_contacts(2)
    path = f"/groups/{gid}/contacts"
    assert (await call(http, fake, "PUT", path, json={"ids": [a]}))[0] == 204
    assert (await call(http, fake, "PUT", path, json={"ids": [a, b]}))[0] == 204
    assert fake.member_ids(gid) == {a, b}
    _, raw = await call(http, fake, "GET", f"/groups/{gid}")
    assert json.loads(raw)["contacts"]["totalCount"] == 2


async def test_add_past_50_ids_is_422_with_the_vendor_body(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(51)
    status, raw = await call(
        http, fake, "PUT", f"/groups/{gid}/contacts", data="&".join(f"ids[]={i}" for i in ids)
    )
    assert status == 422
    (error,) = errors(raw)
    assert error["code"] == 10
    assert error["parameter"] == "ids"
    assert fake.member_ids(gid) == set()


async def test_add_without_ids_is_422(fake: MessageBirdFake, http: aiohttp.ClientSession) -> None:
    gid = fake.seed_group()
    status, raw = await call(http, fake, "PUT", f"/groups/{gid}/contacts", data=b"")
    assert status == 422
    assert errors(raw)[0]["parameter"] == "ids"


async def test_unknown_ids_error_by_default_and_change_nothing(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    gid = fake.seed_group()
    (a,) = fake.seed_contacts(1)
    status, raw = await call(
        http, fake, "PUT", f"/groups/{gid}/contacts", json={"ids": [a, "ghost"]}
    )
    assert status == 422
    assert errors(raw)[0] == {
        "code": 10,
        "description": "ids contains unknown contact ids",
        "parameter": "ids",
    }
    assert fake.member_ids(gid) == set()


async def test_unknown_ids_can_be_ignored(http: aiohttp.ClientSession) -> None:
    async with MessageBirdFake(unknown_ids="ignore") as fake:
        gid = fake.seed_group()
        (a,) = fake.seed_contacts(1)
        path = f"/groups/{gid}/contacts"
        assert (await call(http, fake, "PUT", path, json={"ids": [a, "ghost"]}))[0] == 204
        assert fake.member_ids(gid) == {a}


async def test_remove_member_then_non_member(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    gid = fake.seed_group()
    (a,) = fake.seed_contacts(1)
    await call(http, fake, "PUT", f"/groups/{gid}/contacts", json={"ids": [a]})
    # the Python SDK's DELETE carries a JSON "{}" body: accepted
    status, raw = await call(
        http,
        fake,
        "DELETE",
        f"/groups/{gid}/contacts/{a}",
        data=b"{}",
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert (status, raw) == (204, b"")
    assert fake.member_ids(gid) == set()
    assert fake.contacts[a].groups.page(0, 10) == []
    status, raw = await call(http, fake, "DELETE", f"/groups/{gid}/contacts/{a}")
    assert status == 404
    assert errors(raw)[0]["code"] == 20


async def test_the_python_sdk_add_shape_is_not_an_add(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    """PUT /groups/{id}?ids[]=.. (no /contacts) adds nothing (nodejs #89 saw a 404)."""
    gid = fake.seed_group()
    (a,) = fake.seed_contacts(1)
    status, raw = await call(http, fake, "PUT", f"/groups/{gid}?ids[]={a}", json={})
    assert status == 404
    assert errors(raw)[0]["description"] == "Resource not found"
    status, _ = await call(http, fake, "GET", f"/groups/{gid}?_method=PUT&ids[]={a}")
    assert status == 404
    assert fake.member_ids(gid) == set()


async def test_unknown_path_is_404_vendor_body(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    status, raw = await call(http, fake, "GET", "/nothing/here")
    assert status == 404
    assert errors(raw)[0]["code"] == 20


# -- contacts --------------------------------------------------------------------------------


async def test_contact_create_form_or_json_msisdn_number_in_answers(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    status, raw = await call(
        http, fake, "POST", "/contacts", data="msisdn=31612345678&firstName=Foo&custom2=x"
    )
    assert status == 201
    contact = json.loads(raw)
    assert contact["msisdn"] == 31612345678
    assert contact["firstName"] == "Foo"
    assert contact["lastName"] is None
    assert contact["customDetails"] == {
        "custom1": None,
        "custom2": "x",
        "custom3": None,
        "custom4": None,
    }
    assert contact["groups"]["totalCount"] == 0
    status, raw = await call(http, fake, "POST", "/contacts", json={"msisdn": 31612345678})
    assert status == 201
    assert json.loads(raw)["msisdn"] == 31612345678


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, 9), ({"msisdn": "abc"}, 10), ({"msisdn": "0612"}, 10), ({"msisdn": True}, 10)],
)
async def test_contact_create_checks_msisdn(
    fake: MessageBirdFake, http: aiohttp.ClientSession, body: dict[str, Any], code: int
) -> None:
    status, raw = await call(http, fake, "POST", "/contacts", json=body)
    assert status == 422
    assert errors(raw)[0]["code"] == code
    assert errors(raw)[0]["parameter"] == "msisdn"
    assert fake.contacts == {}


async def test_contact_list_msisdn_filter_patch_and_delete(
    fake: MessageBirdFake, http: aiohttp.ClientSession
) -> None:
    a = fake.seed_contact(31612345678)
    b = fake.seed_contact(31612345678)
    fake.seed_contact(31699999999)
    _, raw = await call(http, fake, "GET", "/contacts?msisdn=31612345678")
    assert [c["id"] for c in json.loads(raw)["items"]] == [a, b]
    status, raw = await call(http, fake, "PATCH", f"/contacts/{a}", json={"msisdn": "31611111111"})
    assert status == 200
    assert json.loads(raw)["msisdn"] == 31611111111
    _, raw = await call(http, fake, "GET", "/contacts?msisdn=31612345678")
    assert [c["id"] for c in json.loads(raw)["items"]] == [b]
    gid = fake.seed_group()
    await call(http, fake, "PUT", f"/groups/{gid}/contacts", json={"ids": [a, b]})
    assert (await call(http, fake, "DELETE", f"/contacts/{a}"))[0] == 204
    assert fake.member_ids(gid) == {b}
    _, raw = await call(http, fake, "GET", f"/contacts/{b}/groups")
    assert [g["id"] for g in json.loads(raw)["items"]] == [gid]
    assert (await call(http, fake, "DELETE", f"/groups/{gid}"))[0] == 204
    _, raw = await call(http, fake, "GET", f"/contacts/{b}")
    assert json.loads(raw)["groups"]["totalCount"] == 0


async def test_contact_patch_can_answer_204(http: aiohttp.ClientSession) -> None:
    async with MessageBirdFake(contact_update_status=204) as fake:
        a = fake.seed_contact()
        status, raw = await call(http, fake, "PATCH", f"/contacts/{a}", json={"firstName": "N"})
        assert (status, raw) == (204, b"")
        assert fake.contacts[a].first_name == "N"


# -- faults ----------------------------------------------------------------------------------


async def test_injected_faults_use_the_vendor_error_body() -> None:
    faults = Faults(server_error=1.0, seed=1)
    async with MessageBirdFake(faults=faults) as fake, fake.client(retry=None) as client:
        with pytest.raises(ServerError) as info:
            await client.groups.list()
    assert info.value.code == 99
    assert info.value.message == "internal error"
    faults = Faults(rate_limit=1.0, retry_after=7, seed=1)
    async with MessageBirdFake(faults=faults) as fake, fake.client(retry=None) as client:
        with pytest.raises(RateLimitError) as rate:
            await client.groups.list()
    assert rate.value.code == 0
    assert rate.value.retry_after == 7


async def test_faults_are_retried_and_land_once() -> None:
    faults = Faults(server_error=0.5, rate_limit=0.2, seed=3)
    async with MessageBirdFake(faults=faults) as fake:
        gid = fake.seed_group()
        ids = fake.seed_contacts(10)
        retry = RetryPolicy(max_attempts=10, backoff_base=0.001, backoff_max=0.002)
        async with fake.client(retry=retry) as client:
            for contact_id in ids:
                await client.groups.add_contacts(gid, [contact_id])
        assert fake.member_ids(gid) == set(ids)
        assert any(r.fault for r in fake.requests)


async def test_client_helper_passes_kwargs_through(fake: MessageBirdFake) -> None:
    async with fake.client(access_key="wrong", retry=None) as client:
        assert client.base_url == fake.url
        with pytest.raises(AuthenticationError) as info:
            await client.groups.get("x")
    assert info.value.code == 2


async def test_member_ids_of_an_unknown_group_is_a_key_error(fake: MessageBirdFake) -> None:
    with pytest.raises(KeyError):
        fake.member_ids("nope")
    with pytest.raises(NotFoundError):
        async with fake.client() as client:
            await client.groups.get("nope")
