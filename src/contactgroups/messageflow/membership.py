"""The MessageFlow adapter for ``multi``: bulk add/remove by contact id, 207 items per id.

The vendor answers an existing member (add) or a non-member (remove) with a silent no-op, so
this adapter never reports ``already``: those ids are ``done``. Ids the 207 names in its errors
are ``failed``. Built on ``Groups``' public methods only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from .._http import MembershipBase
from ..errors import ContactGroupsError, InvalidRequestError, OutcomeUnknownError
from ..membership import BatchResult
from .groups import Groups
from .models import BulkResult, ItemError
from .wire import DEFAULT_CONCURRENCY, LIMITS, MAX_IDS_PER_CALL, PROVIDER, numeric_id

# the limits are defined in `wire`; they stay importable from here
__all__ = ["DEFAULT_CONCURRENCY", "MAX_IDS_PER_CALL", "MessageFlowMembership"]

_Call = Callable[[str, Sequence[str]], Awaitable[BulkResult[str]]]


def _key(value: str | None) -> str | None:
    """An id as the vendor echoes it, normalised (``"007"``, ``7`` and ``" 7"`` are one id)."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return text.lstrip("0") or "0"  # str(int(text)) without a limit on the digits
    return text


class MessageFlowMembership(MembershipBase):
    """``multi``'s view of MessageFlow group membership: one ``POST``/``DELETE
    /group/{groupId}/contact`` per chunk of up to 1000 contact ids (a 207 fails only the ids it
    names), members read through the listing, 1000 per page.

    ``max_add_per_call`` / ``max_remove_per_call`` (1..1000, default 1000) size the calls;
    ``concurrency`` (default 4) is how many ``multi`` runs at once.
    """

    def __init__(
        self,
        groups: Groups,
        *,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        concurrency: int | None = None,
    ) -> None:
        self._groups = groups
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

    async def members(self, group_id: str) -> AsyncIterator[str]:
        """Every member's contact id, 1000 per page."""
        async for contact_id in self._groups.list_contact_ids(group_id):
            yield contact_id

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
        landed = {_key(i) for i in result.data}
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
