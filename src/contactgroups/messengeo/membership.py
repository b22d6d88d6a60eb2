"""The ``multi`` adapter for Messengeo: ``contactadd``/``contactremove`` in chunks of contact ids.

The vendor answers only ``{"count": n}``, the number of memberships that really changed, and an
unknown list or contact id is not an error (it just is not counted). When the count equals the
ids sent, every id is ``done``. When it is smaller, the adapter reads those contacts back
(``GET /contacts?id=...&properties=id,listIds``): an id now in (add) or out of (remove) the list
is ``done``; an id that is no contact, or that the list did not take, is ``failed``. So a typo in
a list id or a contact id never reads as success.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING

from .._http import MembershipBase, cheaper_per_id, chunked, group_read_pages
from ..errors import (
    ContactGroupsError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    ValidationError,
)
from ..membership import BatchResult
from . import wire
from .contacts import Contacts
from .lists import Lists
from .wire import (
    LIMITS,
    LOOKUP_SIZE,
    MEMBERS_PAGE_SIZE,
    PROVIDER,
    canonical_as_given,
    canonical_id,
    log,
)

__all__ = ["MessengeoMembership"]

# old names of this module's constants: still importable, with a DeprecationWarning
_RENAMED = {"DEFAULT_CHUNK_SIZE": "DEFAULT_IDS_PER_CALL", "MAX_CHUNK_SIZE": "MAX_IDS_IN_BODY"}

if TYPE_CHECKING:  # the deprecated names, typed; a misspelt name still fails type checks
    DEFAULT_CHUNK_SIZE: int
    MAX_CHUNK_SIZE: int


def __getattr__(name: str) -> object:
    if name in _RENAMED:
        new = _RENAMED[name]
        warnings.warn(
            f"{__name__}.{name} is deprecated; use contactgroups.messengeo.{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(wire, new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MessengeoMembership(MembershipBase):
    """``MembershipAdapter`` over ``client.lists``: group ids are list ids, ids are contact ids.

    Messengeo adds and removes many contact ids per call but only counts what changed, so a
    short count is settled by reading those contacts' ``listIds`` back. Up to 1000 ids per call
    (``MAX_IDS_IN_BODY``; 500 by default), 4 calls at once by default (no rate limit is
    documented).

    ``canonical_id``: the id with surrounding whitespace dropped (ids with a comma refused).
    Reads ask ``total=1``; a page without a total cannot be proven complete, so ``members`` and
    ``check_members`` raise on one. ``check_members`` reads the contacts themselves
    (``GET /contacts?id=a,b,...&properties=id,listIds``, 200 ids a request; an id not in the
    answer is no contact, so no member) or, for more ids than one such read takes, first one
    page of the list's members at 1000 and then whichever of the rest is fewer: at most
    min(ceil(k / 200), pages) + 1 requests.
    """

    def __init__(
        self,
        lists: Lists,
        contacts: Contacts,
        *,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        concurrency: int | None = None,
    ) -> None:
        self._lists = lists
        self._contacts = contacts
        super().__init__(
            LIMITS,
            max_add_per_call=max_add_per_call,
            max_remove_per_call=max_remove_per_call,
            concurrency=concurrency,
        )

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Add up to ``max_add_per_call`` contacts (``action=contactadd``)."""
        self._check_batch(ids, self.max_add_per_call)
        count = await self._lists.add_contacts(group_id, ids)
        return await self._settle(group_id, ids, count, adding=True)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Remove up to ``max_remove_per_call`` contacts (``action=contactremove``)."""
        self._check_batch(ids, self.max_remove_per_call)
        count = await self._lists.remove_contacts(group_id, ids)
        return await self._settle(group_id, ids, count, adding=False)

    async def _settle(
        self, list_id: str, ids: Sequence[str], count: int, *, adding: bool
    ) -> BatchResult:
        if count >= len(ids):
            return BatchResult.all_done(ids)
        log.debug("%d of %d ids changed list %s: reading them back", count, len(ids), list_id)
        lists_of = await self._lists_of(ids, proven=False)
        done: list[str] = []
        failed: dict[str, ContactGroupsError] = {}
        for contact_id in ids:
            if contact_id not in lists_of:
                failed[contact_id] = NotFoundError(
                    f"contact {contact_id} does not exist", status=404, provider=PROVIDER
                )
            elif (list_id in lists_of[contact_id]) == adding:
                done.append(contact_id)
            else:
                verb = "take" if adding else "release"
                failed[contact_id] = ValidationError(
                    f"list {list_id} did not {verb} contact {contact_id} (does the list exist?)",
                    status=200,
                    provider=PROVIDER,
                )
        return BatchResult(done=tuple(done), failed=failed)

    async def _lists_of(self, ids: Sequence[str], *, proven: bool) -> dict[str, tuple[str, ...]]:
        """Each existing contact's ``listIds`` (``GET /contacts?id=...``, 200 ids a request);
        ``proven``: a page without a total or a contact without ``listIds`` raises."""
        lists_of: dict[str, tuple[str, ...]] = {}
        for chunk in chunked(list(ids), LOOKUP_SIZE):
            pager = self._contacts.list(
                ids=chunk, properties=("id", "listIds"), page_size=LOOKUP_SIZE
            )
            async for page in pager.pages():
                _require_total(page.total, page.request_id, proven=proven)
                for contact in page.items:
                    if proven and (contact.list_ids is None or contact.id not in chunk):
                        raise _unproven(f"contact {contact.id} came without its lists or unasked")
                    lists_of[contact.id] = tuple(contact.list_ids or ())
        return lists_of

    def canonical_id(self, value: str) -> str:
        """The contact id as Messengeo lists it: surrounding whitespace dropped."""
        return canonical_id(value)

    def canonical_as_given(self, ids: Sequence[str]) -> bool:
        """True when ``canonical_id`` returns every one of ``ids`` as it is (checked at once)."""
        return canonical_as_given(ids)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        """The contact ids in the list, page by page (each page's total proves the read)."""
        async for ids, _ in self._member_pages(group_id):
            for contact_id in ids:
                yield contact_id

    async def _member_pages(self, group_id: str) -> AsyncGenerator[tuple[list[str], int], None]:
        pager = self._lists.list_contacts(group_id, properties=("id",), page_size=MEMBERS_PAGE_SIZE)
        async for page in pager.pages():
            total = _require_total(page.total, page.request_id, proven=True)
            yield [canonical_id(contact.id) for contact in page.items], total

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Mapping[str, bool]:
        """Whether each id is in the list now: the contacts' own ``listIds`` or the list's
        members, whichever costs fewer requests."""
        values = list(ids)
        if not values:
            return {}
        reads = group_read_pages(len(values), LOOKUP_SIZE)
        if reads > 1:
            pages = self._member_pages(group_id)
            try:
                listed, total = await pages.__anext__()
                rest = group_read_pages(total, MEMBERS_PAGE_SIZE) - 1
                if not cheaper_per_id(reads, 1, rest):
                    wanted, found = set(values), set(listed)
                    async for more, _ in pages:
                        found.update(i for i in more if i in wanted)
                    return {contact_id: contact_id in found for contact_id in values}
            finally:
                await pages.aclose()
        lists_of = await self._lists_of(values, proven=True)
        return {i: group_id in lists_of.get(i, ()) for i in values}

    def _check_batch(self, ids: Sequence[str], limit: int) -> None:
        if len(ids) > limit:
            raise InvalidRequestError(
                f"{len(ids)} ids given; this adapter sends at most {limit} per call",
                provider=PROVIDER,
            )


def _unproven(why: str, request_id: str | None = None) -> MalformedResponseError:
    return MalformedResponseError(
        f"Messengeo's read cannot be proven complete: {why}",
        status=200,
        provider=PROVIDER,
        request_id=request_id,
    )


def _require_total(total: int | None, request_id: str | None, *, proven: bool) -> int:
    if total is None:
        if proven:
            raise _unproven("a page came without the total asked for", request_id)
        return 0
    return total
