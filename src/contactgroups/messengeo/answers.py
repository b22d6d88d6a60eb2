"""Reading Messengeo's collection answers into models, and walking them page by page.

Reads and creates answer ``{"list": [...], "size": n, "total": t|null}``; ``total`` is sent only
when ``total=1`` was asked (always, here). Paging is by ``limit``/``offset``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from .._http import STRUCTURE_ERRORS, Page, Pager, Response, Transport, require_text
from .._http.pager import FetchPage
from ..errors import NotFoundError
from .models import Contact, ContactList, converter
from .wire import PROVIDER, is_vendor_not_found, properties_param

__all__ = [
    "contact_pager",
    "page_fetcher",
    "read_envelope",
    "read_one_list",
    "sort_param",
    "structure_items",
]

T = TypeVar("T")


def read_envelope(response: Response) -> tuple[list[Any], int | None]:
    """``{"list": [...], "size": n, "total": t|null}`` -> (items, total)."""
    data = response.json()
    if not isinstance(data, Mapping):
        raise response.malformed("expected an object with a list")
    items = data.get("list")
    if not isinstance(items, list):
        raise response.malformed("list is not an array")
    total = data.get("total")
    if total is not None:
        try:
            total = converter.structure(total, int)
        except STRUCTURE_ERRORS:
            raise response.malformed("total is not an integer") from None
    return items, total


def structure_items(response: Response, items: list[Any], cls: type[T]) -> list[T]:
    """The envelope's items as ``cls`` models (a misfit raises ``MalformedResponseError``)."""
    return [response.structure(converter, item, cls) for item in items]


def read_one_list(response: Response) -> ContactList:
    """The list a create, merge or import answers with (``list[0]``)."""
    items, _ = read_envelope(response)
    if not items:
        raise response.malformed("the answer lists no list")
    return response.structure(converter, items[0], ContactList)


def sort_param(sort: str) -> str:
    """The ``sort=`` value, ``"<property> ASC|DESC"``."""
    return require_text(sort, what="sort", provider=PROVIDER)


def page_fetcher(
    transport: Transport, resource: str, params: Mapping[str, Any], cls: type[T]
) -> FetchPage[T]:
    """The ``Pager`` fetch for ``GET /<resource>`` with ``params``: one page at an offset."""

    async def fetch(offset: int, limit: int) -> Page[T]:
        query = {**params, "limit": limit, "offset": offset, "total": 1}
        try:
            response = await transport.request("GET", (resource,), params=query, idempotent=True)
        except NotFoundError as exc:
            if not is_vendor_not_found(exc):
                raise
            # the vendor's own 404 on a read means "nothing matched"
            return Page(items=(), offset=offset, limit=limit, next_offset=None, total=0)
        items, total = read_envelope(response)
        structured = structure_items(response, items, cls)
        end = offset + len(structured)
        # walk until an empty page or the total: a page shorter than asked may only mean the
        # server caps limit lower than we asked (its cap is not documented)
        done = not structured or (total is not None and end >= total)
        return Page(
            items=tuple(structured),
            offset=offset,
            limit=limit,
            next_offset=None if done else end,
            total=total,
            request_id=response.request_id,
        )

    return fetch


def contact_pager(
    transport: Transport,
    params: Mapping[str, Any],
    *,
    properties: Iterable[str] | None,
    page_size: int,
    max_items: int | None,
    sort: str | None,
) -> Pager[Contact]:
    """``GET /contacts`` with the filters in ``params``: what ``contacts.list`` and
    ``lists.list_contacts`` both return."""
    query = dict(params)
    query["properties"] = properties_param(properties)
    if sort is not None:
        query["sort"] = sort_param(sort)
    return Pager(
        page_fetcher(transport, "contacts", query, Contact),
        page_size=page_size,
        max_items=max_items,
        provider=PROVIDER,
    )
