"""The fake Phonebook server: auth, Messente's status codes and error bodies, state, options."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yarl

from contactgroups import NotFoundError, RetryPolicy
from contactgroups.testing import Faults
from contactgroups.testing.messente import MessenteFake

TODAY = dt.date(2024, 3, 5)
LATER = "2024-04-04"  # TODAY + 30 days


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class Raw:
    """Plain HTTP against the fake, to send what our client never would."""

    def __init__(self, fake: MessenteFake, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session
        self.authorization = basic(fake.username, fake.password)

    async def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        authorization: str | None = "",
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if authorization == "":
            authorization = self.authorization
        if authorization is not None:
            headers["Authorization"] = authorization
        url = yarl.URL(self.fake.url + path, encoded=True)
        async with self.session.request(method, url, data=data, headers=headers) as resp:
            text = await resp.read()
            return resp.status, (json.loads(text) if text else None), resp


@pytest.fixture
async def raw(http: aiohttp.ClientSession) -> AsyncIterator[Raw]:
    async with MessenteFake(today=lambda: TODAY) as fake:
        yield Raw(fake, http)


def assert_error(body: Any, code: str, title: str) -> None:
    assert isinstance(body, dict)
    assert set(body) == {"errors"}
    (item,) = body["errors"]
    assert set(item) == {"title", "detail", "code"}
    assert (item["code"], item["title"]) == (code, title)
    assert isinstance(item["detail"], str)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic("fake-messente-user", "wrong"),
        basic("x", "y"),
        "Bearer fake-messente-password",
        "Basic !!!",
    ],
)
async def test_basic_auth_is_checked(raw: Raw, authorization: str | None) -> None:
    status, body, _ = await raw("GET", "/phonebook/groups", authorization=authorization)
    assert status == 401
    assert_error(body, "202", "Unauthorized")


async def test_group_lifecycle_and_shapes(raw: Raw) -> None:
    status, body, resp = await raw("POST", "/phonebook/groups", {"name": "VIP"})
    assert status == 201
    group = body["group"]
    assert set(group) == {"id", "name", "createdOn", "contactsCount"}
    assert uuid.UUID(group["id"])
    assert group["contactsCount"] == 0
    assert type(group["contactsCount"]) is int
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", group["createdOn"])
    gid = group["id"]

    status, body, _ = await raw("PUT", f"/phonebook/groups/{gid}", {"name": "Gold"})
    assert (status, body["group"]["name"]) == (200, "Gold")
    status, body, _ = await raw("GET", f"/phonebook/groups/{gid}")
    assert (status, body["group"]["name"]) == (200, "Gold")
    status, body, _ = await raw("GET", "/phonebook/groups")
    assert [g["id"] for g in body["groups"]] == [gid]

    status, body, resp = await raw("DELETE", f"/phonebook/groups/{gid}")
    assert (status, body) == (204, None)
    assert "Content-Type" not in resp.headers
    status, body, _ = await raw("GET", f"/phonebook/groups/{gid}")
    assert status == 404
    assert_error(body, "203", "Missing resource")


async def test_duplicate_group_names_are_allowed(raw: Raw) -> None:
    assert (await raw("POST", "/phonebook/groups", {"name": "Same"}))[0] == 201
    assert (await raw("POST", "/phonebook/groups", {"name": "Same"}))[0] == 201
    assert len(raw.fake.groups) == 2


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("POST", {"name": ""}),
        ("POST", {}),
        ("POST", {"name": 5}),
        ("POST", b"not json"),
        ("POST", b""),
        ("PUT", {"name": ""}),
    ],
)
async def test_bad_group_name_is_400(raw: Raw, method: str, payload: Any) -> None:
    gid = raw.fake.seed_group()
    path = "/phonebook/groups" if method == "POST" else f"/phonebook/groups/{gid}"
    if isinstance(payload, bytes):
        status, body, _ = await raw(method, path, raw=payload)
    else:
        status, body, _ = await raw(method, path, payload)
    assert status == 400
    assert_error(body, "201", "Invalid data")
    assert raw.fake.groups[gid].name == "Seeded group"


async def test_membership_status_codes(raw: Raw) -> None:
    gid = raw.fake.seed_group()
    (phone,) = raw.fake.seed_contacts(1)
    enc = phone.replace("+", "%2B")
    path = f"/phonebook/groups/{gid}/contacts/{enc}"

    status, body, resp = await raw("POST", path)
    assert (status, body) == (201, {})
    assert await resp.text() == "{}"
    assert raw.fake.member_ids(gid) == {phone}

    status, body, _ = await raw("POST", path)
    assert status == 409
    assert_error(body, "204", "Conflict")

    status, body, _ = await raw("GET", f"/phonebook/groups/{gid}")
    assert body["group"]["contactsCount"] == 1

    status, body, _ = await raw("DELETE", path)
    assert (status, body) == (204, None)
    status, body, _ = await raw("DELETE", path)  # not in the group any more
    assert status == 404
    assert_error(body, "203", "Missing resource")


async def test_add_needs_an_existing_contact_and_group(raw: Raw) -> None:
    gid = raw.fake.seed_group()
    (phone,) = raw.fake.seed_contacts(1)
    status, body, _ = await raw("POST", f"/phonebook/groups/{gid}/contacts/%2B37250000001")
    assert status == 404
    assert_error(body, "203", "Missing resource")
    status, _, _ = await raw("POST", f"/phonebook/groups/{uuid.uuid4()}/contacts/%2B{phone[1:]}")
    assert status == 404
    status, _, _ = await raw("DELETE", f"/phonebook/groups/{gid}/contacts/%2B37250000001")
    assert status == 404


@pytest.mark.parametrize("segment", ["37251000000", "%2B0123", "abc", "%2B3725%20100"])
async def test_invalid_phone_in_path_is_400(raw: Raw, segment: str) -> None:
    gid = raw.fake.seed_group()
    for method, path in [
        ("POST", f"/phonebook/groups/{gid}/contacts/{segment}"),
        ("DELETE", f"/phonebook/groups/{gid}/contacts/{segment}"),
        ("GET", f"/phonebook/contacts/{segment}"),
        ("DELETE", f"/phonebook/contacts/{segment}"),
        ("GET", f"/phonebook/contacts/{segment}/groups"),
    ]:
        status, body, _ = await raw(method, path)
        assert status == 400, (method, path)
        assert_error(body, "201", "Invalid data")


async def test_path_segments_are_decoded(raw: Raw) -> None:
    (phone,) = raw.fake.seed_contacts(1)
    status, body, _ = await raw("GET", "/phonebook/contacts/" + phone.replace("+", "%2B"))
    assert (status, body["contact"]["phoneNumber"]) == (200, phone)
    status, body, _ = await raw("GET", "/phonebook/contacts/" + phone.replace("+", "%2b"))
    assert status == 200


async def test_contact_create_get_update_delete(raw: Raw) -> None:
    status, body, _ = await raw(
        "POST",
        "/phonebook/contacts",
        {"phoneNumber": "+37251000000", "firstName": "Any", "custom": "c", "extra": 1},
    )
    assert status == 201
    contact = body["contact"]
    assert set(contact) == {
        "phoneNumber", "email", "firstName", "lastName", "company", "title",
        "custom", "custom2", "custom3", "custom4", "scheduledDeletionDate",
    }  # fmt: skip
    assert (contact["firstName"], contact["custom"], contact["email"]) == ("Any", "c", None)

    status, body, _ = await raw("POST", "/phonebook/contacts", {"phoneNumber": "+37251000000"})
    assert status == 409
    assert_error(body, "204", "Conflict")

    path = "/phonebook/contacts/%2B37251000000"
    status, body, _ = await raw("PATCH", path, {"lastName": "One", "firstName": None})
    assert status == 200
    assert (body["contact"]["lastName"], body["contact"]["firstName"]) == ("One", None)
    assert body["contact"]["custom"] == "c"

    status, body, _ = await raw("DELETE", path)
    assert status == 204
    status, body, _ = await raw("GET", path)
    assert status == 404
    assert_error(body, "203", "Missing resource")


@pytest.mark.parametrize(
    "payload",
    [{}, {"nickname": "x"}, {"phoneNumber": "+37251000001"}, {"email": 5}, [1], b"{oops"],
)
async def test_bad_update_body_is_400(raw: Raw, payload: Any) -> None:
    (phone,) = raw.fake.seed_contacts(1)
    path = "/phonebook/contacts/" + phone.replace("+", "%2B")
    if isinstance(payload, bytes):
        status, body, _ = await raw("PATCH", path, raw=payload)
    else:
        status, body, _ = await raw("PATCH", path, payload)
    assert status == 400
    assert_error(body, "201", "Invalid data")


@pytest.mark.parametrize(
    "payload", [{}, {"phoneNumber": "37251000000"}, {"phoneNumber": 37251000000}, {"email": "a"}]
)
async def test_bad_create_body_is_400(raw: Raw, payload: Any) -> None:
    status, body, _ = await raw("POST", "/phonebook/contacts", payload)
    assert status == 400
    assert_error(body, "201", "Invalid data")
    assert not raw.fake.contacts


async def test_scheduled_deletion_date_follows_group_membership(raw: Raw) -> None:
    g1, g2 = raw.fake.seed_group("a"), raw.fake.seed_group("b")
    _, body, _ = await raw("POST", "/phonebook/contacts", {"phoneNumber": "+37251000000"})
    assert body["contact"]["scheduledDeletionDate"] == LATER  # in no group from the start
    path = "/phonebook/contacts/%2B37251000000"

    async def deletion() -> Any:
        return (await raw("GET", path))[1]["contact"]["scheduledDeletionDate"]

    await raw("POST", f"/phonebook/groups/{g1}/contacts/%2B37251000000")
    await raw("POST", f"/phonebook/groups/{g2}/contacts/%2B37251000000")
    assert await deletion() is None
    await raw("DELETE", f"/phonebook/groups/{g1}/contacts/%2B37251000000")
    assert await deletion() is None  # still in g2
    await raw("DELETE", f"/phonebook/groups/{g2}")
    assert await deletion() == LATER
    assert "+37251000000" in raw.fake.contacts  # deleting a group keeps its contacts


async def test_contact_groups(raw: Raw) -> None:
    g1, g2, _ = raw.fake.seed_group("a"), raw.fake.seed_group("b"), raw.fake.seed_group("c")
    (phone,) = raw.fake.seed_contacts(1)
    raw.fake.seed_members(g1, [phone])
    raw.fake.seed_members(g2, [phone])
    status, body, _ = await raw("GET", f"/phonebook/contacts/%2B{phone[1:]}/groups")
    assert status == 200
    assert [g["id"] for g in body["groups"]] == [g1, g2]
    assert all(g["contactsCount"] == 1 for g in body["groups"])
    status, body, _ = await raw("GET", "/phonebook/contacts/%2B37250000001/groups")
    assert status == 404


async def test_deleting_a_contact_leaves_its_groups(raw: Raw) -> None:
    gid = raw.fake.seed_group()
    phones = raw.fake.seed_contacts(3)
    raw.fake.seed_members(gid, phones)
    await raw("DELETE", f"/phonebook/contacts/%2B{phones[0][1:]}")
    assert raw.fake.member_ids(gid) == set(phones[1:])
    _, body, _ = await raw("GET", f"/phonebook/groups/{gid}")
    assert body["group"]["contactsCount"] == 2


async def test_list_contacts_by_repeated_group_ids(raw: Raw) -> None:
    g1, g2, g3 = (raw.fake.seed_group(n) for n in "abc")
    p = raw.fake.seed_contacts(4)
    raw.fake.seed_members(g1, p[:2])
    raw.fake.seed_members(g2, p[1:3])

    async def listed(query: str) -> tuple[int, Any]:
        status, body, _ = await raw("GET", "/phonebook/contacts" + query)
        return status, body

    status, body = await listed("")
    assert [c["phoneNumber"] for c in body["contacts"]] == p
    status, body = await listed(f"?groupIds={g1}&groupIds={g2}")
    assert [c["phoneNumber"] for c in body["contacts"]] == p[:3]  # union, no duplicates
    status, body = await listed(f"?groupIds={g3}")
    assert (status, body) == (200, {"contacts": []})
    status, body = await listed(f"?groupIds={uuid.uuid4()}")
    assert (status, body) == (200, {"contacts": []})
    status, body = await listed(f"?groupIds={g1},{g2}")  # comma-separated is not the format
    assert status == 400
    assert_error(body, "201", "Invalid data")


async def test_option_intersection_and_unknown_group_error(http: aiohttp.ClientSession) -> None:
    async with MessenteFake(group_filter="intersection", unknown_group_filter="error") as fake:
        r = Raw(fake, http)
        g1, g2 = fake.seed_group(), fake.seed_group()
        p = fake.seed_contacts(3)
        fake.seed_members(g1, p[:2])
        fake.seed_members(g2, p[1:])
        status, body, _ = await r("GET", f"/phonebook/contacts?groupIds={g1}&groupIds={g2}")
        assert [c["phoneNumber"] for c in body["contacts"]] == [p[1]]
        status, body, _ = await r("GET", f"/phonebook/contacts?groupIds={uuid.uuid4()}")
        assert status == 400


@pytest.mark.parametrize("option", [404, 400])
async def test_option_non_uuid_group_id(http: aiohttp.ClientSession, option: Any) -> None:
    async with MessenteFake(non_uuid_group_id_status=option) as fake:
        status, _, _ = await Raw(fake, http)("GET", "/phonebook/groups/not-a-uuid")
        assert status == option
        status, _, _ = await Raw(fake, http)("GET", f"/phonebook/groups/{uuid.uuid4()}")
        assert status == 404


async def test_option_max_group_name_length(http: aiohttp.ClientSession) -> None:
    async with MessenteFake(max_group_name_length=5) as fake:
        r = Raw(fake, http)
        assert (await r("POST", "/phonebook/groups", {"name": "12345"}))[0] == 201
        assert (await r("POST", "/phonebook/groups", {"name": "123456"}))[0] == 400


async def test_unknown_route_and_method_use_the_vendor_body(raw: Raw) -> None:
    status, body, _ = await raw("GET", "/phonebook/nothing")
    assert status == 404
    assert_error(body, "203", "Missing resource")
    status, body, _ = await raw("PATCH", "/phonebook/groups")
    assert status == 405
    assert_error(body, "244", "Client error")


@pytest.mark.parametrize(
    ("faults", "status", "code", "title"),
    [
        (Faults(server_error=1.0, server_error_status=503), 503, "205", "General error"),
        (Faults(rate_limit=1.0, retry_after=0.25), 429, "244", "Client error"),
    ],
)
async def test_injected_faults_use_the_vendor_body(
    http: aiohttp.ClientSession, faults: Faults, status: int, code: str, title: str
) -> None:
    async with MessenteFake(faults=faults) as fake:
        got, body, resp = await Raw(fake, http)("POST", "/phonebook/groups", {"name": "x"})
        assert got == status
        assert_error(body, code, title)
        if status == 429:
            assert resp.headers["Retry-After"] == "0.25"
        assert not fake.groups  # a faulted request changes nothing


async def test_seed_helpers(fake: MessenteFake) -> None:
    gid = fake.seed_group("Named")
    assert uuid.UUID(gid)
    phones = fake.seed_contacts(50)
    assert len(set(phones)) == 50
    assert all(re.fullmatch(r"\+3725\d{7}", p) for p in phones)
    assert set(phones) <= set(fake.contacts)
    assert set(fake.seed_contacts(5)).isdisjoint(phones)
    assert fake.member_ids(gid) == set()
    assert fake.seed_contact("+37250000042", firstName="Ann") == "+37250000042"
    with pytest.raises(ValueError, match="not a new"):
        fake.seed_contact("+37250000042")
    fake.seed_members(gid, phones[:3])
    assert fake.member_ids(gid) == set(phones[:3])
    async with fake.client() as c:
        assert c.base_url == fake.url
        assert fake.url.endswith("/v1")
        group = await c.groups.get(gid)
        assert (group.name, group.contacts_count) == ("Named", 3)
        assert (await c.contacts.get("+37250000042")).first_name == "Ann"
    async with fake.client(retry=RetryPolicy(max_attempts=1)) as c:
        with pytest.raises(NotFoundError):
            await c.groups.get(str(uuid.uuid4()))
