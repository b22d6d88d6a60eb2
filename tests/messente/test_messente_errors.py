"""Messente's error bodies onto the error ladder, the string code kept; retries per method."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses
from messente_helpers import BASE, FAST_RETRY, PASSWORD, USERNAME

from contactgroups import (
    APIError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
    messente,
)
from contactgroups.messente.errors import CODES

GROUPS = f"{BASE}/phonebook/groups"


def body(code: Any, title: str, detail: str = "something went wrong") -> dict[str, Any]:
    return {"errors": [{"title": title, "detail": detail, "code": code}]}


def client(**kwargs: Any) -> messente.Client:
    return messente.Client(username=USERNAME, password=PASSWORD, **kwargs)


@pytest.mark.parametrize(
    ("status", "code", "title", "cls"),
    [
        (400, "201", "Invalid data", ValidationError),
        (401, "202", "Unauthorized", AuthenticationError),
        (404, "203", "Missing resource", NotFoundError),
        (409, "204", "Conflict", ConflictError),
        (405, "244", "Client error", ValidationError),
        (429, "244", "Client error", RateLimitError),
        (500, "205", "General error", ServerError),
    ],
)
async def test_status_and_code(status: int, code: str, title: str, cls: type[APIError]) -> None:
    with aioresponses() as m:
        m.get(f"{GROUPS}/g1", status=status, payload=body(code, title, "Group g1 is not here"))
        async with client(retry=None) as c:
            with pytest.raises(cls) as info:
                await c.groups.get("g1")
    error = info.value
    assert type(error) is cls
    assert error.status == status
    assert error.code == code
    assert isinstance(error.code, str)
    assert error.provider == "messente"
    assert error.message == "Group g1 is not here"
    assert error.errors == (body(code, title, "Group g1 is not here")["errors"][0],)
    assert error.request_id is None  # Messente sends no request id
    assert f"code {code}" in str(error)


def test_codes_table_is_the_documented_one() -> None:
    assert {code: title for code, (title, _) in CODES.items()} == {
        "201": "Invalid data",
        "202": "Unauthorized",
        "203": "Missing resource",
        "204": "Conflict",
        "244": "Client error",
        "205": "General error",
    }


async def test_integer_code_is_kept_as_string() -> None:
    with aioresponses() as m:
        m.get(f"{GROUPS}/g1", status=404, payload=body(203, "Missing resource"))
        async with client() as c:
            with pytest.raises(NotFoundError) as info:
                await c.groups.get("g1")
    assert info.value.code == "203"


async def test_code_decides_for_an_unmapped_status() -> None:
    with aioresponses() as m:
        m.get(f"{GROUPS}/g1", status=410, payload=body("203", "Missing resource"))
        async with client() as c:
            with pytest.raises(NotFoundError) as info:
                await c.groups.get("g1")
    assert info.value.status == 410


async def test_status_wins_over_a_conflicting_code() -> None:
    with aioresponses() as m:
        m.get(f"{GROUPS}/g1", status=404, payload=body("204", "Conflict"))
        async with client() as c:
            with pytest.raises(NotFoundError):
                await c.groups.get("g1")


async def test_several_errors_are_all_kept() -> None:
    payload = {
        "errors": [
            {"title": "Invalid data", "detail": "name is empty", "code": "201"},
            {"title": "Invalid data", "code": "201"},
        ]
    }
    with aioresponses() as m:
        m.post(GROUPS, status=400, payload=payload)
        async with client() as c:
            with pytest.raises(ValidationError) as info:
                await c.groups.create("x")
    assert info.value.message == "name is empty; Invalid data"
    assert len(info.value.errors) == 2


@pytest.mark.parametrize(
    ("status", "raw", "cls", "message"),
    [
        (502, "<html><body>Bad gateway</body></html>", ServerError, "HTTP 502"),
        (500, "", ServerError, "HTTP 500"),
        (400, "plain words", ValidationError, "plain words"),
        (400, '{"errors": "nope"}', ValidationError, '{"errors": "nope"}'),
        (400, '{"errors": [1, 2]}', ValidationError, '{"errors": [1, 2]}'),
        (400, '{"errors": [{"code": true}]}', ValidationError, '{"errors": [{"code": true}]}'),
        (404, "[]", NotFoundError, "[]"),
    ],
)
async def test_weird_error_bodies_never_crash(
    status: int, raw: str, cls: type[APIError], message: str
) -> None:
    with aioresponses() as m:
        m.get(f"{GROUPS}/g1", status=status, body=raw)
        async with client(retry=None) as c:
            with pytest.raises(cls) as info:
                await c.groups.get("g1")
    assert info.value.message == message
    assert info.value.body == raw
    assert info.value.code is None


async def test_get_is_retried_on_503() -> None:
    group = {"id": "g1", "name": "n", "contactsCount": 0}
    with aioresponses() as m:
        m.get(f"{GROUPS}/g1", status=503, payload=body("205", "General error"))
        m.get(f"{GROUPS}/g1", status=200, payload={"group": group})
        async with client(retry=FAST_RETRY) as c:
            assert (await c.groups.get("g1")).id == "g1"


async def test_membership_add_is_retried_on_429() -> None:
    url = f"{GROUPS}/g1/contacts/%2B37251000000"
    with aioresponses() as m:
        m.post(url, status=429, headers={"Retry-After": "0"}, payload=body("244", "Client error"))
        m.post(url, status=201, payload={})
        async with client(retry=FAST_RETRY) as c:
            await c.groups.add_contact("g1", "+37251000000")
        assert len(next(iter(m.requests.values()))) == 2


@pytest.mark.parametrize(
    "create",
    [
        lambda c: c.groups.create("VIP"),
        lambda c: c.contacts.create("+37251000000"),
    ],
    ids=["group", "contact"],
)
async def test_creates_are_not_retried(create: Any) -> None:
    with aioresponses() as m:
        m.post(GROUPS, status=503, payload=body("205", "General error"), repeat=True)
        m.post(f"{BASE}/phonebook/contacts", status=503, payload=body("205", "General error"))
        async with client(retry=FAST_RETRY) as c:
            with pytest.raises(ServerError):
                await create(c)
        assert sum(len(calls) for calls in m.requests.values()) == 1
