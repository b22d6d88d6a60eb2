"""Every listing ends: hostile servers that page forever meet a typed error, not a spin.

Each vendor fake gets a middleware that answers its membership listing (and, for the read-back,
its add call) from a script: ``script(n, offset, limit) -> (ids, total, echoed offset)`` for
the n-th listing request. Everything else (auth, the OAuth token) is the fake's own. Every trap
must end with ``MalformedResponseError`` within 3 requests of the page that shows it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import attrs
import pytest
from aiohttp import web

from contactgroups import multi
from contactgroups._http import pager as pager_module
from contactgroups._http.pager import Page, Pager, total_margin
from contactgroups.errors import MalformedResponseError, OutcomeUnknownError, ServerError
from contactgroups.testing._server import json_response
from contactgroups.testing.pytest_plugin import start_fake

Script = Callable[[int, int, int], tuple[list[str], "int | None", int]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: the page cap used where a listing gives no total (monkeypatched down from 10,000)
CAP = 12
#: listing requests after which a hostile server gives up (so a broken pager fails, not hangs)
HARD_STOP = 300


def ids_at(start: int, count: int) -> list[str]:
    """Contact ids, numeric strings as every vendor here accepts: the k-th is ``100000 + k``."""
    return [str(100_000 + k) for k in range(start, start + count)]


# -- scripts: what the hostile server lists ----------------------------------------------------


def honest(size: int, *, cap: int | None = None) -> Script:
    universe = ids_at(0, size)

    def script(n: int, offset: int, limit: int) -> tuple[list[str], int | None, int]:
        return universe[offset : offset + min(limit, cap or limit)], size, offset

    return script


def ignores_offset(size: int) -> Script:
    universe = ids_at(0, size)
    return lambda n, offset, limit: (universe[:limit], size, offset)


def grows_total() -> Script:
    """Fresh full pages, the total always one page ahead and growing every page."""
    return lambda n, offset, limit: (ids_at(offset, limit), offset + 2 * limit, offset)


def endless_without_total() -> Script:
    return lambda n, offset, limit: (ids_at(offset, limit), None, offset)


def repeats_page(size: int, *, at: int) -> Script:
    """Honest, but the ``at``-th request gets the first page again, in reverse order."""
    universe = ids_at(0, size)

    def script(n: int, offset: int, limit: int) -> tuple[list[str], int | None, int]:
        if n == at:
            return universe[:limit][::-1], size, offset
        return universe[offset : offset + limit], size, offset

    return script


def offset_backwards(size: int) -> Script:
    """The second request is answered from offset 0 again, and says so (where it echoes)."""
    universe = ids_at(0, size)

    def script(n: int, offset: int, limit: int) -> tuple[list[str], int | None, int]:
        at = 0 if n == 2 else offset
        return universe[at : at + limit], size, at

    return script


def total_backwards(size: int) -> Script:
    universe = ids_at(0, size)

    def script(n: int, offset: int, limit: int) -> tuple[list[str], int | None, int]:
        return universe[offset : offset + limit], size - 5 if n >= 2 else size, offset

    return script


# -- the vendors: how each one speaks a listing ---------------------------------------------------


@attrs.define
class Vendor:
    fixture: str
    group: str
    listing_path: str  # the membership listing's path under the fake's url
    add_path: str
    is_add: Callable[[web.Request], bool]
    render: Callable[[int, list[str], int | None, int, int], web.Response]
    members_pager: Callable[[Any, int], Pager[Any]]
    has_total: bool = True
    echoes_offset: bool = False
    gives_request_id: bool = False


def _mb_render(n: int, ids: list[str], total: int | None, echoed: int, limit: int) -> web.Response:
    items = [{"id": i, "msisdn": 31_600_000_000 + int(i)} for i in ids]
    more = total is None or echoed + len(ids) < total
    return json_response(
        {
            "offset": echoed,
            "limit": limit,
            "count": len(ids),
            "totalCount": total,
            "links": {"first": None, "previous": None, "next": "x" if more else None, "last": None},
            "items": items,
        }
    )


def _mf_render(n: int, ids: list[str], total: int | None, echoed: int, limit: int) -> web.Response:
    meta = {"numberOfErrors": 0, "numberOfData": len(ids), "status": 200, "uniqId": f"req-{n}"}
    if not ids:
        meta.update(numberOfErrors=1, status=404)
        body = {"meta": meta, "errors": [{"title": "no results", "code": "E-0-404"}]}
        return json_response(body, status=404)
    return json_response({"meta": meta, "data": [{"id": i} for i in ids]})


def _mg_render(n: int, ids: list[str], total: int | None, echoed: int, limit: int) -> web.Response:
    listed = [{"id": i} for i in ids]
    return json_response(
        {"list": listed, "size": len(ids), "total": None if total is None else str(total)}
    )


MESSAGEBIRD = Vendor(
    fixture="messagebird_fake",
    group="0123456789abcdef0123456789abcdef",
    listing_path="/groups/0123456789abcdef0123456789abcdef/contacts",
    add_path="/groups/0123456789abcdef0123456789abcdef/contacts",
    is_add=lambda r: r.method == "PUT",
    render=_mb_render,
    members_pager=lambda c, size: c.groups.list_contacts(
        "0123456789abcdef0123456789abcdef", page_size=size
    ),
    echoes_offset=True,
)
MESSAGEFLOW = Vendor(
    fixture="messageflow_fake",
    group="7",
    listing_path="/group/7/contact",
    add_path="/group/7/contact",
    is_add=lambda r: r.method == "POST",
    render=_mf_render,
    members_pager=lambda c, size: c.groups.list_contact_ids("7", page_size=size),
    has_total=False,
    gives_request_id=True,
)
MESSENGEO = Vendor(
    fixture="messengeo_fake",
    group="4242",
    listing_path="/contacts",
    add_path="/lists",
    is_add=lambda r: r.method == "POST" and r.query.get("action") == "contactadd",
    render=_mg_render,
    members_pager=lambda c, size: c.lists.list_contacts("4242", properties=("id",), page_size=size),
)
VENDORS = [MESSAGEBIRD, MESSAGEFLOW, MESSENGEO]
by_name = pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: v.fixture.split("_")[0])


@attrs.define
class Hostile:
    """A vendor fake whose membership listing (and add) follow a script; counts the requests."""

    vendor: Vendor
    script: Script
    fake: Any = None
    listings: int = 0
    adds: int = 0

    def _is_listing(self, request: web.Request) -> bool:
        path = self.fake.prefix + self.vendor.listing_path
        return request.path == path and request.method == "GET"

    async def middleware_body(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == self.fake.prefix + self.vendor.add_path and self.vendor.is_add(request):
            self.adds += 1  # the add fails in a way that may have landed: multi reads back
            return web.Response(status=503, text="down for maintenance")
        if request.path == f"{self.fake.prefix}/group/{self.vendor.group}/count":
            # MessageFlow's members() reads the count first: a plausible one, so the walk runs
            return web.json_response({"data": [{"count": 5000}]})
        if self._is_listing(request):
            self.listings += 1
            if self.listings > HARD_STOP:  # a listing that did not end: fail the test, bounded
                return web.Response(status=410, text="the test's hard stop")
            offset = int(request.query.get("offset", "0"))
            limit = int(request.query.get("limit", "0"))
            ids, total, echoed = self.script(self.listings, offset, limit)
            return self.vendor.render(self.listings, ids, total, echoed, limit)
        return await handler(request)

    async def __aenter__(self) -> Hostile:
        self.fake = start_fake(self.vendor.fixture)

        @web.middleware
        async def hostile(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self.middleware_body(request, handler)

        self.fake.app.middlewares.append(hostile)
        await self.fake.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.fake.stop()

    def client(self) -> Any:
        return self.fake.client(retry=None, timeout=10)


@pytest.fixture(autouse=True)
def small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pager_module, "MAX_PAGES_WITHOUT_TOTAL", CAP, raising=False)


async def walk(vendor: Vendor, script: Script, page_size: int = 10) -> tuple[Hostile, Any]:
    """List the members through the vendor's pager; (server, the items or the error)."""
    with anyio.fail_after(20):
        async with Hostile(vendor, script) as server, server.client() as client:
            pager = vendor.members_pager(client, page_size)
            try:
                result: Any = [getattr(c, "id", c) async for c in pager]
            except MalformedResponseError as exc:
                result = exc
    return server, result


def assert_stopped(server: Hostile, result: Any, *, visible: int, match: str) -> None:
    assert isinstance(result, MalformedResponseError), result
    assert result.provider == server.vendor.fixture.split("_")[0]
    assert match in str(result), str(result)
    assert server.listings <= visible + 3, (server.listings, visible)
    if server.vendor.gives_request_id:
        assert result.request_id == f"req-{server.listings}"  # the offending page's


# -- (a) .. (g), per vendor ---------------------------------------------------------------------


@by_name
async def test_a_server_that_ignores_the_offset_stops_at_the_repeat(vendor: Vendor) -> None:
    server, result = await walk(vendor, ignores_offset(50))
    assert_stopped(server, result, visible=2, match="repeated the page at offset 0")
    assert server.listings == 2


@by_name
async def test_a_total_that_keeps_growing_stops_past_its_margin(vendor: Vendor) -> None:
    server, result = await walk(vendor, grows_total())
    if not vendor.has_total:  # no total to grow: fresh full pages forever meet the page cap
        assert_stopped(server, result, visible=CAP + 1, match=f"passed {CAP} pages")
        return
    first, limit = 20, 10
    most = first + total_margin(first)
    visible = next(n for n in range(1, 100) if (n - 1) * limit + 2 * limit > most)
    assert_stopped(server, result, visible=visible, match="total grew from 20")
    assert server.listings == visible


@by_name
async def test_full_pages_forever_without_a_total_meet_the_page_cap(vendor: Vendor) -> None:
    server, result = await walk(vendor, endless_without_total())
    if vendor is MESSAGEBIRD and server.listings == 1:
        # totalCount is always there at MessageBird: a null one is a malformed first page
        assert_stopped(server, result, visible=1, match="total")
        return
    assert_stopped(server, result, visible=CAP + 1, match=f"passed {CAP} pages")
    assert server.listings == CAP + 1


@by_name
async def test_a_repeated_earlier_page_in_another_order_stops(vendor: Vendor) -> None:
    server, result = await walk(vendor, repeats_page(50, at=3))
    assert_stopped(server, result, visible=3, match="repeated the page at offset 0 (at offset 20)")
    assert server.listings == 3


@by_name
async def test_an_offset_that_moves_backwards_stops(vendor: Vendor) -> None:
    server, result = await walk(vendor, offset_backwards(50))
    match = "moved backwards to offset 0" if vendor.echoes_offset else "repeated the page"
    assert_stopped(server, result, visible=2, match=match)
    assert server.listings == 2


@pytest.mark.parametrize("vendor", [MESSAGEBIRD, MESSENGEO], ids=["messagebird", "messengeo"])
async def test_a_total_that_goes_backwards_stops(vendor: Vendor) -> None:
    # (MessageFlow gives no total; its "backwards" is an earlier page again, a repeat)
    server, result = await walk(vendor, total_backwards(50))
    assert_stopped(server, result, visible=2, match="total went backwards from 50 to 45")
    assert server.listings == 2


@by_name
async def test_an_honest_server_that_caps_pages_is_read_to_the_end(vendor: Vendor) -> None:
    server, result = await walk(vendor, honest(25, cap=4), page_size=10)
    assert result == ids_at(0, 25)
    pages = math.ceil(25 / 4)
    # no total at MessageFlow: a short page is not the end until a full one was seen (the 404)
    assert server.listings == pages + (0 if vendor.has_total else 1)


@by_name
@pytest.mark.parametrize("size", [0, 7, 25, 30])
async def test_an_honest_listing_reads_everything_in_the_fewest_pages(
    vendor: Vendor, size: int
) -> None:
    server, result = await walk(vendor, honest(size), page_size=10)
    assert result == ids_at(0, size)
    full_pages = math.ceil(size / 10) if size else 1
    if vendor.has_total:
        expected = full_pages
    elif size % 10 == 0 or size < 10:
        expected = full_pages + (1 if size else 0)  # the 404 ends it (no full page, or no short)
    else:
        expected = full_pages  # a short page after a full one is the last
    assert server.listings == expected


async def test_a_pager_given_a_larger_cap_reads_on() -> None:
    """The cap is on pages without a total only: a listing with a total may be long."""
    server, result = await walk(MESSENGEO, honest(CAP * 10 + 35), page_size=10)
    assert result == ids_at(0, CAP * 10 + 35)
    assert server.listings == CAP + 4


async def test_messente_lists_in_one_request_whatever_the_answer() -> None:
    """Messente does not page: one listing request (after the group, whose ``contactsCount``
    proves it complete), whatever paging fields a server adds."""
    calls = 0
    contacts = [{"phoneNumber": f"+3725100{k:04d}"} for k in range(30)]
    group = {"id": "5792a02a-e5c2-422b-a0a0-0ae65d814663", "name": "g", "contactsCount": 30}

    @web.middleware
    async def hostile(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal calls
        if request.method == "GET" and request.path.endswith("/phonebook/contacts"):
            calls += 1
            return json_response({"contacts": contacts, "next": "/again", "total": 10**9})
        if request.method == "GET" and request.path.endswith(group["id"]):
            return json_response({"group": group})
        return await handler(request)

    fake = start_fake("messente_fake")
    fake.app.middlewares.append(hostile)
    async with fake, fake.client(retry=None, timeout=10) as client:
        phones = [
            m async for m in client.membership.members("5792a02a-e5c2-422b-a0a0-0ae65d814663")
        ]
    assert len(phones) == 30 and calls == 1


# -- multi: the read-back and a dry-run sync end too ---------------------------------------------


@by_name
@pytest.mark.parametrize("trap", ["ignores_offset", "endless_without_total"])
async def test_multi_members_and_dry_run_sync_end(vendor: Vendor, trap: str) -> None:
    script = ignores_offset(5000) if trap == "ignores_offset" else endless_without_total()
    # (at MessageBird a null totalCount is malformed at once: within the same bound)
    visible = 2 if trap == "ignores_offset" else CAP + 1
    with anyio.fail_after(20):
        async with Hostile(vendor, script) as server, server.client() as client:
            with pytest.raises(MalformedResponseError):
                async for _ in client.membership.members(vendor.group):
                    pass
            assert server.listings <= visible + 3
            server.listings = 0
            with pytest.raises(MalformedResponseError):
                await multi.sync(client, vendor.group, ids_at(0, 3), dry_run=True, deadline=30)
            assert server.listings <= visible + 3


@by_name
async def test_multi_read_back_ends_and_claims_nothing(vendor: Vendor) -> None:
    ids = ids_at(0, 3)
    with anyio.fail_after(20):
        async with Hostile(vendor, ignores_offset(5000)) as server, server.client() as client:
            target = multi.Target(client, vendor.group, ids)
            report = await multi.add([target], rounds=1, deadline=30)
    assert server.adds >= 1  # the add was answered 503: it may have landed, so it is read back
    # (settled by per-id look-ups where those are cheaper: the listing may not be read at all)
    assert server.listings <= 2 + 3
    # nothing is settled as landed: every id stays failed, with its own error where the vendor
    # proved it absent (per-id look-ups), "outcome unknown" where the read-back failed
    assert not report.ok
    assert report.counts()[multi.Outcome.FAILED] == len(ids)
    for contact_id in ids:
        assert isinstance(report.error(0, contact_id), (ServerError, OutcomeUnknownError))


# -- the guard itself, without a server ----------------------------------------------------------


async def test_a_fetch_that_runs_past_its_total_stops_at_the_margin() -> None:
    """Even where a provider's fetch never ends on the total, the pager stops past it."""
    calls = 0

    async def fetch(offset: int, limit: int) -> Page[str]:
        nonlocal calls
        calls += 1
        return Page(
            items=ids_at(offset, limit), offset=offset, next_offset=offset + limit, total=30
        )

    with pytest.raises(MalformedResponseError, match="past the 133 its first total of 30"):
        await Pager(fetch, page_size=10, provider="test").collect()
    assert calls == math.ceil((30 + total_margin(30)) / 10)


async def test_max_pages_caps_a_listing_without_a_total() -> None:
    calls = 0

    async def fetch(offset: int, limit: int) -> Page[str]:
        nonlocal calls
        calls += 1
        return Page(items=ids_at(offset, limit), offset=offset, next_offset=offset + limit)

    with pytest.raises(MalformedResponseError, match="passed 3 pages"):
        await Pager(fetch, page_size=5, provider="test", max_pages=3).collect()
    assert calls == 4
