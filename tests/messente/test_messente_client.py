"""Client-side checks (nothing is sent), credentials kept out of reprs, errors and logs."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from messente_helpers import BASE, BASIC, PASSWORD, USERNAME

from contactgroups import AuthenticationError, InvalidRequestError, messente
from contactgroups.testing.messente import MessenteFake

GID = "0c7e6a52-3f1d-4b8e-9a41-6d2f5c8b1e07"


def client(**kwargs: Any) -> messente.Client:
    return messente.Client(username=USERNAME, password=PASSWORD, **kwargs)


BAD_PHONES = ["37251000000", "+0372510", "+3725 1000000", "+123", "+1234567890123456", "", 37251]


@pytest.mark.parametrize("phone", BAD_PHONES)
@pytest.mark.parametrize(
    "call",
    [
        lambda c, p: c.groups.add_contact(GID, p),
        lambda c, p: c.groups.remove_contact(GID, p),
        lambda c, p: c.contacts.get(p),
        lambda c, p: c.contacts.create(p),
        lambda c, p: c.contacts.update(p, email="a@b.c"),
        lambda c, p: c.contacts.delete(p),
        lambda c, p: c.contacts.list_groups(p),
    ],
    ids=["add", "remove", "get", "create", "update", "delete", "list_groups"],
)
async def test_phone_must_be_e164_before_any_request(call: Any, phone: Any) -> None:
    with aioresponses() as m:
        async with client() as c:
            with pytest.raises(InvalidRequestError, match=r"E\.164") as info:
                await call(c, phone)
        assert not m.requests
    assert info.value.provider == "messente"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.groups.create(""), "group name must not be empty"),
        (lambda c: c.groups.create("   "), "group name must not be empty"),
        (lambda c: c.groups.create(None), "group name must be a string"),
        (lambda c: c.groups.update(GID, ""), "group name must not be empty"),
        (lambda c: c.groups.get(""), "must not be empty"),
        (lambda c: c.groups.delete(".."), "not a valid id"),
        (lambda c: c.groups.add_contact("", "+37251000000"), "must not be empty"),
        (lambda c: c.groups.list_contacts(GID), "not a single string"),
        (lambda c: c.groups.list_contacts([]), "at least one group id"),
        (lambda c: c.groups.list_contacts(["ok", "bad\n"]), "control characters"),
        (lambda c: c.contacts.list(group_ids=GID), "not a single string"),
        (lambda c: c.contacts.list(group_ids=[]), "at least one group id"),
        (lambda c: c.contacts.update("+37251000000"), "at least one field"),
        (lambda c: c.contacts.create("+37251000000", email=5), "email must be a string"),
        (lambda c: c.groups.list(max_items=-1), "max_items"),
    ],
)
async def test_client_side_limits(call: Any, match: str) -> None:
    with aioresponses() as m:
        async with client() as c:
            with pytest.raises(InvalidRequestError, match=match):
                await call(c)
        assert not m.requests


@pytest.mark.parametrize(
    "kwargs",
    [
        {"username": "", "password": "p"},
        {"username": "u", "password": ""},
        {"username": None, "password": "p"},
        {"username": "u", "password": 5},
    ],
)
def test_credentials_must_be_non_empty_strings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError, match="non-empty string"):
        messente.Client(**kwargs)


def test_plain_http_needs_opt_in() -> None:
    with pytest.raises(InvalidRequestError, match="allow_insecure_http"):
        client(base_url="http://api.messente.com/v1")


def test_defaults() -> None:
    c = client()
    assert c.base_url == "https://api.messente.com/v1"
    assert c.provider == "messente"


def test_repr_never_shows_credentials() -> None:
    c = client()
    for text in (repr(c), str(c), repr(c.membership), repr(c._transport.auth)):
        assert PASSWORD not in text
        assert USERNAME not in text
        assert BASIC.split()[1] not in text


async def test_error_messages_are_scrubbed() -> None:
    echo = {
        "errors": [{"title": "Unauthorized", "detail": f"Bad {PASSWORD} / {BASIC}", "code": "202"}]
    }
    with aioresponses() as m:
        m.get(f"{BASE}/phonebook/groups", status=401, payload=echo)
        async with client() as c:
            with pytest.raises(AuthenticationError) as info:
                await c.groups.list()
    error = info.value
    for text in (str(error), repr(error), error.message, error.body or ""):
        assert PASSWORD not in text
        assert BASIC.split()[1] not in text


async def test_logs_at_debug_show_no_credentials(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="contactgroups")
    wrong = "wr0ng-pa55word-e4d1"
    async with MessenteFake(username=USERNAME, password=PASSWORD) as fake:
        async with fake.client(password=wrong) as c:
            with pytest.raises(AuthenticationError) as info:
                await c.groups.list()
            assert wrong not in str(info.value)
        async with fake.client(retry=None) as c:
            group = await c.groups.create("Logs")
            await c.contacts.create("+37251000000")
            await c.groups.add_contact(group.id, "+37251000000")
            await c.membership.add(group.id, ["+37259999999"])
    assert len(caplog.records) >= 6, "the transport logs each request at DEBUG"
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (PASSWORD, wrong, BASIC.split()[1]):
        assert secret not in text
    assert "37251000000" not in text  # phone numbers are redacted too


async def test_borrowed_session_stays_open(fake: MessenteFake) -> None:
    async with aiohttp.ClientSession() as session:
        async with fake.client(session=session) as c:
            await c.groups.list()
        assert not session.closed
        async with fake.client(session=session) as c:
            assert (await c.groups.list()).items == []
