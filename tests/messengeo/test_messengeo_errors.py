"""Error answers mapped onto the ladder: status, message, details, the vendor's code."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioresponses import aioresponses
from messengeo_support import BASE, CLIENT_ID, CLIENT_SECRET, FAST_RETRY, TOKEN_ANSWER, TOKEN_URL

from contactgroups import (
    APIError,
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
    messengeo,
)
from contactgroups._http import Response
from contactgroups.messengeo import is_error, parse_error, parse_oauth_error
from contactgroups.testing import Faults
from contactgroups.testing.messengeo import MessengeoFake

LISTS = re.compile(re.escape(BASE) + r"/lists(\?.*)?$")


def response(body: bytes, status: int = 400) -> Response:
    return Response(status=status, headers={}, body=body, provider="messengeo")


@pytest.fixture
def mocked() -> Any:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=TOKEN_ANSWER, repeat=True)
        yield m


@pytest.fixture
async def client() -> AsyncIterator[messengeo.Client]:
    async with messengeo.Client(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, retry=FAST_RETRY
    ) as c:
        yield c


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (
            400,
            {
                "status": 400,
                "message": "Bad Request",
                "messages": [{"details": "Parameter name is required"}],
            },
            ValidationError,
            "Bad Request (Parameter name is required)",
        ),
        (
            417,
            {
                "status": 417,
                "message": "Invalid email: jean.dupont@exemple",
                "details": "contacts[0][email]",
            },
            ValidationError,
            "Invalid email: jean.dupont@exemple (contacts[0][email])",
        ),
        (403, {"status": 403, "message": "Forbidden"}, AuthenticationError, "Forbidden"),
        (404, {"status": 404, "message": "Not found"}, NotFoundError, "Not found"),
        (429, {"status": 429, "message": "Slow down"}, RateLimitError, "Slow down"),
        (500, {"status": 500, "message": "Internal error"}, ServerError, "Internal error"),
        (400, {"messages": [{"details": "a"}, {"details": "b"}]}, ValidationError, "a; b"),
        (400, {"details": "only details"}, ValidationError, "only details"),
        (400, {"error": "x", "error_description": "described"}, ValidationError, "described"),
    ],
)
async def test_error_mapping(
    mocked: Any, client: messengeo.Client, status: int, body: Any, cls: type[APIError], message: str
) -> None:
    mocked.post(LISTS, status=status, payload=body)
    with pytest.raises(cls) as info:
        await client.lists.create("x")
    error = info.value
    assert type(error) is cls
    assert error.status == status
    assert error.provider == "messengeo"
    assert error.message == message
    assert error.body is not None and error.body.startswith("{")


async def test_417_keeps_details_in_errors(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(
        re.compile(re.escape(BASE) + r"/contacts.*"),
        status=417,
        payload={"status": 417, "message": "Invalid email: a@b", "details": "contacts[0][email]"},
    )
    with pytest.raises(ValidationError) as info:
        await client.contacts.create([{"email": "a@b"}])
    assert info.value.errors == ({"details": "contacts[0][email]"},)


async def test_500_without_json(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(LISTS, status=500, body="<html>Internal Server Error</html>")
    with pytest.raises(ServerError) as info:
        await client.lists.list()
    assert info.value.message == "<html>Internal Server Error</html>"


async def test_200_with_error_status_is_an_error(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(LISTS, status=200, payload={"status": 417, "message": "Invalid email: x"})
    with pytest.raises(ValidationError) as info:
        await client.lists.add_contacts("1", ["2"])
    assert info.value.status == 200  # the HTTP status; the body's status is the code
    assert info.value.code == 417
    assert info.value.message == "Invalid email: x"


async def test_200_with_401_status_is_authentication_error(
    mocked: Any, client: messengeo.Client
) -> None:
    mocked.get(LISTS, status=200, payload={"status": "401", "message": "Expired"})
    with pytest.raises(AuthenticationError):
        await client.lists.list()


async def test_200_with_status_200_is_fine(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(LISTS, status=200, payload={"status": 200, "count": 4})
    assert await client.lists.add_contacts("1", ["2"]) == 4


async def test_503_retried_for_membership_not_for_create(
    mocked: Any, client: messengeo.Client
) -> None:
    mocked.post(LISTS, status=503, payload={"status": 503, "message": "busy"})
    mocked.post(LISTS, payload={"count": 1})
    assert await client.lists.add_contacts("1", ["2"]) == 1  # idempotent: retried
    mocked.post(LISTS, status=503, payload={"status": 503, "message": "busy"})
    mocked.post(LISTS, payload={"list": [{"id": "9"}], "size": 1})
    with pytest.raises(ServerError):
        await client.lists.create("x")  # a create is not repeated


async def test_401_on_api_renews_token_and_repeats(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(LISTS, status=401, payload={"status": 401, "message": "expired"})
    mocked.get(LISTS, payload={"list": [{"id": "1"}], "size": 1, "total": 1})
    page = await client.lists.list()
    assert [i.id for i in page.items] == ["1"]
    token_calls = [c for (verb, url), c in mocked.requests.items() if str(url) == TOKEN_URL]
    assert len(token_calls[0]) == 2


def test_parse_error_never_raises_on_weird_bodies() -> None:
    for body in (
        b"",
        b"null",
        b"[1,2]",
        b"{",
        b'{"messages": "x", "details": [1, null]}',
        b'{"message": 5}',
        b"\xff\xfe",
    ):
        info = parse_error(response(body))
        assert isinstance(info.message, str) and info.message
        oauth = parse_oauth_error(response(body))
        assert oauth.error_class is AuthenticationError


def test_parse_error_falls_back_to_status() -> None:
    assert parse_error(response(b"{}", 502)).message == "HTTP 502"


def test_oauth_error_5xx_keeps_status_class() -> None:
    info = parse_oauth_error(response(b'{"error": "server_error"}', 503))
    assert info.error_class is None
    assert info.code == "server_error"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"status": 400, "message": "x"}', True),
        (b'{"status": "500"}', True),
        (b'{"status": 200}', False),
        (b'{"list": [], "size": 0}', False),
        (b'{"list": [{"importStatus": "ok"}]}', False),
        (b'{"status": true}', False),
        (b'not json but "status"', False),
        (b"", False),
    ],
)
def test_is_error(body: bytes, expected: bool) -> None:
    assert is_error(response(body, 200)) is expected


async def test_fake_errors_as_200() -> None:
    async with MessengeoFake(errors_as_200=True) as fake, fake.client() as client:
        with pytest.raises(ValidationError) as info:
            await client.contacts.create([{"email": "broken@"}])
    assert info.value.code == 417
    assert "Invalid email: broken@" in info.value.message


async def test_fake_injected_fault_body(fake: MessengeoFake) -> None:
    fake.faults = Faults(server_error=1.0, server_error_status=500, only_paths=("/rest",))
    async with fake.client(retry=None) as client:
        with pytest.raises(ServerError) as info:
            await client.lists.list()
    assert info.value.message == "injected fault 500"


async def test_fake_merge_with_unknown_list(fake: MessengeoFake) -> None:
    known = fake.seed_group()
    async with fake.client() as client:
        with pytest.raises(ValidationError) as info:
            await client.lists.merge([known, "999999"], "M")
    assert "999999" in info.value.message
    assert len(fake.lists) == 1  # nothing created


async def test_malformed_envelope_is_typed(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(LISTS, payload={"list": []})
    with pytest.raises(MalformedResponseError, match="lists no list"):
        await client.lists.create("x")
