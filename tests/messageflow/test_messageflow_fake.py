"""The fake itself: auth, envelope, paging, 404s, 207s, gzip, ids, options."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import aiohttp
import pytest

from contactgroups.errors import AuthenticationError, ServerError, ValidationError
from contactgroups.testing import Faults
from contactgroups.testing._ordered import OrderedIds
from contactgroups.testing.messageflow import EMPTY_TOKEN_BODY, MessageFlowFake


async def call(
    fake: MessageFlowFake,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    auth: bool = True,
    raw: bytes | None = None,
) -> tuple[int, dict[str, str], Any]:
    sent = {"Content-Type": "application/json"} if body is not None or raw is not None else {}
    if auth:
        sent |= {"Authorization": fake.authorization, "Application-Key": fake.application_key}
    sent |= headers or {}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.request(method, fake.url + path, data=data, headers=sent) as response,
    ):
        return response.status, dict(response.headers), json.loads(await response.read())


def check_envelope(status: int, body: dict[str, Any]) -> None:
    meta = body["meta"]
    assert meta["status"] == status
    assert re.fullmatch(r"[0-9a-f]{10}", meta["uniqId"])
    assert meta["numberOfData"] == len(body.get("data", []))
    assert meta["numberOfErrors"] == len(body.get("errors", []))


# -- auth -----------------------------------------------------------------------------------------


async def test_missing_authorization_gets_the_documented_body(fake: MessageFlowFake) -> None:
    status, _, body = await call(fake, "GET", "/group", auth=False)
    assert status == 401
    assert body == EMPTY_TOKEN_BODY
    assert body["errors"][0]["code"] == "E-0-004"
    assert body["meta"] == {}


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "wrong"},
        {"Application-Key": "wrong"},
    ],
)
async def test_wrong_key_is_e_0_005(fake: MessageFlowFake, headers: dict[str, str]) -> None:
    status, _, body = await call(fake, "GET", "/group", headers=headers)
    assert status == 401
    assert body["errors"][0]["code"] == "E-0-005"
    check_envelope(401, body)


async def test_missing_application_key_is_e_0_005(fake: MessageFlowFake) -> None:
    status, _, body = await call(
        fake, "GET", "/group", auth=False, headers={"Authorization": fake.authorization}
    )
    assert (status, body["errors"][0]["code"]) == (401, "E-0-005")


async def test_client_with_wrong_key_raises_authentication_error(fake: MessageFlowFake) -> None:
    async with fake.client(application_key="nope") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.groups.count_contacts(fake.seed_group())
    assert info.value.code == "E-0-005"
    assert info.value.request_id and re.fullmatch(r"[0-9a-f]{10}", info.value.request_id)


# -- envelope and paging --------------------------------------------------------------------------


async def test_fresh_uniq_id_per_response(fake: MessageFlowFake) -> None:
    fake.seed_group()
    ids = set()
    for _ in range(5):
        status, _, body = await call(fake, "GET", "/group")
        check_envelope(status, body)
        ids.add(body["meta"]["uniqId"])
    assert len(ids) == 5


async def test_pages_are_capped_at_1000(fake: MessageFlowFake) -> None:
    gid = fake.seed_group()
    fake.seed_members(gid, fake.seed_contacts(1200))
    status, _, body = await call(fake, "GET", f"/group/{gid}/contact?limit=5000")
    assert status == 200
    assert len(body["data"]) == 1000
    status, _, body = await call(fake, "GET", f"/group/{gid}/contact")
    assert len(body["data"]) == 100  # the vendor's default limit


async def test_members_are_strings_and_ordered(fake: MessageFlowFake) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(5)
    fake.seed_members(gid, ids)
    _, _, body = await call(fake, "GET", f"/group/{gid}/contact?limit=2&offset=1")
    assert [m["id"] for m in body["data"]] == [ids[3], ids[2]]  # DESC by default
    assert all(isinstance(m["id"], str) for m in body["data"])
    assert set(body["data"][0]) == {"email", "externalId", "id", "phoneNumber"}
    _, _, body = await call(fake, "GET", f"/group/{gid}/contact?orderDirection=ASC&offset=3")
    assert [m["id"] for m in body["data"]] == ids[3:]


@pytest.mark.parametrize("path", ["/group/{gid}/contact", "/group/{gid}/contact?offset=3"])
async def test_empty_pages_are_404(fake: MessageFlowFake, path: str) -> None:
    gid = fake.seed_group()
    if "offset" in path:
        fake.seed_members(gid, fake.seed_contacts(3))
    status, _, body = await call(fake, "GET", path.format(gid=gid))
    assert status == 404
    assert body["errors"][0]["code"] == "E-0-404"
    check_envelope(404, body)


async def test_no_groups_is_404(fake: MessageFlowFake) -> None:
    status, _, _ = await call(fake, "GET", "/group")
    assert status == 404


async def test_group_listing_orders(fake: MessageFlowFake) -> None:
    fake.seed_group("b")
    fake.seed_group("a")
    fake.seed_group("c")
    _, _, body = await call(fake, "GET", "/group?orderBy=name&orderDirection=ASC")
    assert [g["name"] for g in body["data"]] == ["a", "b", "c"]
    _, _, body = await call(fake, "GET", "/group")
    assert [g["name"] for g in body["data"]] == ["c", "a", "b"]  # id DESC
    assert all(isinstance(g["id"], int) for g in body["data"])


@pytest.mark.parametrize(
    "query", ["limit=0", "offset=-1", "limit=x", "orderBy=size", "orderDirection=UP"]
)
async def test_bad_paging_is_400(fake: MessageFlowFake, query: str) -> None:
    fake.seed_group()
    status, _, body = await call(fake, "GET", f"/group?{query}")
    assert (status, body["errors"][0]["code"]) == (400, "E-0-400")


# -- bulk writes ----------------------------------------------------------------------------------


async def test_add_accepts_numbers_and_strings_and_reports_unknown_ids(
    fake: MessageFlowFake,
) -> None:
    gid = fake.seed_group()
    a, b = fake.seed_contacts(2)
    status, _, body = await call(
        fake, "POST", f"/group/{gid}/contact", body={"id": [int(a), b, 999, "x"]}
    )
    assert status == 207
    check_envelope(207, body)
    assert body["data"] == [a, b]
    assert [(e["code"], e["meta"]) for e in body["errors"]] == [
        ("E-3-003", {"parameter": "id", "value": 999}),
        ("E-3-001", {"parameter": "id", "value": "x"}),
    ]
    assert fake.member_ids(gid) == {a, b}


async def test_add_existing_and_remove_non_member_are_no_ops(fake: MessageFlowFake) -> None:
    gid = fake.seed_group()
    a, b = fake.seed_contacts(2)
    fake.seed_members(gid, [a])
    status, _, _ = await call(fake, "POST", f"/group/{gid}/contact", body={"id": [a]})
    assert status == 200
    status, _, _ = await call(fake, "DELETE", f"/group/{gid}/contact", body={"id": [b]})
    assert status == 200
    assert fake.member_ids(gid) == {a}


@pytest.mark.parametrize(("option", "expected"), [(207, 207), (400, 400)])
async def test_all_unknown_ids_status_is_configurable(option: int, expected: int) -> None:
    async with MessageFlowFake(all_failed_status=option) as fake:
        gid = fake.seed_group()
        status, _, body = await call(fake, "POST", f"/group/{gid}/contact", body={"id": [1, 2]})
    assert status == expected
    assert len(body["errors"]) == 2
    assert ("data" in body) == (expected == 207)
    if expected == 207:
        assert body["data"] == []


async def test_membership_of_unknown_group_is_404(fake: MessageFlowFake) -> None:
    status, _, _ = await call(fake, "POST", "/group/5/contact", body={"id": [1]})
    assert status == 404


@pytest.mark.parametrize(
    "body", [{"ids": [1]}, {"id": []}, {"id": 1}, [1]], ids=["key", "empty", "scalar", "array"]
)
async def test_bad_membership_body_is_400(fake: MessageFlowFake, body: Any) -> None:
    gid = fake.seed_group()
    status, _, _ = await call(fake, "DELETE", f"/group/{gid}/contact", body=body)
    assert status == 400


async def test_delete_without_body_is_400(fake: MessageFlowFake) -> None:
    status, _, _ = await call(fake, "DELETE", "/group")
    assert status == 400


async def test_create_validates_items(fake: MessageFlowFake) -> None:
    fake.seed_group("taken", external_id="dup")
    status, _, body = await call(
        fake,
        "POST",
        "/group",
        body=[
            {"name": "ok", "externalId": "new"},
            {"name": ""},
            {"name": "x", "externalId": "dup"},
        ],
    )
    assert status == 207
    assert [g["name"] for g in body["data"]] == ["ok"]
    assert [(e["code"], e["meta"]["parameter"], e["meta"]["source"]) for e in body["errors"]] == [
        ("E-3-001", "name", "1"),
        ("E-3-002", "externalId", "2"),
    ]


async def test_update_and_delete_unknown_ids(fake: MessageFlowFake) -> None:
    gid = fake.seed_group("old")
    status, _, body = await call(
        fake, "PUT", "/group", body=[{"id": int(gid), "name": "new"}, {"id": 1}]
    )
    assert status == 207
    assert body["data"][0]["name"] == "new"
    assert body["errors"][0]["meta"] == {"parameter": "id", "value": 1, "source": "1"}
    status, _, body = await call(fake, "DELETE", "/group", body={"id": [gid, 1]})
    assert (status, body["data"]) == (207, [int(gid)])
    assert fake.groups == {}


async def test_not_json_is_400(fake: MessageFlowFake) -> None:
    status, _, body = await call(fake, "POST", "/group", raw=b"{nope")
    assert (status, body["errors"][0]["code"]) == (400, "E-0-400")


async def test_gzip_bodies_are_read(fake: MessageFlowFake) -> None:
    gid = fake.seed_group()
    [a] = fake.seed_contacts(1)
    raw = gzip.compress(json.dumps({"id": [a]}).encode())
    status, _, _ = await call(
        fake, "POST", f"/group/{gid}/contact", raw=raw, headers={"Content-Encoding": "gzip"}
    )
    assert status == 200
    assert fake.member_ids(gid) == {a}


async def test_client_compress_against_the_fake(fake: MessageFlowFake) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(3)
    async with fake.client(compress=True) as client:
        result = await client.groups.add_contacts(gid, ids)
    assert result.ok
    assert fake.member_ids(gid) == set(ids)
    [request] = fake.requests_to("POST", "/group/")
    assert request.headers["Content-Encoding"] == "gzip"


# -- count ----------------------------------------------------------------------------------------


async def test_count_of_a_static_group(fake: MessageFlowFake) -> None:
    gid = fake.seed_group()
    fake.seed_members(gid, fake.seed_contacts(3))
    status, _, body = await call(fake, "GET", f"/group/{gid}/count")
    assert (status, body["data"]) == (200, [{"count": 3}])


async def test_dynamic_count_answers_202_first() -> None:
    async with MessageFlowFake(count_pending=2, retry_after=0.05) as fake:
        gid = fake.seed_group(dynamic=True)
        answers = [await call(fake, "GET", f"/group/{gid}/count") for _ in range(4)]
    assert [a[0] for a in answers] == [202, 202, 200, 202]  # each count starts over
    headers = answers[0][1]
    assert headers["Retry-After"] == "0.05"
    assert headers["Expires"].endswith("GMT")
    assert answers[0][2]["data"] == []


# -- contacts -------------------------------------------------------------------------------------


async def test_contact_search_filters(fake: MessageFlowFake) -> None:
    gid = fake.seed_group()
    ids = fake.seed_contacts(5)
    fake.seed_members(gid, ids[:2])
    first = fake.contact(ids[0])
    for query, expected in [
        (f"externalId={first['externalId']}", [ids[0]]),
        (f"email={first['email']}", [ids[0]]),
        (f"phoneNumber={first['phoneNumber']}", [ids[0]]),
        (f"id={ids[1]}", [ids[1]]),
        (f"group={gid}", ids[:2]),
        (f"group={gid}&id={ids[1]}", [ids[1]]),
        ("", ids),
        ("offset=3&limit=1", [ids[3]]),
    ]:
        status, _, body = await call(fake, "GET", f"/contact?{query}")
        assert status == 200, query
        assert [c["id"] for c in body["data"]] == expected, query
    for query in [
        f"group={gid}&id={ids[3]}",
        "externalId=nobody",
        f"id={ids[0]}&email={fake.contact(ids[1])['email']}",
        "inArchive=true",
        "group=1",
    ]:
        status, _, _ = await call(fake, "GET", f"/contact?{query}")
        assert status == 404, query


# -- faults ---------------------------------------------------------------------------------------


async def test_injected_faults_use_the_vendor_envelope() -> None:
    async with MessageFlowFake(faults=Faults(server_error=1.0, server_error_status=500)) as fake:
        status, _, body = await call(fake, "GET", "/group")
        assert status == 500
        check_envelope(500, body)
        async with fake.client(retry=None) as client:
            with pytest.raises(ServerError) as info:
                await client.groups.list()
    assert info.value.code == "E-0-500"
    assert info.value.request_id


async def test_all_failed_400_raises_validation_error() -> None:
    async with MessageFlowFake(all_failed_status=400) as fake:
        gid = fake.seed_group()
        async with fake.client() as client:
            with pytest.raises(ValidationError) as info:
                await client.groups.add_contacts(gid, [1, 2])
    assert info.value.code == "E-3-003"
    assert len(info.value.errors) == 2


def test_members_structure_keeps_order_through_removals() -> None:
    members = OrderedIds()
    for cid in "abcdef":
        members.add(cid)
    members.add("a")  # no-op
    members.discard("c")
    members.discard("f")  # the last one: no hole
    members.discard("zz")  # not a member: no-op
    assert len(members) == 4 and "c" not in members and "a" in members
    assert members.page(0, 10, descending=False) == ["a", "b", "d", "e"]
    assert members.page(1, 2, descending=True) == ["d", "b"]
    assert members.page(4, 2, descending=True) == []
    members.add("c")
    assert members.page(0, 10, descending=False) == ["a", "b", "d", "e", "c"]
    for cid in "abde":
        members.discard(cid)
    assert list(members) == ["c"]
    assert members.ids() == {"c"}
