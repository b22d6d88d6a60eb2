"""A listing that ends short of the total the vendor gave is no complete read, and a total too
large to be a listing's bounds nothing (red-team findings: with every DELETE answering 503, a
member listing saying ``totalCount: 3`` and then serving an empty page made ``multi.remove``
report ids "removed" that were still members; a ``totalCount`` of 2**62 let a walk run on)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from contactgroups import errors, messagebird, multi
from contactgroups._http.pager import MAX_TOTAL
from contactgroups.testing import FakeServer

MEMBERS = ("c1", "c2", "c3")


def contact(contact_id: str) -> dict[str, Any]:
    return {"id": contact_id, "msisdn": 31600000000, "createdDatetime": "2020-01-01T00:00:00+00:00"}


class ShortListing(FakeServer):
    """MessageBird-shaped: DELETE always 503 (nothing removed); the member listing claims
    ``total`` members but serves ``served`` of them, then empty pages."""

    def __init__(self, total: int, served: int = 1, full_pages: bool = False) -> None:
        super().__init__()
        self.total, self.served, self.full_pages = total, served, full_pages
        self.listings = 0

        async def delete(request: web.Request) -> web.Response:
            body = {"errors": [{"code": 99, "description": "busy", "parameter": None}]}
            return web.json_response(body, status=503)

        async def listing(request: web.Request) -> web.Response:
            self.listings += 1
            offset = int(request.query.get("offset", "0"))
            limit = int(request.query.get("limit", "20"))
            if self.full_pages:  # fresh ids on every page, for ever
                ids = [f"x{offset + i}" for i in range(limit)]
            else:
                ids = [m for m in MEMBERS[: self.served]][offset : offset + limit]
            items = [contact(i) for i in ids]
            envelope = {"offset": offset, "limit": limit, "count": len(items),
                        "totalCount": self.total, "links": {}, "items": items}  # fmt: skip
            return web.json_response(envelope)

        self.app.router.add_delete("/groups/{g}/contacts/{c}", delete)
        self.app.router.add_get("/groups/{g}/contacts", listing)


@pytest.fixture
async def short() -> AsyncIterator[ShortListing]:
    async with ShortListing(total=3, served=1) as server:
        yield server


def client(server: FakeServer) -> messagebird.Client:
    return messagebird.Client(access_key="k" * 25, base_url=server.url, retry=None, timeout=5)


async def test_a_listing_that_ends_short_of_its_total_is_an_error(short: ShortListing) -> None:
    async with client(short) as mb:
        with pytest.raises(errors.MalformedResponseError, match="ended after item 1 of the 3"):
            [c async for c in mb.groups.list_contacts("g1")]


async def test_a_walk_cut_by_max_items_is_not_a_short_read(short: ShortListing) -> None:
    async with client(short) as mb:
        assert [c.id async for c in mb.groups.list_contacts("g1", max_items=1)] == ["c1"]


async def test_the_read_back_never_reports_a_member_removed_on_a_short_read(
    short: ShortListing,
) -> None:
    async with client(short) as mb:
        report = await multi.remove([multi.Target(mb, "g1", ["c2", "c3"])], deadline=20)
    assert report.counts()[multi.Outcome.REMOVED] == 0
    assert not report.ok
    assert {o for _, _, o, _ in report.outcomes()} == {multi.Outcome.FAILED}


async def test_a_total_larger_than_any_listing_stops_at_the_first_page() -> None:
    async with ShortListing(total=2**62, full_pages=True) as server, client(server) as mb:
        with pytest.raises(errors.MalformedResponseError, match="more than any listing holds"):
            [c async for c in mb.groups.list_contacts("g1")]
        assert server.listings == 1
    assert MAX_TOTAL < 2**62
