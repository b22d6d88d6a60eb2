"""The MessageBird adapter for ``multi``: up to 50 ids per add, one id per remove."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Sequence

from .._http import GroupsSeen, MembershipBase, id_list, require_count
from ..errors import ContactGroupsError, NotFoundError, ValidationError
from ..membership import BatchResult
from .resources import Groups
from .wire import (
    DEFAULT_PAGE_SIZE,
    LIMITS,
    PROVIDER,
)

__all__ = ["MessageBirdMembership"]


class MessageBirdMembership(MembershipBase):
    """MessageBird membership as ``multi`` sees it, built on ``client.groups``.

    ``add`` sends one ``PUT /groups/{id}/contacts`` (204: every id done). If MessageBird rejects a
    batch with 422 (an unknown id), the ids are added one by one so only the bad ones fail.
    ``remove`` is one ``DELETE`` per id (MessageBird has no bulk remove); a 404 (not a member)
    counts as ``already``. MessageBird answers 404 with code 20 for an unknown group too, so the
    group is looked up once before a 404 reads as ``already``.

    ``max_add_per_call`` may lower the 50 ids per add; ``max_remove_per_call`` can only be 1;
    ``concurrency`` defaults to 16; ``members_page_size`` is the page size ``members`` reads.
    """

    def __init__(
        self,
        groups: Groups,
        *,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        concurrency: int | None = None,
        members_page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self._groups = _groups_of(groups)
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

    async def members(self, group_id: str) -> AsyncIterator[str]:
        """The contact ids in a group, page by page."""
        pager = self._groups.list_contacts(group_id, page_size=self._members_page_size)
        async for contact in pager:
            yield contact.id


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
