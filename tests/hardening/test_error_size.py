"""What a vendor says in an error answer is kept to a bounded size: a report holds one error per
failed chunk, so 4 MiB error bodies must not decide a job's memory (red-team finding: 139,811
error objects and a 419,000-character message per error, ~30 MB per failed chunk)."""

from __future__ import annotations

import json
import sys

from aiohttp import web

from contactgroups import errors, messagebird
from contactgroups._http.response import (
    ERROR_BODY_CHARS,
    ERROR_ITEM_CHARS,
    ERROR_MESSAGE_CHARS,
    MAX_ERROR_ITEMS,
)
from contactgroups.testing import FakeServer

HUGE = {
    "errors": [
        {"code": 99, "description": f"item {i} " + "x" * 20, "parameter": None}
        for i in range(100_000)
    ]
}
BIG_ITEM = {"errors": [{"code": 99, "description": "y" * 50_000, "parameter": None}]}


class Verbose(FakeServer):
    def __init__(self, body: dict[str, object]) -> None:
        super().__init__()
        text = json.dumps(body)

        async def answer(request: web.Request) -> web.Response:
            return web.Response(status=503, text=text, content_type="application/json")

        self.app.router.add_route("*", "/{tail:.*}", answer)


def _size(error: errors.APIError) -> int:
    return len(error.message) + len(error.body or "") + len(json.dumps(error.errors, default=str))


async def test_a_huge_error_answer_makes_a_small_error() -> None:
    async with (
        Verbose(HUGE) as server,
        messagebird.Client(access_key="k" * 25, base_url=server.url, retry=None) as client,
    ):
        try:
            await client.groups.get("g1")
        except errors.ServerError as exc:
            error = exc
    assert len(error.message) <= ERROR_MESSAGE_CHARS + 1
    assert len(error.errors) == MAX_ERROR_ITEMS + 1  # and one saying how many more there were
    assert "99980 more error objects" in json.dumps(error.errors)
    assert len(error.body or "") <= ERROR_BODY_CHARS
    assert _size(error) < 100_000
    assert sys.getsizeof(error.message) < 10_000


async def test_one_oversized_error_object_is_kept_as_clipped_text() -> None:
    async with (
        Verbose(BIG_ITEM) as server,
        messagebird.Client(access_key="k" * 25, base_url=server.url, retry=None) as client,
    ):
        try:
            await client.groups.get("g1")
        except errors.ServerError as exc:
            error = exc
    (item,) = error.errors
    assert set(item) == {"truncated"}
    assert len(item["truncated"]) <= ERROR_ITEM_CHARS + 1
