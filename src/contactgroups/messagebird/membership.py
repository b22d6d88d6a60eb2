"""The MessageBird adapter for ``multi``: up to 50 ids per add, one id per remove."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial

from .._http import (
    GroupsSeen,
    MembershipBase,
    cheaper_per_id,
    group_read_pages,
    id_list,
    look_up_each,
    read_ids,
    require_count,
)
from ..errors import ContactGroupsError, NotFoundError, ValidationError
from ..membership import BatchResult
from .resources import Contacts, Groups
from .wire import (
    DEFAULT_PAGE_SIZE,
    LIMITS,
    PROVIDER,
    canonical_as_given,
    canonical_id,
)

__all__ = ["MessageBirdMembership"]


class MessageBirdMembership(MembershipBase):
    """MessageBird membership as ``multi`` sees it, built on ``client.groups``.

    ``add`` sends one ``PUT /groups/{id}/contacts`` (204: every id done). If MessageBird rejects a
    batch with 422 (an unknown id), the ids are added one by one so only the bad ones fail.
    ``remove`` is one ``DELETE`` per id (MessageBird has no bulk remove); a 404 (not a member)
    counts as ``already``. MessageBird answers 404 with code 20 for an unknown group too, so the
    group is looked up once before a 404 reads as ``already``.

    ``canonical_id``: the id with surrounding whitespace dropped (ids keep their case: nothing
    says MessageBird reads them case-insensitively). ``check_members`` asks the group's
    ``contacts.totalCount`` (one ``GET /groups/{id}``), then either reads each contact's groups
    (``GET /contacts/{id}/groups``, one request per id while a contact is in at most
    ``members_page_size`` groups; a 404 is no contact, so no member) or the group's listing, as
    ``members`` does, whichever costs fewer requests: at most k + 1, or the listing's pages + 1.
    Both listings carry ``totalCount``, so the pager proves each complete (a read that ends
    early raises); the vendor documents no maximum page size, so that cap is the caller's.

    ``max_add_per_call`` may lower the 50 ids per add; ``max_remove_per_call`` can only be 1;
    ``concurrency`` defaults to 16; ``members_page_size`` is the page size ``members`` and
    ``check_members`` read (raise it where the account takes larger pages); ``contacts`` (the
    client's ``contacts``) enables the per-contact look-ups.
    """

    def __init__(
        self,
        groups: Groups,
        *,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        concurrency: int | None = None,
        members_page_size: int = DEFAULT_PAGE_SIZE,
        contacts: Contacts | None = None,
    ) -> None:
        self._groups = _groups_of(groups)
        self._contacts = contacts
        self._groups_seen = GroupsSeen(self._groups.get)
        super().__init__(
            LIMITS,
            max_add_per_call=max_add_per_call,
            max_remove_per_call=max_remove_per_call,
            concurrency=concurrency,
        )
        self._members_page_size = require_count(
            members_page_size, what="members_page_size", provider=PROVIDER
        )

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Add ``ids`` (1..max_add_per_call) in one call, falling back to one call per id on 422."""
        values = id_list(ids, max_items=self.max_add_per_call, provider=PROVIDER)
        try:
            await self._groups.add_contacts(group_id, values)
        except ValidationError as exc:
            if len(values) == 1:
                return BatchResult(failed={values[0]: exc})
            return await self._add_one_by_one(group_id, values)
        return BatchResult.all_done(values)

    async def _add_one_by_one(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        done: list[str] = []
        failed: dict[str, ContactGroupsError] = {}
        for contact_id in ids:
            try:
                await self._groups.add_contacts(group_id, [contact_id])
            except ContactGroupsError as exc:
                failed[contact_id] = exc
            else:
                done.append(contact_id)
        return BatchResult(done=tuple(done), failed=failed)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Remove one id; a 404 means it was not a member (once the group is known to exist)."""
        (contact_id,) = id_list(ids, max_items=self.max_remove_per_call, provider=PROVIDER)
        try:
            await self._groups.remove_contact(group_id, contact_id)
        except NotFoundError:
            # the same 404 (code 20) for "not a member" and "no such group": tell them apart
            await self._groups_seen.confirm(group_id)
            return BatchResult.all_already([contact_id])
        return BatchResult.all_done([contact_id])

    def canonical_id(self, value: str) -> str:
        """The contact id as MessageBird lists it: surrounding whitespace dropped."""
        return canonical_id(value)

    def canonical_as_given(self, ids: Sequence[str]) -> bool:
        """True when ``canonical_id`` returns every one of ``ids`` as it is (checked at once)."""
        return canonical_as_given(ids)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        """The contact ids in a group, page by page (``totalCount`` proves the read complete)."""
        pager = self._groups.list_contacts(group_id, page_size=self._members_page_size)
        async for contact in pager:
            yield canonical_id(contact.id)

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Mapping[str, bool]:
        """Whether each id is a member now: the group's size (one request), then one
        ``GET /contacts/{id}/groups`` per id or the group's listing, whichever is fewer."""
        values = list(ids)
        if not values:
            return {}
        group = await self._groups.get(group_id)
        size = group.contacts.total_count if group.contacts is not None else None
        pages = group_read_pages(size or 0, self._members_page_size)
        if self._contacts is not None and (size is None or cheaper_per_id(len(values), 1, pages)):
            look_up = partial(self._in_group, self._contacts, group.id)
            return await look_up_each(values, look_up, concurrency=self.default_concurrency)
        return await read_ids(self.members(group_id), values)

    async def _in_group(self, contacts: Contacts, group_id: str, contact_id: str) -> bool:
        pager = contacts.list_groups(contact_id, page_size=self._members_page_size)
        try:
            async for group in pager:
                if group.id == group_id:
                    return True
        except NotFoundError:
            return False  # no such contact: no member of any group
        return False


def _groups_of(given: object) -> Groups:
    """``given`` if it is the groups resource; a client (the old first argument) still works,
    with a ``DeprecationWarning``."""
    if isinstance(given, Groups):
        return given
    groups = getattr(given, "groups", None)
    if isinstance(groups, Groups):
        warnings.warn(
            "MessageBirdMembership(client) is deprecated; pass client.groups",
            DeprecationWarning,
            stacklevel=3,
        )
        return groups
    raise TypeError(f"MessageBirdMembership needs a messagebird Groups, not {type(given).__name__}")
