"""One membership call and what its answer means for each id: the rules ``BulkJob`` and a
PostgreSQL worker share (``job`` and ``pgwork`` both send their chunks through here).

``call`` never raises for what the vendor or the adapter did: a ``ContactGroupsError`` comes back
as the answer, and anything else (a bug, here or in the adapter) is logged and comes back as an
``UnexpectedError`` for that call's ids only. Only cancellation propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from ..errors import ContactGroupsError, InvalidRequestError, UnexpectedError
from ..membership import BatchResult, MembershipAdapter
from .ledger import Action, Outcome, done_outcome

__all__ = ["Settled", "call", "halves", "settle"]

logger = logging.getLogger("contactgroups.multi")

#: Ids that share one outcome (and, for ``FAILED``, one error).
Settled = tuple[Sequence[str], Outcome, ContactGroupsError | None]


async def call(
    adapter: MembershipAdapter, action: Action, group_id: str, chunk: Sequence[str]
) -> BatchResult | ContactGroupsError:
    """The adapter's ``add`` or ``remove`` of ``chunk``: its result, or the error it ended with
    (traceback dropped: a report keeps errors for as long as it lives, not their frames)."""
    try:
        method = adapter.add if action == "add" else adapter.remove
        result = await method(group_id, chunk)
        if not _as_sent(result, chunk):
            _check_shape(result)
    except ContactGroupsError as error:
        error.__traceback__ = None
        return error
    except Exception as exception:  # a bug, here or in the adapter: this call's ids only
        logger.error(
            "bug: a %s %s call raised %s; its %d ids are failed, the job goes on",
            adapter.provider,
            action,
            type(exception).__name__,
            len(chunk),
            exc_info=exception,
        )
        exception.__traceback__ = None
        return UnexpectedError(exception, provider=adapter.provider)
    return result


def halves(
    answer: BatchResult | ContactGroupsError, chunk: Sequence[str]
) -> tuple[Sequence[str], Sequence[str]] | None:
    """The two halves to call again when the adapter refused the chunk before sending it
    (``InvalidRequestError``): one bad id then fails alone while the rest still lands."""
    if isinstance(answer, InvalidRequestError) and len(chunk) > 1:
        middle = len(chunk) // 2
        return chunk[:middle], chunk[middle:]
    return None


def settle(
    provider: str, action: Action, chunk: Sequence[str], answer: BatchResult | ContactGroupsError
) -> list[Settled]:
    """Each id of the chunk once: done, already, or failed (with the call's error, the vendor's
    per-id error, or "did not report" for an id the result leaves out); ids not in the chunk are
    ignored; one entry per distinct error."""
    if isinstance(answer, ContactGroupsError):
        return [(chunk, Outcome.FAILED, answer)]
    done, already = answer.done, answer.already
    if not answer.failed:
        # the common answer: the chunk as sent, all done or all already (one ledger write; done
        # comes first, as below, so an id also listed as already is done)
        ids, outcome = (done, done_outcome(action)) if done else (already, Outcome.ALREADY)
        if _same_ids(ids, chunk):
            return [(chunk, outcome, None)]  # the chunk itself: a ledger may know its places
    settled: list[Settled] = []
    unsettled = set(chunk)
    for ids, outcome in ((answer.done, done_outcome(action)), (answer.already, Outcome.ALREADY)):
        if ids:
            settled.append((_take(ids, unsettled), outcome, None))
    if not unsettled:
        return settled
    by_error: dict[ContactGroupsError, list[str]] = {}
    for contact_id in chunk:
        if contact_id in unsettled:
            error = answer.failed.get(contact_id)
            if not isinstance(error, ContactGroupsError):
                error = ContactGroupsError(f"{provider} did not report on this id")
            by_error.setdefault(error, []).append(contact_id)
    settled.extend((failed, Outcome.FAILED, error) for error, failed in by_error.items())
    return settled


def _same_ids(ids: Sequence[object], chunk: Sequence[str]) -> bool:
    """True when ``ids`` (a tuple or a list) holds the chunk's ids, in its order."""
    return type(ids) in (tuple, list) and len(ids) == len(chunk) and tuple(ids) == tuple(chunk)


def _as_sent(result: object, chunk: Sequence[str]) -> bool:
    """True for the usual answer, the chunk sent back all done (or all already) with nothing
    failed: its shape needs no check id by id (what the ledger keeps is the chunk's own ids)."""
    if type(result) is not BatchResult or type(result.failed) is not dict or result.failed:
        return False
    done, already = result.done, result.already
    return (not already and _same_ids(done, chunk)) or (not done and _same_ids(already, chunk))


def _check_shape(result: object) -> None:
    """``TypeError`` unless ``result`` is a ``BatchResult`` of sequences of string ids and a
    mapping (a string in ``done`` is not its characters; a malformed answer fails its chunk)."""
    if not isinstance(result, BatchResult):
        raise TypeError(f"the adapter returned {type(result).__name__}, not a BatchResult")
    for ids in (result.done, result.already):
        if not isinstance(ids, (tuple, list)) or not _all_str(ids):
            raise TypeError("the adapter's BatchResult holds ids that are not a sequence of str")
    if not isinstance(result.failed, Mapping):
        raise TypeError(f"the adapter's BatchResult.failed is a {type(result.failed).__name__}")


def _all_str(ids: Sequence[object]) -> bool:
    # exact str counted in C (the usual ids), subclasses of str checked one by one
    return list(map(type, ids)).count(str) == len(ids) or all(isinstance(i, str) for i in ids)


def _take(ids: Iterable[str], unsettled: set[str]) -> list[str]:
    """The ids still in ``unsettled``, each once, removing them from it."""
    taken = []
    for contact_id in ids:
        if contact_id in unsettled:
            unsettled.remove(contact_id)
            taken.append(contact_id)
    return taken
