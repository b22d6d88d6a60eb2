"""Answers that are not what the vendor documents: a typed error with the raw body, never a
crash deep in cattrs or a raw KeyError/TypeError."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aioresponses import aioresponses

from contactgroups import errors, messagebird, messageflow, messengeo, messente

TOKEN = {"access_token": "tok", "expires_in": "3600", "token_type": "bearer", "scope": "basic"}


def _clients() -> dict[str, tuple[Any, re.Pattern[str], Callable[[Any], Awaitable[Any]]]]:
    return {
        "messagebird": (
            messagebird.Client(access_key="key-123456", retry=None),
            re.compile(r"^https://rest\.messagebird\.com/groups/g1$"),
            lambda c: c.groups.get("g1"),
        ),
        "messente": (
            messente.Client(username="user-1234", password="pass-123456", retry=None),
            re.compile(r"^https://api\.messente\.com/v1/phonebook/groups/g1$"),
            lambda c: c.groups.get("g1"),
        ),
        "messageflow": (
            messageflow.Client(
                authorization="auth-123456", application_key="app-123456", retry=None
            ),
            re.compile(r"^https://api\.messageflow\.com/v2\.1/group\?.*$"),
            lambda c: c.groups.list().first_page(),
        ),
        "messengeo": (
            messengeo.Client(client_id="id-123456", client_secret="secret-123456", retry=None),
            re.compile(r"^https://contacts\.messengeo\.net/rest/lists\?.*$"),
            lambda c: c.lists.list().first_page(),
        ),
    }


BAD_SUCCESS_BODIES = [
    ("html page", "<html><body>Service temporarily unavailable</body></html>", "text/html"),
    ("truncated json", '{"id": "g1", "name": "Ho', "application/json"),
    ("json array", "[1, 2, 3]", "application/json"),
    ("json null", "null", "application/json"),
    ("missing fields", '{"unexpected": true}', "application/json"),
    (
        "wrong types",
        '{"id": {"deep": 1}, "name": [1], "contactsCount": "many", "items": 5, "data": 7,'
        ' "list": "x", "group": 3}',
        "application/json",
    ),
    (
        "error body with 200",
        '{"errors": [{"code": 20, "description": "not found"}], "status": 404,'
        ' "message": "not found"}',
        "application/json",
    ),
    ("empty body", "", "application/json"),
]


@pytest.mark.parametrize("provider", ["messagebird", "messente", "messageflow", "messengeo"])
@pytest.mark.parametrize(("case", "body", "content_type"), BAD_SUCCESS_BODIES)
async def test_unusable_200_answers_raise_a_typed_error_with_the_body(
    provider: str, case: str, body: str, content_type: str
) -> None:
    client, url, call = _clients()[provider]
    async with client:
        with aioresponses() as mocked:
            mocked.post("https://oauth.messengeo.net/token", payload=TOKEN, repeat=True)
            mocked.get(url, status=200, body=body, content_type=content_type)
            with pytest.raises(errors.APIError) as info:
                await call(client)
    assert info.value.provider == provider
    assert info.value.body == body, case


@pytest.mark.parametrize("provider", ["messagebird", "messente", "messageflow", "messengeo"])
@pytest.mark.parametrize("status", [500, 502, 404, 401, 422])
async def test_error_statuses_with_html_bodies_keep_the_body(provider: str, status: int) -> None:
    client, url, call = _clients()[provider]
    html = f"<html><h1>{status} from the load balancer</h1></html>"
    async with client:
        with aioresponses() as mocked:
            mocked.post("https://oauth.messengeo.net/token", payload=TOKEN, repeat=True)
            mocked.get(url, status=status, body=html, content_type="text/html", repeat=True)
            with pytest.raises(errors.APIError) as info:
                await call(client)
    assert isinstance(info.value, errors.error_class_for_status(status))
    assert info.value.status == status
    assert info.value.body == html
