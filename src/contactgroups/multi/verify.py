"""Settling ids whose call ended without a clear answer: ask the vendor, and believe only a
complete answer.

An adapter with ``check_members`` answers for the ids it is given (per-id look-ups or the group
read, whichever costs fewer requests); any other adapter's group is read whole through
``members()``. "Not seen" and "seen" count only when that answer came back complete; if it did
not, the ids stay failed with an ``OutcomeUnknownError`` that says why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ..errors import APIError, ContactGroupsError, OutcomeUnknownError, UnexpectedError
from ..membership import ChecksMembers, MembershipAdapter
from .ledger import Action, LedgerBase, Outcome, done_outcome

__all__ = ["verify"]

logger = logging.getLogger("contactgroups.multi")


async def verify(ledger: LedgerBase, index: int, action: Action) -> None:
    """Settle target ``index``'s failed ids whose call may have landed: those now in the wanted
    state are done; those provably not stay failed with their errors, no longer "may have
    landed" (not read back again); the rest get an ``OutcomeUnknownError``. A slice of the
    ledger's at a time (bounded memory)."""
    async for unsure in ledger.unsure(index):
        await _settle(ledger, index, action, dict(unsure))
    await ledger.flush()


async def _settle(
    ledger: LedgerBase, index: int, action: Action, errors: Mapping[str, ContactGroupsError]
) -> None:
    ids = list(errors)
    adapter: MembershipAdapter = ledger.targets[index].adapter  # type: ignore[attr-defined]
    try:
        present = await _members_among(adapter, ledger.targets[index].group_id, ids)
    except ContactGroupsError as error:
        _unknown(ledger, index, ids, errors, error)
        return
    except Exception as error:  # a bug in a read-back must not sink the job
        logger.error("bug: reading back %s raised", adapter.provider, exc_info=error)
        _unknown(ledger, index, ids, errors, UnexpectedError(error, provider=adapter.provider))
        return
    wanted = action == "add"
    settled = [i for i in ids if i in present and present[i] == wanted]
    unanswered = [i for i in ids if i not in present]
    if settled:
        ledger.set(index, settled, done_outcome(action))
    for original, group in _by_error([i for i in ids if present.get(i) is (not wanted)], errors):
        # proven not landed: failed for the reason it had, and not read back again
        ledger.set(index, group, Outcome.FAILED, _not_landed(original))
    if unanswered:
        reason = ContactGroupsError(f"{adapter.provider} did not answer for these ids")
        _unknown(ledger, index, unanswered, errors, reason)


async def _members_among(
    adapter: MembershipAdapter, group_id: str, ids: Sequence[str]
) -> Mapping[str, bool]:
    if isinstance(adapter, ChecksMembers):
        answer = await adapter.check_members(group_id, ids)
        # only a bool answers: "false" or None is no answer (that id's outcome stays unknown)
        return {i: answer[i] for i in ids if i in answer and isinstance(answer[i], bool)}
    wanted = set(ids)
    present: set[str] = set()
    async for member in adapter.members(group_id):
        if not isinstance(member, str):  # 7 is not id "7": such a listing proves nothing
            raise TypeError(f"{adapter.provider} listed a {type(member).__name__} as a member")
        if member in wanted:
            present.add(member)
    return {i: i in present for i in ids}


def _unknown(
    ledger: LedgerBase,
    index: int,
    ids: Sequence[str],
    errors: Mapping[str, ContactGroupsError],
    why: ContactGroupsError,
) -> None:
    """The ids stay failed, now with an error that says their outcome is unknown, and why."""
    provider = ledger.targets[index].provider
    for original, group in _by_error(ids, errors):
        if isinstance(original, OutcomeUnknownError):
            continue  # it already says so
        status = original.status if isinstance(original, APIError) else 0
        error = OutcomeUnknownError(
            f"outcome unknown: the call failed ({original}) and reading it back failed too ({why})"[
                :1000
            ],
            status=status,
            provider=provider,
        )
        error.__cause__ = original  # kept, as it was (an UnexpectedError keeps its exception)
        ledger.set(index, group, Outcome.FAILED, error)


def _by_error(
    ids: Sequence[str], errors: Mapping[str, ContactGroupsError]
) -> list[tuple[ContactGroupsError, list[str]]]:
    by_error: dict[ContactGroupsError, list[str]] = {}
    for contact_id in ids:
        by_error.setdefault(errors[contact_id], []).append(contact_id)
    return list(by_error.items())


def _not_landed(error: ContactGroupsError) -> ContactGroupsError:
    """``error`` as it was, saying the call did not land (``maybe_landed`` False)."""
    if not error.maybe_landed:
        return error
    proven = type(error).__new__(type(error))
    proven.args = error.args
    proven.__dict__.update(error.__dict__)
    proven.maybe_landed = False
    proven.__cause__ = error.__cause__
    return proven
