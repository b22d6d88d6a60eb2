"""The one pager: await it for a page, ``async for`` it for every item, ``.pages()`` for pages.

Each provider supplies only ``fetch(offset, limit) -> Page``; the page says where the next one
starts (``next_offset``), or None when it was the last: the provider decides what marks the end
at its vendor (an empty page, the total reached, the vendor's own end marker). Memory stays
constant: one page is held at a time.

Every listing ends. A vendor is untrusted input, so while walking the pager checks each page
(``ListingGuard``) and stops with ``MalformedResponseError`` (naming the page's request id) when:

- a page repeats one of the recent pages (same items, in any order: a cheap signature of the
  items' ids is compared, never the items themselves);
- the vendor answers a page at another offset than asked, or its next offset does not move on;
- the total goes backwards (items were deleted while the listing was read, so offset paging may
  have skipped some: the read is not complete, and saying so beats a silent gap);
- the total grows past what the first page promised plus ``total_margin`` (10% + 100), or the
  listing reads more items than that (so at most ``ceil((total + margin) / page)`` full pages);
- where no page gave a total, more than ``MAX_PAGES_WITHOUT_TOTAL`` pages were read;
- a total is over ``MAX_TOTAL`` (no group is that large; it would bound nothing);
- the listing ended (an empty page, no next offset) short of the total the vendor gave: an
  incomplete read must not pass for a complete one (a read-back would take the missing ids for
  removed). A walk cut short by ``max_items`` is not checked.

Each check fires on the page that shows the trap, so no request is sent past it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from typing import Any, Final, Generic, TypeVar

import attrs

from ..errors import InvalidRequestError, MalformedResponseError
from .validate import require_count

__all__ = [
    "MAX_PAGES_WITHOUT_TOTAL",
    "MAX_TOTAL",
    "RECENT_PAGES",
    "ListingGuard",
    "Page",
    "Pager",
    "page_signature",
    "total_margin",
]

T = TypeVar("T")

#: Pages a listing may read when no page gave a total (nor an end marker): 10,000 pages, so
#: 1,000,000 items at a page size of 100 and 10,000,000 at 1,000. Past it the listing stops
#: with ``MalformedResponseError``; read with a larger ``page_size`` to go further.
MAX_PAGES_WITHOUT_TOTAL: Final = 10_000
#: A total above this is no listing's (a group of a hundred million contacts): refused as malformed
#: rather than trusted to bound a walk.
MAX_TOTAL: Final = 100_000_000

#: How many recent pages' fingerprints a walk keeps to spot a repeat (memory stays constant).
RECENT_PAGES: Final = 64


def total_margin(total: int) -> int:
    """How far a listing's total may grow while it is read (new items arriving): 10% + 100."""
    return max(0, total) // 10 + 100


def _key(item: object) -> object:
    if isinstance(item, (str, int)):
        return item
    item_id = getattr(item, "id", None)
    if item_id is not None:
        return item_id
    try:
        return hash(item)
    except TypeError:
        return repr(item)


def page_signature(items: Sequence[object]) -> int:
    """A cheap signature of a page: the hash of the set of its items' ids (an item without an
    ``id`` counts by its hash, or its repr), so the same items in another order match."""
    return hash(frozenset(_key(item) for item in items))


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing.

    Attributes:
        items: the items on this page.
        offset: the offset this page is at: the one asked for, or the vendor's echo of it
            (walking checks that the two agree).
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


class ListingGuard:
    """The checks that make one walk over a listing end (see the module docstring).

    ``check(asked_offset, page)`` raises ``MalformedResponseError`` for a page that shows a
    trap; an empty page is not checked (it ends the listing).
    """

    def __init__(self, *, provider: str | None, max_pages: int | None = None) -> None:
        self.provider = provider or "unknown"
        self.max_pages = MAX_PAGES_WITHOUT_TOTAL if max_pages is None else max_pages
        self.pages = 0
        self.end: int | None = None  # the offset just past the last item read
        self.first_total: int | None = None
        self.last_total: int | None = None
        self._recent: OrderedDict[int, int] = OrderedDict()

    def _error(self, page: Page[Any], why: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"the listing {why}",
            status=200,
            provider=self.provider,
            request_id=page.request_id,
        )

    def check(self, asked: int, page: Page[Any]) -> None:
        if not page.items:
            return
        self.pages += 1
        self.end = asked + len(page.items)
        if page.offset != asked:
            went = "backwards " if page.offset < asked else ""
            raise self._error(
                page, f"moved {went}to offset {page.offset} when asked for offset {asked}"
            )
        if page.next_offset is not None and page.next_offset <= asked:
            raise self._error(
                page, f"gave next offset {page.next_offset}, which does not move past {asked}"
            )
        self._check_total(page)
        fingerprint = page_signature(page.items)
        seen_at = self._recent.get(fingerprint)
        if seen_at is not None:
            raise self._error(page, f"repeated the page at offset {seen_at} (at offset {asked})")
        self._recent[fingerprint] = asked
        if len(self._recent) > RECENT_PAGES:
            self._recent.popitem(last=False)
        end = asked + len(page.items)
        if self.first_total is not None:
            most = self.first_total + total_margin(self.first_total)
            if end > most:
                raise self._error(
                    page,
                    f"ran to item {end}, past the {most} its first total of "
                    f"{self.first_total} allows (the total plus 10% + 100)",
                )
        elif self.pages > self.max_pages:
            raise self._error(
                page,
                f"passed {self.max_pages} pages with no total and no end in sight "
                "(a larger page_size reads further)",
            )

    def finish(self, start: int, page: Page[Any]) -> None:
        """At the listing's end (an empty page or no next offset): a read that stopped short of
        the total the vendor gave is no complete read (it would make absent ids look removed)."""
        # an empty first page is never checked, so its own total counts here
        total = self.last_total if self.last_total is not None else page.total
        end = start if self.end is None else self.end
        if total is not None and end < total:
            raise self._error(
                page, f"ended after item {end} of the {total} its total promised (a short read)"
            )

    def _check_total(self, page: Page[Any]) -> None:
        total = page.total
        if total is None:
            return
        if total > MAX_TOTAL:
            raise self._error(page, f"gave a total of {total}, more than any listing holds")
        if self.first_total is None:
            self.first_total = total
        elif self.last_total is not None and total < self.last_total:
            raise self._error(
                page,
                f"total went backwards from {self.last_total} to {total} "
                "(it changed while being read: offset pages may have skipped items)",
            )
        else:
            most = self.first_total + total_margin(self.first_total)
            if total > most:
                raise self._error(
                    page,
                    f"total grew from {self.first_total} to {total}, past the {most} "
                    "a listing may grow to while it is read (10% + 100)",
                )
        self.last_total = total


class Pager(Generic[T]):
    """A lazy listing. Nothing is sent until it is awaited or iterated.

    ``page_size`` is sent as the vendor's limit (checked against ``max_page_size``); ``max_items``
    caps how many items iteration yields (and shrinks the last request to match).
    ``max_pages`` caps a walk over a listing that gives no total (default
    ``MAX_PAGES_WITHOUT_TOTAL``). Walking checks every page so the listing ends (module docs).
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
        max_pages: int | None = None,
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
        if max_pages is not None:
            require_count(max_pages, what="max_pages", provider=provider)
        self._fetch = fetch
        self._provider = provider
        self.page_size = page_size
        self.max_items = max_items
        self.offset = offset
        self.max_pages = max_pages

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
        """Every page in turn (the last one trimmed to ``max_items``).

        Raises ``MalformedResponseError`` on a page that would keep the listing from ending
        (a repeat, an offset or total going backwards, a total past its margin, too many pages).
        """
        guard = ListingGuard(provider=self._provider, max_pages=self.max_pages)
        offset: int | None = self.offset
        yielded = 0
        while offset is not None:
            if self.max_items is not None and yielded >= self.max_items:
                return
            page = await self._fetch(offset, self._limit_for(yielded))
            guard.check(offset, page)
            if self.max_items is not None and yielded + len(page.items) > self.max_items:
                page = attrs.evolve(page, items=page.items[: self.max_items - yielded])
            cut = self.max_items is not None and yielded + len(page.items) >= self.max_items
            yielded += len(page.items)
            yield page
            if not page.items or page.next_offset is None:
                if not cut:
                    guard.finish(self.offset, page)
                return
            offset = page.next_offset

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[T]:
        """Every item as a list (memory grows with the listing: prefer ``async for``)."""
        return [item async for item in self]
