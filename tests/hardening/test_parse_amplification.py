"""Parsing a capped answer has a bounded cost, and an unreadable 2xx answer to a write says it
may have landed (red-team findings: 16 MiB of ``[{},{},...]`` parsed to several hundred MB; a
MessageFlow add applied and then answered with garbage was reported failed, never read back)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from contactgroups import errors, multi
from contactgroups._http import HeaderAuth, Transport, parse_json
from contactgroups._http.response import MAX_JSON_VALUES
from contactgroups.testing import FakeServer
from contactgroups.testing.pytest_plugin import start_fake


class Babbler(FakeServer):
    """Answers every request with ``status`` and a body that is not JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.status = 200

        async def babble(request: web.Request) -> web.Response:
            return web.Response(status=self.status, text="<html>proxy says hi</html>")

        self.app.router.add_route("*", "/{tail:.*}", babble)


def test_an_answer_of_millions_of_tiny_values_is_refused_before_parsing() -> None:
    body = b"[" + b"{}," * (MAX_JSON_VALUES + 10) + b"{}]"
    with pytest.raises(ValueError, match="more than 1,000,000 values"):
        parse_json(body)


def test_a_large_but_ordinary_answer_is_read() -> None:
    page = {"items": [{"id": f"c{i}", "msisdn": 31600000000 + i} for i in range(20_000)]}
    assert len(parse_json(json.dumps(page).encode())["items"]) == 20_000


@pytest.fixture
async def server() -> AsyncIterator[Babbler]:
    async with Babbler() as s:
        yield s


@pytest.mark.parametrize(
    ("method", "status", "landed"),
    [("PUT", 200, True), ("POST", 201, True), ("DELETE", 200, True), ("GET", 200, False),
     ("PUT", 202, True)],
)  # fmt: skip
async def test_an_unreadable_2xx_answer_to_a_write_may_have_landed(
    server: Babbler, method: str, status: int, landed: bool
) -> None:
    server.status = status
    transport = Transport(
        provider="p", base_url=server.url, auth=HeaderAuth({}, secrets=()), retry=None
    )
    try:
        response = await transport.request(method, ("x",), idempotent=True)
        with pytest.raises(errors.MalformedResponseError) as info:
            response.json()
        assert info.value.maybe_landed is landed
        assert response.malformed("odd").maybe_landed is landed
    finally:
        await transport.aclose()


async def test_a_bulk_add_answered_with_garbage_is_read_back_and_reported_added() -> None:
    @web.middleware
    async def garbage_after_applying(
        request: web.Request, handler: web.RequestHandler
    ) -> web.StreamResponse:
        response = await handler(request)  # the fake applies the add...
        if request.method == "POST" and request.path.endswith("/contact"):
            return web.Response(status=200, text="<html>oops</html>")  # ...then babbles
        return response

    fake = start_fake("messageflow_fake")
    fake.app.middlewares.append(garbage_after_applying)
    async with fake:
        group = fake.seed_group("Garbage answers")
        ids = fake.seed_contacts(30)
        async with fake.client(retry=None) as client:
            report = await multi.add([multi.Target(client, group, ids)])
        assert fake.member_ids(group) == set(ids)
        assert report.counts()[multi.Outcome.ADDED] == len(ids)
        assert report.ok
