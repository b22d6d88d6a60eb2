"""The MessageFlow adapter for ``multi``: bulk add/remove by contact id, 207 items per id.

The vendor answers an existing member (add) or a non-member (remove) with a silent no-op, so
this adapter never reports ``already``: those ids are ``done``. Ids the 207 names in its errors
are ``failed``. Built on ``Groups``' public methods only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from functools import partial

from .._http import MembershipBase, cheaper_per_id, look_up_each, read_ids
from ..errors import (
    ContactGroupsError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
)
from ..membership import BatchResult
from .contacts import Contacts
from .groups import Groups
from .listing import requests_to_read
from .models import BulkResult, ItemError
from .wire import (
    DEFAULT_CONCURRENCY,
    LIMITS,
    MAX_IDS_PER_CALL,
    MAX_PAGE_SIZE,
    PROVIDER,
    canonical_as_given,
    canonical_id,
    digits_key,
    numeric_id,
    written_as_numbers,
)

# the limits are defined in `wire`; they stay importable from here
__all__ = ["DEFAULT_CONCURRENCY", "MAX_IDS_PER_CALL", "MessageFlowMembership"]

_Call = Callable[[str, Sequence[str]], Awaitable[BulkResult[str]]]


def _key(value: str | None) -> str | None:
    """An id as the vendor echoes it, normalised (``"007"``, ``7`` and ``" 7"`` are one id)."""
    if value is None:
        return None
    return digits_key(value) or value.strip()


class MessageFlowMembership(MembershipBase):
    """``multi``'s view of MessageFlow group membership: one ``POST``/``DELETE
    /group/{groupId}/contact`` per chunk of up to 1000 contact ids (a 207 fails only the ids it
    names), members read through the listing, 1000 per page.

    ``canonical_id``: digits without leading zeros or surrounding whitespace (``"007"`` is
    ``"7"``); anything else is refused. The listing gives no total, so ``members`` first asks
    ``GET /group/{id}/count`` and raises unless the walk reads that many (an unreadable count
    proves nothing: it raises too). ``check_members`` costs at most k + 1 requests: for k <= 2
    one ``GET /contact?group={id}&id={contact}&limit=1`` per id (a 404, no results, is no
    member), else the count, then the per-id look-ups or the group read at 1000 per page,
    whichever is fewer. A look-up answering another contact (the filter not applied) raises.

    ``max_add_per_call`` / ``max_remove_per_call`` (1..1000, default 1000) size the calls;
    ``concurrency`` (default 4) is how many ``multi`` runs at once; ``contacts`` (the client's)
    enables the per-id look-ups.
    """

    def __init__(
        self,
        groups: Groups,
        *,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        concurrency: int | None = None,
        contacts: Contacts | None = None,
    ) -> None:
        self._groups = groups
        self._contacts = contacts
        super().__init__(
            LIMITS,
            max_add_per_call=max_add_per_call,
            max_remove_per_call=max_remove_per_call,
            concurrency=concurrency,
        )

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Add up to ``max_add_per_call`` contact ids in one call."""
        return await self._apply(
            self._groups.add_contacts, group_id, ids, self.max_add_per_call, "add"
        )

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Remove up to ``max_remove_per_call`` contact ids in one call."""
        return await self._apply(
            self._groups.remove_contacts, group_id, ids, self.max_remove_per_call, "remove"
        )

    def canonical_id(self, value: str) -> str:
        """The contact id as MessageFlow lists it: ``"007"`` and ``" 7 "`` are ``"7"``."""
        return canonical_id(value)

    def canonical_as_given(self, ids: Sequence[str]) -> bool:
        """True when ``canonical_id`` returns every one of ``ids`` as it is (checked at once)."""
        return canonical_as_given(ids)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        """Every member's contact id, 1000 per page, proven against the group's count."""
        count = await self._count(group_id)
        async for contact_id in self._groups.list_contact_ids(group_id, expected=count):
            yield contact_id

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Mapping[str, bool]:
        """Whether each id is a member now: one filtered contact search per id, or the count and
        the group read, whichever is fewer (at most k + 1 requests)."""
        values = list(ids)
        if not values:
            return {}
        if self._contacts is None:
            return await read_ids(self.members(group_id), values)
        look_up = partial(self._in_group, self._contacts, group_id)
        # the group read costs the count and at least two pages (the 404 that ends it)
        if cheaper_per_id(len(values), 1, 2):
            return await look_up_each(values, look_up, concurrency=self.default_concurrency)
        count = await self._count(group_id)
        if cheaper_per_id(len(values), 1, requests_to_read(count, MAX_PAGE_SIZE)):
            return await look_up_each(values, look_up, concurrency=self.default_concurrency)
        listing = self._groups.list_contact_ids(group_id, expected=count)
        return await read_ids(listing, values)

    async def _count(self, group_id: str) -> int:
        count = await self._groups.reported_count(group_id)
        if count is None:
            raise MalformedResponseError(
                "MessageFlow's member count did not read as a count: the member listing "
                "(which gives no total) cannot be proven complete",
                status=200,
                provider=PROVIDER,
            )
        return count

    @staticmethod
    async def _in_group(contacts: Contacts, group_id: str, contact_id: str) -> bool:
        page = await contacts.list(group_id=group_id, contact_id=contact_id, page_size=1)
        for contact in page.items:
            if digits_key(str(contact.id)) != contact_id:
                raise MalformedResponseError(
                    "MessageFlow answered a search for one contact id with another contact "
                    "(the id filter was not applied): membership unknown",
                    status=200,
                    provider=PROVIDER,
                    request_id=page.request_id,
                )
        return bool(page.items)

    async def _apply(
        self, call: _Call, group_id: str, ids: Sequence[str], limit: int, verb: str
    ) -> BatchResult:
        if len(ids) > limit:
            raise InvalidRequestError(
                f"{len(ids)} ids given; this adapter sends at most {limit} per {verb} call",
                provider=PROVIDER,
            )
        failed: dict[str, ContactGroupsError] = {}
        by_key: dict[str, list[str]] = {}
        if written_as_numbers(ids) and len(keys := dict.fromkeys(ids)) == len(ids):
            # each id already its own key, once (what multi sends): nothing to map per id
            sent = list(ids)
            result = await call(group_id, sent)
            if not result.errors:
                return BatchResult(done=tuple(sent))
            by_key = {key: [key] for key in keys}
        else:
            for original in ids:
                try:
                    number = numeric_id(original, what="contact id")
                except InvalidRequestError as exc:
                    failed[original] = exc
                    continue
                by_key.setdefault(str(number), []).append(original)
            if not by_key:
                return BatchResult(failed=failed)
            # canonical digit strings: written into the JSON array as they are, no int round trip
            result = await call(group_id, list(by_key))

        named: dict[str, ItemError] = {}
        unnamed: list[ItemError] = []
        for error in result.errors:
            key = _key(error.value)
            if key in by_key and error.parameter in (None, "id"):
                named.setdefault(key, error)
            else:
                unnamed.append(error)
        landed = {_key(i) for i in result.data} if unnamed else set()
        done: list[str] = []
        for key, originals in by_key.items():
            outcome: ContactGroupsError | None = None
            if key in named:
                outcome = named[key].to_exception(
                    status=result.status, request_id=result.request_id
                )
            elif unnamed and key not in landed:
                outcome = self._unknown(unnamed, result)
            for original in originals:
                if outcome is None:
                    done.append(original)
                else:
                    failed[original] = outcome
        return BatchResult(done=tuple(done), failed=failed)

    @staticmethod
    def _unknown(unnamed: list[ItemError], result: BulkResult[str]) -> OutcomeUnknownError:
        # The 207 has errors that name no id of this call, and ``data`` does not list this id:
        # it may or may not have landed; `multi` repeats the call and reads the group to settle it.
        first = unnamed[0]
        return OutcomeUnknownError(
            f"outcome unknown: MessageFlow reported {len(unnamed)} error(s) naming no id of "
            f"this call ({first.message or first.title or first.code})",
            status=result.status,
            provider=PROVIDER,
            code=first.code,
            request_id=result.request_id,
            errors=[dict(e.meta, title=e.title, message=e.message, code=e.code) for e in unnamed],
        )
