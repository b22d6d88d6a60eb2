"""MessageFlow listings: offset/limit pages of at most 1000, where an empty page is a 404.

Every ``GET`` listing (groups, a group's members, contact search) pages the same way: the vendor
gives no total, a page shorter than ``limit`` is the last, and "no results" is a 404 in the
vendor's envelope (a 404 that is not, such as a proxy's page, still raises).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from .._http import Page, Pager, Transport
from ..errors import NotFoundError
from .models import converter
from .wire import MAX_PAGE_SIZE, PROVIDER, is_no_results, listed_ids, request_id_of

__all__ = ["listing"]

T = TypeVar("T")


def listing(
    transport: Transport,
    segments: Sequence[object],
    params: Sequence[tuple[str, str]],
    model: type[T] | None,
    *,
    page_size: int,
    max_items: int | None,
) -> Pager[T]:
    """A pager over ``GET <segments>?offset&limit&<params>``, items read as ``model``.

    ``model`` None: the items' ``id`` only, as ``str`` (the fast path a membership read uses).
    A 202 + ``Retry-After`` is waited out like any long-running action.
    """

    async def fetch(offset: int, limit: int) -> Page[T]:
        query = [("offset", str(offset)), ("limit", str(limit)), *params]
        try:
            response = await transport.request(
                "GET", segments, params=query, idempotent=True, long_running=True
            )
        except NotFoundError as exc:
            if not is_no_results(exc):
                raise
            return Page(items=(), offset=offset, limit=limit, request_id=exc.request_id)
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
        return Page(
            items=items,
            offset=offset,
            limit=limit,
            next_offset=offset + len(items) if len(items) >= limit else None,
            request_id=request_id_of(body),
        )

    return Pager(
        fetch,
        page_size=page_size,
        max_items=max_items,
        max_page_size=MAX_PAGE_SIZE,
        provider=PROVIDER,
    )
