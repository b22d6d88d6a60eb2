"""MessageFlow listings: offset/limit pages of at most 1000, where an empty page is a 404.

Every ``GET`` listing (groups, a group's members, contact search) pages the same way: the vendor
gives no total, and "no results" is a 404 in the vendor's envelope (a 404 that is not, such as a
proxy's page, still raises). The end: an empty page (the 404), or a page shorter than ``limit``
once this listing has had a full page (the server honours the limit asked, so short means
last). Until a full page came back a short page may only mean the server caps pages below the
limit (the notes leave a clamp open), so one more page is asked: an honest capping server is
read to its end, at the cost of one request (the 404) for a listing that fits in one page.
With no total, the pager's checks (repeats, ``MAX_PAGES_WITHOUT_TOTAL``) make every listing end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from .._http import Page, Pager, Transport
from ..errors import NotFoundError
from .models import converter
from .wire import MAX_PAGE_SIZE, PROVIDER, is_no_results, listed_ids, request_id_of

__all__ = ["listing", "requests_to_read"]

T = TypeVar("T")


def requests_to_read(count: int, page_size: int) -> int:
    """Requests a walk over ``count`` items costs: the full pages, then the short page or the
    404 that ends them (two for a listing that fits in one short page: see the module docs)."""
    if 0 < count < page_size:
        return 2
    return count // page_size + 1


def listing(
    transport: Transport,
    segments: Sequence[object],
    params: Sequence[tuple[str, str]],
    model: type[T] | None,
    *,
    page_size: int,
    max_items: int | None,
    total: int | None = None,
) -> Pager[T]:
    """A pager over ``GET <segments>?offset&limit&<params>``, items read as ``model``.

    ``model`` None: the items' ``id`` only, as canonical ``str`` (the fast path a membership
    read uses). A 202 + ``Retry-After`` is waited out like any long-running action. ``total``
    (a count read elsewhere, e.g. ``GET /group/{id}/count``) goes on every page, so the pager
    proves the walk against it: ending short of it raises ``MalformedResponseError``.
    """

    # set once a page came back as long as asked: from then on a short page is the last
    full_page_seen = False

    async def fetch(offset: int, limit: int) -> Page[T]:
        nonlocal full_page_seen
        query = [("offset", str(offset)), ("limit", str(limit)), *params]
        try:
            response = await transport.request(
                "GET", segments, params=query, idempotent=True, long_running=True
            )
        except NotFoundError as exc:
            if not is_no_results(exc):
                raise
            return Page(
                items=(), offset=offset, limit=limit, total=total, request_id=exc.request_id
            )
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            # a listing's 200 always carries `data`; anything else is not the vendor speaking
            raise response.malformed("a listing answer without a 'data' list")
        data = body["data"]
        items: tuple[Any, ...]
        if model is None:
            items = listed_ids(response, data)
        else:
            items = tuple(response.structure(converter, d, model) for d in data)
        full = len(items) >= limit
        full_page_seen = full_page_seen or full
        last = not items or (not full and full_page_seen)
        return Page(
            items=items,
            offset=offset,
            limit=limit,
            next_offset=None if last else offset + len(items),
            total=total,
            request_id=request_id_of(body, response.secrets),
        )

    return Pager(
        fetch,
        page_size=page_size,
        max_items=max_items,
        max_page_size=MAX_PAGE_SIZE,
        provider=PROVIDER,
    )
