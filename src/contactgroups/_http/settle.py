"""Settling unclear ids (``check_members``): the rules every adapter follows, written once.

An adapter answers "is each of these k ids a member now?" with whichever costs fewer requests:
one look-up per id (``look_up_each``: at most the adapter's concurrency at once) or the group
read at the vendor's largest page size (``group_read_pages`` pages, ``read_ids`` collects it).
``cheaper_per_id`` is the one comparison. A listing read whole, with no paging to check, is
proven against the vendor's own count with ``check_whole`` (the pager's short-read rule).
Nothing here guesses: any error of a look-up or of the read raises, and the answer is given only
when every id is settled.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Collection, Sequence

import anyio

from .pager import ListingGuard, Page

__all__ = ["cheaper_per_id", "check_whole", "group_read_pages", "look_up_each", "read_ids"]


def group_read_pages(members: int, page_size: int) -> int:
    """Requests a read of ``members`` items costs at ``page_size`` per page (at least one)."""
    return max(1, -(-max(0, members) // page_size))


def cheaper_per_id(ids: int, per_id: int, group_read: int) -> bool:
    """True when ``ids`` look-ups of ``per_id`` requests each cost no more than the group read
    of ``group_read`` requests (a tie goes to the look-ups: their answers are small)."""
    return ids * per_id <= group_read


async def look_up_each(
    ids: Sequence[str], look_up: Callable[[str], Awaitable[bool]], *, concurrency: int
) -> dict[str, bool]:
    """``look_up(id)`` for every id, at most ``concurrency`` at once; the first error raises
    (the other look-ups are cancelled), so an answer always covers every id."""
    found: dict[str, bool] = {}
    failure: list[Exception] = []
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(contact_id: str, scope: anyio.CancelScope) -> None:
        try:
            async with limiter:
                found[contact_id] = bool(await look_up(contact_id))
        except Exception as exc:
            if not failure:
                failure.append(exc)
            scope.cancel()

    async with anyio.create_task_group() as group:
        for contact_id in ids:
            group.start_soon(one, contact_id, group.cancel_scope)
    if failure:
        raise failure[0]
    return {contact_id: found[contact_id] for contact_id in ids}


async def read_ids(listing: AsyncIterable[str], ids: Collection[str]) -> dict[str, bool]:
    """Every id of ``listing`` (a group read, which raises unless complete) checked against
    ``ids``: True for those listed."""
    wanted = set(ids)
    listed: set[str] = set()
    async for contact_id in listing:
        if contact_id in wanted:
            listed.add(contact_id)
    return {contact_id: contact_id in listed for contact_id in ids}


def check_whole(
    items: Sequence[object], total: int, *, provider: str, request_id: str | None = None
) -> None:
    """A listing the vendor answers whole (no paging), proven against its own ``total``: fewer
    items is a short read and more than the total's margin a runaway, both
    ``MalformedResponseError`` (the pager's rules, applied to one page)."""
    page: Page[object] = Page(items=items, offset=0, total=total, request_id=request_id)
    guard = ListingGuard(provider=provider)
    guard.check(0, page)
    guard.finish(0, page)
