"""The MessageBird adapter for ``multi``: up to 50 ids per add, one id per remove."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from .._http import GroupsSeen, id_list, require_count
from ..errors import ContactGroupsError, NotFoundError, ValidationError
from ..membership import BatchResult

if TYPE_CHECKING:
    from .client import Client

__all__ = ["MessageBirdMembership"]

PROVIDER = "messagebird"
_MAX_ADD = 50


class MessageBirdMembership:
    """Membership calls as ``multi`` sees them.

    ``add`` sends one ``PUT /groups/{id}/contacts`` (204: every id done). If MessageBird rejects a
    batch with 422 (an unknown id), the ids are added one by one so only the bad ones fail.
    ``remove`` is one ``DELETE`` per id; a 404 (not a member) counts as ``already``. MessageBird
    answers 404 with code 20 for an unknown group too, so a missing group also reads as
    ``already`` on remove.
    """

    def __init__(
        self,
        client: Client,
        *,
        max_add_per_call: int | None = None,
        concurrency: int | None = None,
        members_page_size: int = 20,
    ) -> None:
        self._client = client
        self._groups_seen = GroupsSeen(client.groups.get)
        self._max_add = require_count(
            max_add_per_call,
            what="max_add_per_call",
            maximum=_MAX_ADD,
            default=_MAX_ADD,
            provider=PROVIDER,
        )
        # one id per remove, no documented rate limit; 429s honoured
        self._concurrency = require_count(
            concurrency, what="concurrency", default=16, provider=PROVIDER
        )
        self._members_page_size = require_count(
            members_page_size, what="members_page_size", provider=PROVIDER
        )

    @property
    def provider(self) -> str:
        return PROVIDER

    @property
    def max_add_per_call(self) -> int:
        return self._max_add

    @property
    def max_remove_per_call(self) -> int:
        return 1

    @property
    def default_concurrency(self) -> int:
        return self._concurrency

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Add ``ids`` (1..max_add_per_call) in one call, falling back to one call per id on 422."""
        values = id_list(ids, max_items=self._max_add, provider=PROVIDER)
        groups = self._client.groups
        try:
            await groups.add_contacts(group_id, values)
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
                await self._client.groups.add_contacts(group_id, [contact_id])
            except ContactGroupsError as exc:
                failed[contact_id] = exc
            else:
                done.append(contact_id)
        return BatchResult(done=tuple(done), failed=failed)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Remove one id (MessageBird has no bulk remove); 404 means it was not a member."""
        (contact_id,) = id_list(ids, max_items=1, provider=PROVIDER)
        try:
            await self._client.groups.remove_contact(group_id, contact_id)
        except NotFoundError:
            # the same 404 (code 20) for "not a member" and "no such group": tell them apart
            await self._groups_seen.confirm(group_id)
            return BatchResult.all_already([contact_id])
        return BatchResult.all_done([contact_id])

    async def members(self, group_id: str) -> AsyncIterator[str]:
        """The contact ids in a group, page by page."""
        pager = self._client.groups.list_contacts(group_id, page_size=self._members_page_size)
        async for contact in pager:
            yield contact.id
