"""The public contract between a provider and ``multi``: what a membership adapter is and does.

Every provider client offers ``client.membership``, a ``MembershipAdapter``; you may write your
own for another vendor and hand its client to ``multi.Target`` the same way. ``multi`` knows no
vendor, only these rules:

**Limits.** ``multi`` sends at most ``max_add_per_call`` ids to one ``add`` and at most
``max_remove_per_call`` to one ``remove``, and runs at most ``default_concurrency`` calls of one
adapter at once (unless the job's ``concurrency=`` says otherwise). An adapter with
``adaptive`` (optional: ``AdaptiveConcurrency``, which every provider's adapter has) lets its
account's governor decide instead: ``multi`` then runs up to the job's ``max_concurrency`` calls,
and the governor lets as many through as the vendor takes, starting at ``default_concurrency``.
A client (one vendor account) is scheduled on its own, known by its adapter:
``client.membership`` returns the same object every time. The report sums per ``provider``.

**Ids.** Ids are strings, compared exactly after canonicalisation. ``multi`` refuses (``failed``
with ``InvalidRequestError``, never sent) an id that is not a string or an integer, or is empty;
it then asks the adapter's ``canonical_id`` (optional: ``CanonicalIds``; a bulk list is checked
at once with ``canonical_as_given``, optional too: ``CanonicalIdsAtOnce``) for the form the vendor
stores and lists (MessageFlow ``"007"`` is ``"7"``), de-duplicates on that form and passes each
canonical id once. An adapter reports every id in the exact string it was given, and
``members()`` yields ids in canonical form, so a read-back can find them.

**One answer per id.** ``add``/``remove`` return a ``BatchResult`` in which every id passed in
appears in exactly one of:

- ``done``: the vendor applied the change;
- ``already``: nothing to do (already a member on add, not a member on remove);
- ``failed``: the vendor refused this id (a per-item error, such as MessageFlow's 207), with the
  error from ``contactgroups.errors``.

An id missing from all three is reported failed ("did not report on this id").

**Whole-call failures raise.** A failure of the whole call (auth, 5xx after retries, transport)
raises a ``ContactGroupsError``; ``multi`` marks every id of the call failed with it. If the
error's ``maybe_landed`` is True, ``multi`` settles those ids by reading the group before it
calls them failed, so set it (or raise ``OutcomeUnknownError``) whenever the call may have been
applied.

**Client-side refusals split.** An ``InvalidRequestError`` means nothing was sent. ``multi`` then
splits the chunk in half and calls again, down to single ids, so one bad id fails alone while the
rest of its chunk still lands; a single refused id is ``failed`` with that error.

**Repeats are safe.** ``add`` and ``remove`` must be idempotent: ``multi`` repeats ids that
failed for a reason worth repeating (429, 5xx, transport, unknown outcome) in a later round,
after the longest ``retry_after`` their errors carry; an id whose vendor asked to wait longer than
``multi.ROUND_WAIT_MAX`` is not repeated (its error keeps ``retry_after`` for the caller).

**Reading back.** ``multi`` settles unclear ids with ``check_members`` where the adapter has it
(optional: ``ChecksMembers``; per-id look-ups or the group read at the vendor's largest page,
whichever costs fewer requests), else by reading ``members()``. Either raises a
``ContactGroupsError`` when it cannot prove its answer complete (a listing that ended early
proves nothing); ``multi`` then leaves those ids failed with ``OutcomeUnknownError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

import attrs

from .errors import ContactGroupsError

__all__ = [
    "AdaptiveConcurrency",
    "BatchResult",
    "CanonicalIds",
    "CanonicalIdsAtOnce",
    "ChecksMembers",
    "HasMembership",
    "MembershipAdapter",
]


@attrs.frozen
class BatchResult:
    """What one add/remove call did, per id (every id in exactly one field)."""

    done: tuple[str, ...] = ()
    already: tuple[str, ...] = ()
    failed: Mapping[str, ContactGroupsError] = attrs.field(factory=dict)

    @classmethod
    def all_done(cls, ids: Sequence[str]) -> BatchResult:
        return cls(done=tuple(ids))

    @classmethod
    def all_already(cls, ids: Sequence[str]) -> BatchResult:
        return cls(already=tuple(ids))


@runtime_checkable
class MembershipAdapter(Protocol):
    """One vendor account's membership calls, as ``multi`` uses them (rules: module docstring)."""

    @property
    def provider(self) -> str:
        """The vendor's name (``"messagebird"``): the report sums outcomes under it."""
        ...

    @property
    def max_add_per_call(self) -> int:
        """The most ids one ``add`` takes."""
        ...

    @property
    def max_remove_per_call(self) -> int:
        """The most ids one ``remove`` takes."""
        ...

    @property
    def default_concurrency(self) -> int:
        """Calls ``multi`` runs at once for this account unless the job says otherwise."""
        ...

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Add 1..``max_add_per_call`` distinct ids to the group."""
        ...

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Remove 1..``max_remove_per_call`` distinct ids from the group."""
        ...

    def members(self, group_id: str) -> AsyncIterator[str]:
        """Every id in the group, in the form ``add`` takes."""
        ...


@runtime_checkable
class CanonicalIds(Protocol):
    """Optional for an adapter: the vendor's own form of an id."""

    def canonical_id(self, value: str) -> str:
        """``value`` (a non-empty string) as the vendor stores and lists it; raises
        ``InvalidRequestError`` for an id the vendor can never take (it is then never sent)."""
        ...


@runtime_checkable
class CanonicalIdsAtOnce(Protocol):
    """Optional for an adapter with ``canonical_id``: a bulk list of ids checked at once."""

    def canonical_as_given(self, ids: Sequence[str]) -> bool:
        """True when every one of ``ids`` (strings) is a non-empty ASCII string without
        whitespace that ``canonical_id`` gives back as it is, checked in one pass over the list
        (``multi`` then takes them as they are, checking nothing more); False when any might
        differ, be refused or be none of that (each is then checked on its own): it may be
        stricter than ``canonical_id``, never looser."""
        ...


@runtime_checkable
class ChecksMembers(Protocol):
    """Optional for an adapter: a cheap answer to "are these ids members now?"."""

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Mapping[str, bool]:
        """For every one of ``ids`` (canonical, distinct), whether it is a member of the group
        now. Costs at most ``len(ids) + 2`` requests, or the group read at the vendor's largest
        page size if that is fewer. Raises ``ContactGroupsError`` unless sure of every id."""
        ...


@runtime_checkable
class AdaptiveConcurrency(Protocol):
    """Optional for an adapter: its account's governor decides how many calls are in flight."""

    def adaptive(self, start: int) -> AbstractContextManager[int | None]:
        """Within the block, the requests of this task and of the tasks it starts wait for a slot
        of the account's governor, which starts at ``start`` unless it has learnt better. Gives
        the governor's ceiling (the most calls worth starting), or None if there is no governor
        (``multi`` then runs ``default_concurrency`` calls)."""
        ...


@runtime_checkable
class HasMembership(Protocol):
    """A provider client: ``client.membership`` is its adapter."""

    @property
    def membership(self) -> MembershipAdapter: ...
