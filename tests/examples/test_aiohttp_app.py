"""``examples/aiohttp_app.py`` against the Messente fake: imported and served by aiohttp's test
server, and run as a script (every warning an error)."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from examples_support import EXAMPLES, RUN_LIMIT, env_for, finish, load, start

from contactgroups import messente
from contactgroups.testing.messente import MessenteFake

app_example = load("aiohttp_app")


@pytest.fixture
async def fake() -> AsyncIterator[MessenteFake]:
    async with MessenteFake() as f:
        yield f


@pytest.fixture
async def served(
    fake: MessenteFake, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TestClient[Any, Any], Any]]:
    for name, value in env_for([fake]).items():
        if name.startswith("MESSENTE_"):
            monkeypatch.setenv(name, value)
    app = app_example.make_app()
    async with TestClient(TestServer(app)) as http:
        yield http, app
    # the cleanup context ran: the client and then the app's session are closed
    assert app[app_example.HTTP].closed


async def test_a_member_is_added_through_the_app(
    fake: MessenteFake, served: tuple[TestClient[Any, Any], Any]
) -> None:
    http, app = served
    group = fake.seed_group("VIP")
    phone = "+37251000000"  # no contact yet: the app creates it first
    response = await http.post(f"/groups/{group}/members", json={"phone": phone})
    assert (response.status, await response.json()) == (201, {"phone": phone, "added": True})
    assert fake.member_ids(group) == {phone}
    again = await http.post(f"/groups/{group}/members", json={"phone": phone})
    assert (again.status, await again.json()) == (200, {"phone": phone, "added": False})
    # the client borrows the app's session, under typed app keys
    assert isinstance(app[app_example.MESSENTE], messente.Client)
    assert not app[app_example.HTTP].closed


async def test_a_bad_phone_is_400_and_sends_nothing(
    fake: MessenteFake, served: tuple[TestClient[Any, Any], Any]
) -> None:
    http, _ = served
    group = fake.seed_group("VIP")
    before = len(fake.requests)
    response = await http.post(f"/groups/{group}/members", json={"phone": "37251000000"})
    assert response.status == 400
    assert "E.164" in await response.text()
    assert len(fake.requests) == before  # refused before any call


async def test_an_unknown_group_is_404(
    fake: MessenteFake, served: tuple[TestClient[Any, Any], Any]
) -> None:
    http, _ = served
    group = "00000000-0000-0000-0000-000000000000"
    response = await http.post(f"/groups/{group}/members", json={"phone": "+37251000001"})
    assert response.status == 404
    assert await response.text() == f"no group {group}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_as_a_script_it_serves_and_stops_cleanly(fake: MessenteFake) -> None:
    group, port = fake.seed_group("VIP"), free_port()
    process = await start(
        [EXAMPLES / "aiohttp_app.py", "--host", "127.0.0.1", "--port", port], env_for([fake])
    )

    async def first_answer() -> int:
        url = f"http://127.0.0.1:{port}/groups/{group}/members"
        async with aiohttp.ClientSession() as session:
            while process.returncode is None:
                try:
                    async with session.post(url, json={"phone": "+37251000002"}) as response:
                        return response.status
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)  # not listening yet
        raise AssertionError("the app exited before it answered")

    try:
        status = await asyncio.wait_for(first_answer(), RUN_LIMIT)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # what Ctrl-C does: web.run_app stops cleanly
    result = await finish(process)
    assert status == 201, result.stderr
    assert fake.member_ids(group) == {"+37251000002"}
    assert result.returncode == 0
    assert result.stderr == ""  # no warning (every one is an error here), no unclosed session
