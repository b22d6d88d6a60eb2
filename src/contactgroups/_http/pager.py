"""The one pager: await it for a page, ``async for`` it for every item, ``.pages()`` for pages.

Each provider supplies only ``fetch(offset, limit) -> Page``; the page says where the next one
starts (``next_offset``), or None when it was the last. Memory stays constant: one page is held
at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from typing import Any, Generic, TypeVar

import attrs

from ..errors import InvalidRequestError
from .validate import require_count

__all__ = ["Page", "Pager"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing.

    Attributes:
        items: the items on this page.
        offset: the offset this page was asked for.
        limit: the page size asked for (None where the vendor does not page).
        next_offset: where the next page starts, or None if this is the last one.
        total: the vendor's total count across all pages, where it gives one.
        request_id: the vendor's request id, where it gives one.
    """

    items: Sequence[T]
    offset: int = 0
    limit: int | None = None
    next_offset: int | None = None
    total: int | None = None
    request_id: str | None = None

    @property
    def has_more(self) -> bool:
        return self.next_offset is not None

    def __len__(self) -> int:
        return len(self.items)


FetchPage = Callable[[int, int], Awaitable[Page[T]]]


class Pager(Generic[T]):
    """A lazy listing. Nothing is sent until it is awaited or iterated.

    ``page_size`` is sent as the vendor's limit (checked against ``max_page_size``); ``max_items``
    caps how many items iteration yields (and shrinks the last request to match).
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        page_size: int,
        max_items: int | None = None,
        max_page_size: int | None = None,
        offset: int = 0,
        provider: str | None = None,
    ) -> None:
        require_count(page_size, what="page_size", provider=provider)
        if max_page_size is not None and page_size > max_page_size:
            raise InvalidRequestError(
                f"page_size {page_size} is over the vendor's limit of {max_page_size} per page",
                provider=provider,
            )
        if max_items is not None:
            require_count(max_items, what="max_items", minimum=0, provider=provider)
        require_count(offset, what="offset", minimum=0, provider=provider)
        self._fetch = fetch
        self.page_size = page_size
        self.max_items = max_items
        self.offset = offset

    def _limit_for(self, yielded: int) -> int:
        if self.max_items is None:
            return self.page_size
        return max(1, min(self.page_size, self.max_items - yielded))

    async def first_page(self) -> Page[T]:
        """The first page only (nothing is sent when ``max_items`` is 0)."""
        if self.max_items == 0:
            return Page(items=(), offset=self.offset)
        return await self._fetch(self.offset, self._limit_for(0))

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.first_page().__await__()

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Every page in turn (the last one trimmed to ``max_items``)."""
        offset: int | None = self.offset
        yielded = 0
        while offset is not None:
            if self.max_items is not None and yielded >= self.max_items:
                return
            page = await self._fetch(offset, self._limit_for(yielded))
            if self.max_items is not None and yielded + len(page.items) > self.max_items:
                page = attrs.evolve(page, items=page.items[: self.max_items - yielded])
            yielded += len(page.items)
            yield page
            if not page.items or page.next_offset is None or page.next_offset <= offset:
                return
            offset = page.next_offset

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[T]:
        """Every item as a list (memory grows with the listing: prefer ``async for``)."""
        return [item async for item in self]
