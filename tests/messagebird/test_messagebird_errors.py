"""MessageBird's error body mapped onto the shared ladder, codes kept; retries per the policy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import yarl
from aioresponses import aioresponses

from contactgroups import messagebird
from contactgroups._http import Response, RetryPolicy
from contactgroups.errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from contactgroups.messagebird import CODES, ErrorDetail, error_details
from contactgroups.messagebird.errors import parse_error

BASE = "https://rest.messagebird.com"
KEY = "test_gshuPaZoeEG6ovbc8M79w0QyM"
GID = "61afc0531573b08ddbe36e1c85602827"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)


def body(code: int, description: str, parameter: str | None = None) -> dict[str, object]:
    return {"errors": [{"code": code, "description": description, "parameter": parameter}]}


@pytest.fixture
async def client() -> AsyncIterator[messagebird.Client]:
    async with messagebird.Client(access_key=KEY, retry=FAST) as c:
        yield c


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, 2, AuthenticationError),
        (403, 2, AuthenticationError),
        (404, 20, NotFoundError),
        (405, 20, ValidationError),
        (409, 10, ConflictError),
        (400, 21, ValidationError),
        (422, 10, ValidationError),
        (429, 0, RateLimitError),
        (500, 99, ServerError),
    ],
)
async def test_status_picks_the_class_and_the_vendor_code_is_kept_as_int(
    status: int, code: int, cls: type[APIError]
) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/groups/{GID}", status=status, payload=body(code, "went wrong", "name"))
        async with messagebird.Client(access_key=KEY, retry=None) as client:
            with pytest.raises(cls) as info:
                await client.groups.get(GID)
    error = info.value
    assert type(error) is cls
    assert error.status == status
    assert error.code == code
    assert isinstance(error.code, int)
    assert error.provider == "messagebird"
    assert error.message == "went wrong (parameter name)"
    assert error.errors == ({"code": code, "description": "went wrong", "parameter": "name"},)
    assert error.request_id is None  # MessageBird sends no request id


async def test_404_group_not_found(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/groups/{GID}", status=404, payload=body(20, "group not found"))
        with pytest.raises(NotFoundError) as info:
            await client.groups.get(GID)
    assert str(info.value) == "messagebird answered 404, code 20: group not found"


async def test_several_errors_are_all_kept_and_the_first_code_wins(
    client: messagebird.Client,
) -> None:
    payload = {
        "errors": [
            {"code": 9, "description": "msisdn is required", "parameter": "msisdn"},
            {"code": 10, "description": "firstName is invalid", "parameter": "firstName"},
        ]
    }
    with aioresponses() as m:
        m.post(f"{BASE}/contacts", status=422, payload=payload)
        with pytest.raises(ValidationError) as info:
            await client.contacts.create("31612345678")
    assert info.value.code == 9
    assert info.value.message == "msisdn is required; firstName is invalid"
    assert error_details(info.value) == [
        ErrorDetail(9, "msisdn is required", "msisdn"),
        ErrorDetail(10, "firstName is invalid", "firstName"),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b"<html><body>411 Length Required</body></html>",
        b"",
        b'{"errors": "nope"}',
        b'{"errors": []}',
        b"[1, 2]",
        b'{"errors": [{"code": "x", "description": 5}]}',
    ],
)
async def test_odd_error_bodies_give_a_generic_message(
    client: messagebird.Client, raw: bytes
) -> None:
    with aioresponses() as m:
        m.put(f"{BASE}/groups/{GID}/contacts", status=411, body=raw)
        with pytest.raises(ValidationError) as info:
            await client.groups.add_contacts(GID, ["a"])
    assert info.value.status == 411
    assert info.value.message
    assert info.value.code is None


def test_parse_error_falls_back_to_the_code_meaning_without_description() -> None:
    response = Response(
        status=401,
        headers={},
        body=b'{"errors":[{"code":2,"description":"","parameter":"access_key"}]}',
        provider="messagebird",
    )
    info = parse_error(response)
    assert info.code == 2
    assert info.message == f"{CODES[2]} (parameter access_key)"


def test_documented_codes_are_listed() -> None:
    assert set(CODES) == {2, 9, 10, 20, 21, 25, 98, 99}


async def test_idempotent_calls_are_retried_on_503_and_429(client: messagebird.Client) -> None:
    url = f"{BASE}/groups/{GID}/contacts"
    with aioresponses() as m:
        m.put(url, status=503, payload=body(99, "internal error"))
        m.put(url, status=429, payload=body(0, "Too many requests"), headers={"Retry-After": "0"})
        m.put(url, status=204)
        await client.groups.add_contacts(GID, ["a"])
        assert len(m.requests[("PUT", yarl.URL(url))]) == 3


async def test_create_is_not_retried_on_503(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/groups", status=503, payload=body(99, "internal error"))
        m.post(f"{BASE}/groups", status=201, payload={})
        with pytest.raises(ServerError):
            await client.groups.create("Home")
        assert len(m.requests[("POST", yarl.URL(f"{BASE}/groups"))]) == 1


async def test_retries_give_up_with_the_last_error(client: messagebird.Client) -> None:
    url = f"{BASE}/groups/{GID}"
    with aioresponses() as m:
        for _ in range(3):
            m.delete(url, status=502, payload=body(99, "internal error"))
        with pytest.raises(ServerError) as info:
            await client.groups.delete(GID)
        assert len(m.requests[("DELETE", yarl.URL(url))]) == 3
    assert info.value.code == 99
