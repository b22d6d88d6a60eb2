"""``trace_configs=``: aiohttp request hooks for the session a client makes (its token requests
included), refused with a borrowed ``session=``, whose hooks are the user's own business."""

from __future__ import annotations

import types
from typing import Any

import aiohttp
import pytest

from contactgroups import messagebird
from contactgroups.errors import InvalidRequestError
from contactgroups.testing.messengeo import MessengeoFake


def recording() -> tuple[aiohttp.TraceConfig, list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    config = aiohttp.TraceConfig()

    async def on_request_start(
        session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        seen.append((params.method, params.url.path))

    config.on_request_start.append(on_request_start)
    return config, seen


async def test_the_hooks_see_every_request_token_requests_too() -> None:
    config, seen = recording()
    async with MessengeoFake() as fake:
        group = fake.seed_group("G")
        async with fake.client(trace_configs=[config]) as client:
            await client.lists.get(group)
            await client.with_options(timeout=5).lists.get(group)  # a view: the same session
    assert [method for method, _ in seen] == ["POST", "GET", "GET"]
    assert seen[0][1].endswith("/token")
    assert all(path.endswith("/lists") for _, path in seen[1:])  # ?id=<group>


async def test_refused_with_a_borrowed_session() -> None:
    config, _ = recording()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidRequestError, match=r"with session= add them to that session"):
            messagebird.Client(access_key="k", session=session, trace_configs=[config])
        # none given is fine with a borrowed session
        messagebird.Client(access_key="k", session=session, trace_configs=[])


@pytest.mark.parametrize("value", ["hooks", [object()], 3, {"a": 1}])
def test_anything_but_trace_configs_is_refused(value: Any) -> None:
    with pytest.raises(InvalidRequestError, match="trace_configs must"):
        messagebird.Client(access_key="k", trace_configs=value)
