"""One wire test per method: method, path (phones as %2B), basic auth, body and Content-Type."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import yarl
from aioresponses import aioresponses
from messente_helpers import BASE, BASIC, PASSWORD, USERNAME

from contactgroups import messente
from contactgroups.testing.messente import MessenteFake

GID = "0c7e6a52-3f1d-4b8e-9a41-6d2f5c8b1e07"
PHONE = "+37251000000"
GROUP = {"id": GID, "name": "VIP", "createdOn": "2024-03-05T10:15:30.123456Z", "contactsCount": 0}
CONTACT = {"phoneNumber": PHONE, "firstName": "Any", "scheduledDeletionDate": None}

Call = Callable[[messente.Client], Awaitable[Any]]

CASES: list[tuple[str, Call, str, str, int, Any, Any]] = [
    # id, call, method, url, status, answer, expected JSON body (None: no body at all)
    ("groups.list", lambda c: c.groups.list(), "GET", "/phonebook/groups", 200,
     {"groups": [GROUP]}, None),
    ("groups.get", lambda c: c.groups.get(GID), "GET", f"/phonebook/groups/{GID}", 200,
     {"group": GROUP}, None),
    ("groups.create", lambda c: c.groups.create("VIP"), "POST", "/phonebook/groups", 201,
     {"group": GROUP}, {"name": "VIP"}),
    ("groups.update", lambda c: c.groups.update(GID, "Gold"), "PUT", f"/phonebook/groups/{GID}",
     200, {"group": GROUP}, {"name": "Gold"}),
    ("groups.delete", lambda c: c.groups.delete(GID), "DELETE", f"/phonebook/groups/{GID}", 204,
     None, None),
    ("groups.add_contact", lambda c: c.groups.add_contact(GID, PHONE), "POST",
     f"/phonebook/groups/{GID}/contacts/%2B37251000000", 201, {}, None),
    ("groups.remove_contact", lambda c: c.groups.remove_contact(GID, PHONE), "DELETE",
     f"/phonebook/groups/{GID}/contacts/%2B37251000000", 204, None, None),
    ("groups.list_contacts", lambda c: c.groups.list_contacts([GID, "g2"]), "GET",
     f"/phonebook/contacts?groupIds={GID}&groupIds=g2", 200, {"contacts": [CONTACT]}, None),
    ("contacts.list", lambda c: c.contacts.list(), "GET", "/phonebook/contacts", 200,
     {"contacts": [CONTACT]}, None),
    ("contacts.list_by_group", lambda c: c.contacts.list(group_ids=[GID]), "GET",
     f"/phonebook/contacts?groupIds={GID}", 200, {"contacts": [CONTACT]}, None),
    ("contacts.get", lambda c: c.contacts.get(PHONE), "GET", "/phonebook/contacts/%2B37251000000",
     200, {"contact": CONTACT}, None),
    ("contacts.create", lambda c: c.contacts.create(
        PHONE, email="a@example.com", first_name="Any", last_name="One", company="Ex",
        title="Sir", custom="c1", custom2="c2", custom3="c3", custom4="c4"),
     "POST", "/phonebook/contacts", 201, {"contact": CONTACT},
     {"phoneNumber": PHONE, "email": "a@example.com", "firstName": "Any", "lastName": "One",
      "company": "Ex", "title": "Sir", "custom": "c1", "custom2": "c2", "custom3": "c3",
      "custom4": "c4"}),
    ("contacts.create_minimal", lambda c: c.contacts.create(PHONE), "POST", "/phonebook/contacts",
     201, {"contact": CONTACT}, {"phoneNumber": PHONE}),
    ("contacts.update", lambda c: c.contacts.update(PHONE, first_name="New", custom="x"), "PATCH",
     "/phonebook/contacts/%2B37251000000", 200, {"contact": CONTACT},
     {"firstName": "New", "custom": "x"}),
    ("contacts.delete", lambda c: c.contacts.delete(PHONE), "DELETE",
     "/phonebook/contacts/%2B37251000000", 204, None, None),
    ("contacts.list_groups", lambda c: c.contacts.list_groups(PHONE), "GET",
     "/phonebook/contacts/%2B37251000000/groups", 200, {"groups": [GROUP]}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "method", "path", "status", "answer", "body"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
async def test_wire(
    call: Call, method: str, path: str, status: int, answer: Any, body: Any
) -> None:
    url = BASE + path
    with aioresponses() as m:
        if answer is None:
            m.add(url, method, status=status, body=b"")
        else:
            m.add(url, method, status=status, payload=answer)
        async with messente.Client(username=USERNAME, password=PASSWORD) as c:
            await call(c)
        assert list(m.requests) == [(method, yarl.URL(url, encoded=True))]
        (sent,) = m.requests[(method, yarl.URL(url, encoded=True))]
    headers = sent.kwargs["headers"]
    assert headers["Authorization"] == BASIC
    assert headers["Accept"] == "application/json"
    if body is None:
        assert sent.kwargs["data"] is None
        assert "Content-Type" not in headers
    else:
        assert headers["Content-Type"] == "application/json"
        raw = sent.kwargs["data"]
        assert json.loads(raw) == body
        assert raw == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def test_group_id_is_one_segment() -> None:
    url = f"{BASE}/phonebook/groups/a%2Fb%3Fc"
    with aioresponses() as m:
        m.get(url, payload={"group": GROUP})
        async with messente.Client(username=USERNAME, password=PASSWORD) as c:
            await c.groups.get("a/b?c")
        assert list(m.requests) == [("GET", yarl.URL(url, encoded=True))]


async def test_answers_are_returned() -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/phonebook/groups/{GID}/contacts/%2B37251000000", status=201, payload={})
        m.get(f"{BASE}/phonebook/contacts/%2B37251000000/groups", payload={"groups": [GROUP]})
        async with messente.Client(username=USERNAME, password=PASSWORD) as c:
            assert await c.groups.add_contact(GID, PHONE) is None
            page = await c.contacts.list_groups(PHONE)
    assert [g.id for g in page.items] == [GID]
    assert page.items[0].created_on is not None
    assert page.items[0].created_on.microsecond == 123456


async def test_max_items_trims_the_single_page() -> None:
    groups = [dict(GROUP, id=f"g{i}") for i in range(5)]
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/groups", payload={"groups": groups}, repeat=True)
        async with messente.Client(username=USERNAME, password=PASSWORD) as c:
            page = await c.groups.list(max_items=2)
            listed = [g.id async for g in c.groups.list(max_items=3)]
    assert [g.id for g in page.items] == ["g0", "g1"]
    assert page.total == 5
    assert page.next_offset is None
    assert listed == ["g0", "g1", "g2"]


async def test_custom_base_url() -> None:
    with aioresponses() as m:
        m.get("https://eu.example.test/api/v1/phonebook/groups", payload={"groups": []})
        async with messente.Client(
            username=USERNAME, password=PASSWORD, base_url="https://eu.example.test/api/v1/"
        ) as c:
            assert (await c.groups.list()).items == []


@pytest.mark.parametrize("borrowed", [False, True], ids=["own-session", "borrowed-session"])
async def test_real_wire_content_type(borrowed: bool) -> None:
    """On a real socket (aiohttp adds a default Content-Type to a bare POST unless told not to),
    bodiless calls carry no Content-Type and no body; JSON calls carry application/json."""
    async with MessenteFake() as fake, aiohttp.ClientSession() as session:
        kwargs = {"session": session} if borrowed else {}
        async with fake.client(**kwargs) as c:
            group = await c.groups.create("VIP")
            await c.groups.update(group.id, "Gold")
            await c.contacts.create(PHONE)
            await c.contacts.update(PHONE, title="Sir")
            await c.groups.add_contact(group.id, PHONE)
            await c.groups.list_contacts([group.id])
            await c.contacts.list_groups(PHONE)
            await c.groups.remove_contact(group.id, PHONE)
            await c.groups.delete(group.id)
            await c.contacts.delete(PHONE)
        assert not session.closed
    seen = {(r.method, r.body != b"") for r in fake.requests}
    assert ("POST", False) in seen  # the add to group
    for r in fake.requests:
        assert r.headers["Authorization"].startswith("Basic ")
        if r.body:
            assert r.headers["Content-Type"] == "application/json", r
        else:
            assert "Content-Type" not in r.headers, r
