"""Wire tests: the exact request each method sends (method, path, both headers, JSON body)."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import pytest
import yarl
from aioresponses import aioresponses

from contactgroups import messageflow
from contactgroups.errors import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    ServerError,
)
from contactgroups.messageflow import GroupInput, GroupUpdate

BASE = "https://api.messageflow.com/v2.1"
AUTH = "A" * 128
APP = "app-key-7d41a0e2b5c9"
META_ONLY = {
    "meta": {"numberOfErrors": 0, "numberOfData": 1, "status": 200, "uniqId": "00d928f759"}
}


def make_client(**kwargs: Any) -> messageflow.Client:
    return messageflow.Client(authorization=AUTH, application_key=APP, retry=None, **kwargs)


def only_request(m: aioresponses, method: str) -> tuple[yarl.URL, dict[str, Any]]:
    found = [(url, calls) for (verb, url), calls in m.requests.items() if verb == method]
    assert len(found) == 1, found
    url, calls = found[0]
    assert len(calls) == 1
    return url, calls[0].kwargs


def assert_headers(kwargs: dict[str, Any], *, body: bool) -> None:
    headers = kwargs["headers"]
    assert headers["Authorization"] == AUTH  # raw key, no scheme
    assert headers["Application-Key"] == APP
    assert headers["Accept"] == "application/json"
    if body:
        assert headers["Content-Type"] == "application/json"
    else:
        assert "Content-Type" not in headers
        assert kwargs["data"] is None


def sent_json(kwargs: dict[str, Any]) -> Any:
    return json.loads(kwargs["data"])


# -- groups ---------------------------------------------------------------------------------------


async def test_list_groups() -> None:
    page_body = {
        "meta": {"numberOfErrors": 0, "numberOfData": 1, "status": 200, "uniqId": "00d928f759"},
        "data": [{"createdAt": 1, "id": 1234, "name": "test", "description": "Test descr"}],
    }
    with aioresponses() as m:
        m.get(re.compile(r".*/group\?.*"), payload=page_body)
        async with make_client() as client:
            page = await client.groups.list(page_size=2, order_by="name", order_direction="asc")
        url, kwargs = only_request(m, "GET")
    assert url.with_query(None) == yarl.URL(f"{BASE}/group")
    assert dict(url.query) == {
        "offset": "0",
        "limit": "2",
        "orderBy": "name",
        "orderDirection": "ASC",
    }
    assert_headers(kwargs, body=False)
    assert [g.id for g in page.items] == ["1234"]
    assert page.request_id == "00d928f759"
    # fewer than `limit` came back on a first page: the vendor may cap pages below the limit,
    # so one more page is asked (a 404 ends it); a short page after a full one is the last
    assert page.next_offset == 1


async def test_list_groups_walks_pages_until_a_short_page() -> None:
    def body(ids: list[int]) -> dict[str, Any]:
        return {"meta": {"uniqId": "a"}, "data": [{"id": i, "name": f"g{i}"} for i in ids]}

    with aioresponses() as m:
        m.get(f"{BASE}/group?offset=0&limit=2", payload=body([1, 2]))
        m.get(f"{BASE}/group?offset=2&limit=2", payload=body([3]))
        async with make_client() as client:
            ids = [g.id async for g in client.groups.list(page_size=2)]
    assert ids == ["1", "2", "3"]


async def test_list_groups_404_is_an_empty_page() -> None:
    no_results = {
        "meta": {"numberOfErrors": 1, "numberOfData": 0, "status": 404, "uniqId": "a3e81c0d42"},
        "errors": [{"title": "Not found", "message": "No results", "code": "E-0-404"}],
    }
    with aioresponses() as m:
        m.get(f"{BASE}/group?offset=0&limit=100", status=404, payload=no_results)
        async with make_client() as client:
            page = await client.groups.list()
    assert page.items == ()
    assert page.next_offset is None
    assert page.request_id == "a3e81c0d42"


async def test_list_groups_non_vendor_404_still_raises() -> None:
    with aioresponses() as m:
        m.get(
            f"{BASE}/group?offset=0&limit=100",
            status=404,
            body="<html>nope</html>",
            content_type="text/html",
        )
        async with make_client() as client:
            with pytest.raises(NotFoundError):
                await client.groups.list()


async def test_create_groups_sends_the_seed_body() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group", payload=META_ONLY)
        async with make_client() as client:
            result = await client.groups.create(
                [GroupInput(name="test", description="Test descr", external_id="XXXXX-XXXX-XXXX")]
            )
        url, kwargs = only_request(m, "POST")
    assert str(url) == f"{BASE}/group"
    assert_headers(kwargs, body=True)
    assert (
        kwargs["data"]
        == b'[{"name":"test","description":"Test descr","externalId":"XXXXX-XXXX-XXXX"}]'
    )
    assert result.ok and result.data == () and result.request_id == "00d928f759"


async def test_create_one_by_name_and_many() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group", payload=META_ONLY, repeat=True)
        async with make_client() as client:
            await client.groups.create(name="VIP")
            await client.groups.create(GroupInput(name="one"))
            await client.groups.create([GroupInput(name="a"), GroupInput(name="b")])
        calls = m.requests[("POST", yarl.URL(f"{BASE}/group"))]
    assert [sent_json(c.kwargs) for c in calls] == [
        [{"name": "VIP"}],
        [{"name": "one"}],
        [{"name": "a"}, {"name": "b"}],
    ]


async def test_create_207_is_a_result_not_an_exception() -> None:
    body = {
        "meta": {"numberOfErrors": 1, "numberOfData": 1, "status": 207, "uniqId": "5f1c0a9b3e"},
        "data": [{"id": 1043, "name": "VIP customers", "externalId": "vip-2025"}],
        "errors": [
            {
                "title": "Validation error",
                "message": "Field name cannot be empty",
                "code": "E-3-001",
                "meta": {"parameter": "name", "value": "", "source": "1"},
            }
        ],
    }
    with aioresponses() as m:
        m.post(f"{BASE}/group", status=207, payload=body)
        async with make_client() as client:
            result = await client.groups.create([GroupInput(name="VIP customers")])
    assert not result.ok
    assert result.status == 207
    assert result.request_id == "5f1c0a9b3e"
    assert [g.id for g in result.data] == ["1043"]
    [error] = result.errors
    assert (error.title, error.message, error.code) == (
        "Validation error",
        "Field name cannot be empty",
        "E-3-001",
    )
    assert (error.parameter, error.value, error.source) == ("name", "", "1")


async def test_create_is_not_retried_on_503() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group", status=503, payload={"meta": {}}, repeat=True)
        async with messageflow.Client(authorization=AUTH, application_key=APP) as client:
            with pytest.raises(ServerError):
                await client.groups.create(name="x")
        assert len(m.requests[("POST", yarl.URL(f"{BASE}/group"))]) == 1


async def test_update_groups_sends_the_seed_body() -> None:
    with aioresponses() as m:
        m.put(f"{BASE}/group", payload=META_ONLY)
        async with make_client() as client:
            await client.groups.update(GroupUpdate(id=1234, name="test", description="Test descr"))
        url, kwargs = only_request(m, "PUT")
    assert str(url) == f"{BASE}/group"
    assert_headers(kwargs, body=True)
    assert kwargs["data"] == b'[{"id":1234,"name":"test","description":"Test descr"}]'


async def test_update_by_keyword_sends_an_integer_id() -> None:
    with aioresponses() as m:
        m.put(f"{BASE}/group", payload=META_ONLY)
        async with make_client() as client:
            await client.groups.update(group_id="1043", name="VIP 2025")
        _, kwargs = only_request(m, "PUT")
    assert sent_json(kwargs) == [{"id": 1043, "name": "VIP 2025"}]


async def test_delete_groups_sends_a_body_on_delete() -> None:
    body = {"meta": {"uniqId": "ab"}, "data": [1, {"id": 2}]}
    with aioresponses() as m:
        m.delete(f"{BASE}/group", payload=body)
        async with make_client() as client:
            result = await client.groups.delete(["1", 2])
        url, kwargs = only_request(m, "DELETE")
    assert str(url) == f"{BASE}/group"
    assert_headers(kwargs, body=True)
    assert kwargs["data"] == b'{"id":[1,2]}'
    assert result.data == ("1", "2")


async def test_delete_one_group() -> None:
    with aioresponses() as m:
        m.delete(f"{BASE}/group", payload=META_ONLY)
        async with make_client() as client:
            await client.groups.delete("1")
        _, kwargs = only_request(m, "DELETE")
    assert kwargs["data"] == b'{"id":[1]}'


# -- members --------------------------------------------------------------------------------------


async def test_list_contacts_in_group() -> None:
    body = {
        "meta": {"numberOfErrors": 0, "numberOfData": 1, "status": 200, "uniqId": "00d928f759"},
        "data": [
            {
                "email": "test@test.pl",
                "externalId": "XXXX-XXXXX-XXXX",
                "id": "123",
                "phoneNumber": "0123123123",
            }
        ],
    }
    with aioresponses() as m:
        m.get(re.compile(r".*/group/1043/contact\?.*"), payload=body)
        async with make_client() as client:
            page = await client.groups.list_contacts(
                1043, page_size=1000, order_by="createdAt", order_direction="DESC"
            )
        url, kwargs = only_request(m, "GET")
    assert url.with_query(None) == yarl.URL(f"{BASE}/group/1043/contact")
    assert dict(url.query) == {
        "offset": "0",
        "limit": "1000",
        "orderBy": "createdAt",
        "orderDirection": "DESC",
    }
    assert_headers(kwargs, body=False)
    assert [c.id for c in page.items] == ["123"]


async def test_add_contacts() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group/1043/contact", payload=META_ONLY)
        async with make_client() as client:
            result = await client.groups.add_contacts("1043", [1, "2", "003"])
        url, kwargs = only_request(m, "POST")
    assert str(url) == f"{BASE}/group/1043/contact"
    assert_headers(kwargs, body=True)
    assert kwargs["data"] == b'{"id":[1,2,3]}'
    assert result.ok


async def test_remove_contacts_sends_a_body_on_delete() -> None:
    with aioresponses() as m:
        m.delete(f"{BASE}/group/1043/contact", payload=META_ONLY)
        async with make_client() as client:
            await client.groups.remove_contacts(1043, ["123", "124"])
        url, kwargs = only_request(m, "DELETE")
    assert str(url) == f"{BASE}/group/1043/contact"
    assert_headers(kwargs, body=True)
    assert kwargs["data"] == b'{"id":[123,124]}'


async def test_membership_calls_are_retried() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group/1/contact", status=503, payload={"meta": {}})
        m.post(f"{BASE}/group/1/contact", payload=META_ONLY)
        from contactgroups._http import RetryPolicy

        async with messageflow.Client(
            authorization=AUTH, application_key=APP, retry=RetryPolicy(backoff_base=0.001)
        ) as client:
            result = await client.groups.add_contacts(1, [5])
        assert len(m.requests[("POST", yarl.URL(f"{BASE}/group/1/contact"))]) == 2
    assert result.ok


@pytest.mark.parametrize(
    ("data", "count"),
    [([{"count": 1532}], 1532), ([1532], 1532), (["77"], 77), ({"count": 3}, 3)],
)
async def test_count_contacts(data: Any, count: int) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/group/1043/count", payload={"meta": {"uniqId": "x"}, "data": data})
        async with make_client() as client:
            assert await client.groups.count_contacts("1043") == count
        url, kwargs = only_request(m, "GET")
    assert str(url) == f"{BASE}/group/1043/count"
    assert_headers(kwargs, body=False)


async def test_count_falls_back_to_the_listing_when_the_body_has_no_count() -> None:
    members = {"meta": {}, "data": [{"id": str(i)} for i in range(1000)]}
    with aioresponses() as m:
        m.get(f"{BASE}/group/9/count", payload=META_ONLY)  # the seed page's 200 body
        m.get(f"{BASE}/group/9/contact?offset=0&limit=1000", payload=members)
        m.get(f"{BASE}/group/9/contact?offset=1000&limit=1000", payload={"data": [{"id": "x"}]})
        async with make_client() as client:
            assert await client.groups.count_contacts(9) == 1001


# -- contacts -------------------------------------------------------------------------------------


async def test_contacts_list_filters() -> None:
    body = {"meta": {}, "data": [{"id": "123", "externalId": "CRM-000123"}]}
    with aioresponses() as m:
        m.get(re.compile(r".*/contact\?.*"), payload=body)
        async with make_client() as client:
            page = await client.contacts.list(
                page_size=10,
                external_id="CRM-000123",
                email="a@example.com",
                phone_number="48500100200",
                group_id=1043,
                contact_id="123",
                in_archive=False,
                is_unsubscribe_email=True,
                archive_date_from="2025-01-01 00:00:00",
            )
        url, kwargs = only_request(m, "GET")
    assert url.path == "/v2.1/contact"
    assert "%25" not in url.raw_query_string  # not double-encoded
    assert dict(url.query) == {
        "offset": "0",
        "limit": "10",
        "externalId": "CRM-000123",
        "email": "a@example.com",
        "phoneNumber": "48500100200",
        "group": "1043",
        "id": "123",
        "archiveDateFrom": "2025-01-01 00:00:00",
        "inArchive": "false",
        "isUnsubscribeEmail": "true",
    }
    assert_headers(kwargs, body=False)
    assert page.items[0].external_id == "CRM-000123"


async def test_contacts_find() -> None:
    with aioresponses() as m:
        m.get(
            f"{BASE}/contact?offset=0&limit=1&externalId=CRM-1",
            payload={"meta": {}, "data": [{"id": "7", "externalId": "CRM-1"}]},
        )
        m.get(
            re.compile(r".*/contact\?.*email=none.*"),
            status=404,
            payload={"meta": {}, "errors": [{"code": "E-0-404"}]},
        )
        async with make_client() as client:
            found = await client.contacts.find(external_id="CRM-1")
            missing = await client.contacts.find(email="none@example.com")
    assert found is not None and found.id == "7"
    assert missing is None


# -- compression ----------------------------------------------------------------------------------


async def test_compress_gzips_bodies() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group/1/contact", payload=META_ONLY)
        async with make_client(compress=True) as client:
            await client.groups.add_contacts(1, [10, 11])
        _, kwargs = only_request(m, "POST")
    assert kwargs["headers"]["Content-Encoding"] == "gzip"
    assert gzip.decompress(kwargs["data"]) == b'{"id":[10,11]}'


async def test_no_compression_by_default() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group/1/contact", payload=META_ONLY)
        async with make_client() as client:
            await client.groups.add_contacts(1, [10])
        _, kwargs = only_request(m, "POST")
    assert "Content-Encoding" not in kwargs["headers"]


# -- errors ---------------------------------------------------------------------------------------


async def test_401_empty_token_maps_to_authentication_error() -> None:
    body = {
        "errors": [
            {
                "title": "Empty token",
                "message": "Cannot find token in your request. Did you set 'Authorization' header?",
                "code": "E-0-004",
            }
        ],
        "meta": {},
    }
    with aioresponses() as m:
        m.get(f"{BASE}/group/1/count", status=401, payload=body)
        async with make_client() as client:
            with pytest.raises(AuthenticationError) as info:
                await client.groups.count_contacts(1)
    error = info.value
    assert error.status == 401
    assert error.code == "E-0-004"
    assert error.request_id is None
    assert error.message.startswith("Empty token: Cannot find token")
    assert error.errors[0]["code"] == "E-0-004"


@pytest.mark.parametrize(
    ("status", "cls"), [(401, AuthenticationError), (404, NotFoundError), (500, ServerError)]
)
async def test_error_statuses_keep_code_and_uniq_id(status: int, cls: type[Exception]) -> None:
    body = {
        "meta": {"numberOfErrors": 1, "numberOfData": 0, "status": status, "uniqId": "7b22e90f11"},
        "errors": [{"title": "Oops", "message": "Request was not processed", "code": "E-0-500"}],
    }
    with aioresponses() as m:
        m.post(f"{BASE}/group/1/contact", status=status, payload=body)
        async with make_client() as client:
            with pytest.raises(cls) as info:
                await client.groups.add_contacts(1, [2])
    error = info.value
    assert error.code == "E-0-500"  # type: ignore[attr-defined]
    assert error.request_id == "7b22e90f11"  # type: ignore[attr-defined]
    assert "request id 7b22e90f11" in str(error)


async def test_error_with_a_non_json_body() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/group", status=502, body="Bad gateway", content_type="text/plain")
        async with make_client() as client:
            with pytest.raises(ServerError) as info:
                await client.groups.create(name="x")
    assert info.value.code is None
    assert info.value.message == "Bad gateway"


@pytest.mark.parametrize(
    "body", ['{"meta": {}, "data": {"id": 1}}', "[1, 2]", "<html>", '{"data": [{"name": "x"}]}']
)
async def test_malformed_listing(body: str) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/group?offset=0&limit=100", body=body)
        async with make_client() as client:
            with pytest.raises(MalformedResponseError) as info:
                await client.groups.list()
    assert info.value.body == body


# -- client-side checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.groups.add_contacts("abc", [1]),
        lambda c: c.groups.add_contacts(1, ["12a"]),
        lambda c: c.groups.add_contacts(1, []),
        lambda c: c.groups.add_contacts(1, "123"),
        lambda c: c.groups.add_contacts(1, [-1]),
        lambda c: c.groups.add_contacts(1, [True]),
        lambda c: c.groups.remove_contacts(1, ["1/2"]),
        lambda c: c.groups.delete([]),
        lambda c: c.groups.delete(["x"]),
        lambda c: c.groups.count_contacts("../1"),
        lambda c: c.groups.create(),
        lambda c: c.groups.create(name=""),
        lambda c: c.groups.create([]),
        lambda c: c.groups.create("VIP"),
        lambda c: c.groups.create([GroupInput(name="a")], name="b"),
        lambda c: c.groups.create(GroupInput(name="a", external_id="")),
        lambda c: c.groups.update(group_id=1),
        lambda c: c.groups.update(GroupUpdate(id="x", name="n")),
        lambda c: c.groups.update(),
        lambda c: c.contacts.find(),
    ],
)
async def test_invalid_calls_fail_before_sending(call: Any) -> None:
    with aioresponses() as m:
        async with make_client() as client:
            with pytest.raises(InvalidRequestError):
                await call(client)
        assert not m.requests


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.groups.list(page_size=1001),
        lambda c: c.groups.list(order_by="members"),
        lambda c: c.groups.list(order_direction="UP"),
        lambda c: c.groups.list_contacts(1, page_size=1001),
        lambda c: c.groups.list_contacts(1, order_by="name"),
        lambda c: c.groups.list_contacts("one"),
        lambda c: c.contacts.list(page_size=5000),
        lambda c: c.contacts.list(group_id="g1"),
        lambda c: c.contacts.list(in_archive="yes"),
    ],
)
async def test_invalid_listings_fail_before_sending(call: Any) -> None:
    with aioresponses() as m:
        async with make_client() as client:
            with pytest.raises(InvalidRequestError):
                call(client)
        assert not m.requests


@pytest.mark.parametrize(
    "kwargs",
    [
        {"authorization": "", "application_key": APP},
        {"authorization": AUTH, "application_key": "  "},
        {"authorization": None, "application_key": APP},
        {"authorization": AUTH + "\n", "application_key": APP},
        {"authorization": AUTH, "application_key": APP, "max_add_per_call": 1001},
        {"authorization": AUTH, "application_key": APP, "max_remove_per_call": 0},
        {"authorization": AUTH, "application_key": APP, "base_url": "http://example.com/v2.1"},
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        messageflow.Client(**kwargs)


async def test_listing_repeats_a_202_until_done() -> None:
    done = {"meta": {}, "data": [{"id": "5"}]}
    with aioresponses() as m:
        url = f"{BASE}/group/1/contact?offset=0&limit=100"
        m.get(url, status=202, payload={"meta": {}, "data": []}, headers={"Retry-After": "0.01"})
        m.get(url, payload=done)
        async with make_client() as client:
            page = await client.groups.list_contacts(1)
        [calls] = [c for (verb, _), c in m.requests.items() if verb == "GET"]
        assert len(calls) == 2
    assert [c.id for c in page.items] == ["5"]
