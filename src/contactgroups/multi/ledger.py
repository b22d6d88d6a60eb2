"""The outcome of every id of a bulk job: ``LedgerBase`` (the counts, shared) and ``Ledger`` (the
per-id tables in memory). ``journal.JournalLedger`` keeps the same per-id record on disk.

Every id starts ``NOT_ATTEMPTED``; ``set`` is the only writer. The counts are kept per provider as
ids move, so reading progress and counts costs nothing per id.
"""

from __future__ import annotations

import enum
import itertools
import operator
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Literal, Protocol

import attrs

from ..errors import APIError, ContactGroupsError, InvalidRequestError
from .retrying import worth_another_round
from .targets import IdEntry, Target

__all__ = [
    "Action",
    "Item",
    "Ledger",
    "LedgerBase",
    "Outcome",
    "Progress",
    "TargetInfo",
    "done_outcome",
]

Action = Literal["add", "remove"]

#: Ids one read of the pending ids hands the job at most (a journal streams them in such slices).
PENDING_SLICE = 10_000


class Outcome(str, enum.Enum):
    """What happened to one id."""

    ADDED = "added"
    REMOVED = "removed"
    ALREADY = "already"  # already a member (add) / not a member (remove)
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"  # never sent: deadline or cancellation came first

    @property
    def ok(self) -> bool:
        return self in (Outcome.ADDED, Outcome.REMOVED, Outcome.ALREADY)


def done_outcome(action: Action) -> Outcome:
    """The outcome of an id the vendor changed: ``ADDED`` for an add, ``REMOVED`` for a remove."""
    return Outcome.ADDED if action == "add" else Outcome.REMOVED


#: One id's record: (canonical id, outcome, error, what the caller passed where it differs).
Item = tuple[str, "Outcome", ContactGroupsError | None, str | None]


class TargetInfo(Protocol):
    """What a report needs of a target: where its ids go (a ``Target``, or a saved one)."""

    @property
    def provider(self) -> str: ...

    @property
    def group_id(self) -> str: ...


@attrs.frozen
class Progress:
    """Passed to ``on_progress``: ids finished so far for one provider. ``final`` is True on the
    one call made when the provider's part of the job has ended."""

    provider: str
    done: int
    total: int
    failed: int
    final: bool = False


class LedgerBase:
    """The per-provider counts of a job's outcomes, and what the job asks of any ledger.

    Invariant, for every provider ``p`` and outcome ``o``: ``counts(p)[o]`` equals the number of
    ids of ``p``'s targets whose outcome is ``o`` (so the counts sum to ``requested(p)``), and an
    id has an error exactly when its outcome is ``FAILED``.
    """

    def __init__(self, targets: Iterable[TargetInfo], sizes: Sequence[int]) -> None:
        self.targets: tuple[TargetInfo, ...] = tuple(targets)
        self.providers: tuple[str, ...] = tuple(dict.fromkeys(t.provider for t in self.targets))
        self._requested: dict[str, int] = dict.fromkeys(self.providers, 0)
        self._tallies: dict[str, dict[Outcome, int]] = {
            p: dict.fromkeys(Outcome, 0) for p in self.providers
        }
        self._tally_of: list[dict[Outcome, int]] = []  # per target: its provider's tally
        for target, size in zip(self.targets, sizes, strict=True):
            tally = self._tallies[target.provider]
            tally[Outcome.NOT_ATTEMPTED] += size
            self._tally_of.append(tally)
            self._requested[target.provider] += size

    def _grow(self, index: int, size: int) -> None:
        """``size`` more ids of target ``index`` (a journal learns a streamed target's size)."""
        self._tally_of[index][Outcome.NOT_ATTEMPTED] += size
        self._requested[self.targets[index].provider] += size

    def _move(self, index: int, old: Outcome, new: Outcome, count: int = 1) -> None:
        tally = self._tally_of[index]
        tally[old] -= count
        tally[new] += count

    # -- what every ledger offers --------------------------------------------------------------

    #: True where ``sending``/``flush`` do something (a journal): a call skips them otherwise.
    durable = False
    #: True for a journal's job run again: what was in flight at the stop is read back first.
    resumed = False

    def set(
        self,
        index: int,
        ids: Sequence[str],
        outcome: Outcome,
        error: ContactGroupsError | None = None,
    ) -> None:
        """Give ``ids`` of target ``index`` this outcome; ``error`` comes with ``FAILED`` only."""
        if (error is None) == (outcome is Outcome.FAILED):
            raise ValueError("a FAILED outcome needs its error, and only a FAILED one has one")
        self._set(index, ids, outcome, error)

    def _set(
        self, index: int, ids: Sequence[str], outcome: Outcome, error: ContactGroupsError | None
    ) -> None:
        """``set`` for this ledger's storage, the arguments checked."""
        raise NotImplementedError

    def outcome(self, index: int, contact_id: str) -> Outcome:
        raise NotImplementedError

    def error(self, index: int, contact_id: str) -> ContactGroupsError | None:
        raise NotImplementedError

    def items(self, index: int) -> Iterator[Item]:
        """Target ``index``'s ids in its order: (canonical id, outcome, error, what the caller
        passed where it differs)."""
        raise NotImplementedError

    def pending(self, index: int, *, first: bool) -> AsyncIterator[list[str]]:
        """The ids to send, in slices: in the first round those not attempted, later those that
        failed for a reason worth repeating. Ids whose outcome changes meanwhile are not
        repeated."""
        raise NotImplementedError

    async def unsure(self, index: int) -> list[tuple[str, ContactGroupsError]]:
        """Failed ids whose call may have landed (``maybe_landed``), with their errors: the ones
        to verify."""
        raise NotImplementedError

    async def longest_wait(self, index: int) -> float:
        """The longest ``Retry-After`` among the failed ids about to be repeated."""
        raise NotImplementedError

    def sending(self, index: int, ids: Sequence[str]) -> None:
        """The ids are about to be sent (a journal records them in flight)."""

    async def flush(self) -> None:
        """Make every ``set`` so far durable (a journal commits; memory has nothing to do)."""

    # -- counts ----------------------------------------------------------------------------------

    def requested(self, provider: str) -> int:
        """Ids asked for at ``provider``, over all its targets."""
        return self._requested[provider]

    @property
    def total(self) -> int:
        return sum(self._requested.values())

    def counts(self, provider: str | None = None) -> Counter[Outcome]:
        """Ids per outcome at ``provider`` (all providers if None); outcomes with none left out."""
        tallies = self._tallies.values() if provider is None else [self._tallies[provider]]
        counts: Counter[Outcome] = Counter()
        for tally in tallies:
            counts.update(tally)
        return +counts

    def progress(self, provider: str, *, final: bool = False) -> Progress:
        tally = self._tallies[provider]
        total = self._requested[provider]
        return Progress(
            provider=provider,
            done=total - tally[Outcome.NOT_ATTEMPTED],
            total=total,
            failed=tally[Outcome.FAILED],
            final=final,
        )

    def __repr__(self) -> str:
        counts = {o.value: n for o, n in self.counts().items()}
        return (
            f"{type(self).__name__}(targets={len(self.targets)}, ids={self.total}, counts={counts})"
        )


class Ledger(LedgerBase):
    """The outcome (and, for a failed id, the error) of every id of every target, in memory.

    ``set`` keeps the invariant after any sequence of calls, including one that stops at an id
    the target does not hold (``KeyError``; the ids before it are set).
    """

    def __init__(
        self,
        targets: Iterable[TargetInfo],
        entries: Iterable[Iterable[IdEntry]] | None = None,
    ) -> None:
        """``entries``: each target's ids (default: ``target.entries()``); ids refused before
        sending start ``FAILED`` with their ``InvalidRequestError``."""
        targets = tuple(targets)
        if entries is None:
            tables = [_table_of(t) for t in targets]
        else:
            tables = [_table(list(e)) for e in entries]
        super().__init__(targets, [len(keys) for keys, _, _ in tables])
        self._outcomes: list[dict[str, Outcome]] = []
        self._errors: list[dict[str, ContactGroupsError]] = []
        self._given: list[dict[str, str]] = []
        for index, (keys, given, refused) in enumerate(tables):
            self._outcomes.append(dict.fromkeys(keys, Outcome.NOT_ATTEMPTED))
            self._errors.append({})
            self._given.append(dict(given))
            for key, error in refused.items():
                self.set(index, [key], Outcome.FAILED, error)

    def _set(
        self, index: int, ids: Sequence[str], outcome: Outcome, error: ContactGroupsError | None
    ) -> None:
        """An id the target does not hold raises ``KeyError``; the ids before it are set."""
        outcomes = self._outcomes[index]
        tally = self._tally_of[index]
        if self._set_at_once(outcomes, tally, index, ids, outcome, error):
            return
        moved = 0
        try:
            for contact_id in ids:
                tally[outcomes[contact_id]] -= 1
                outcomes[contact_id] = outcome
                moved += 1
        finally:
            tally[outcome] += moved
            errors = self._errors[index]
            if error is not None:
                errors.update(dict.fromkeys(ids[:moved], error))
            elif errors:
                for contact_id in ids[:moved]:
                    errors.pop(contact_id, None)

    def _set_at_once(
        self,
        outcomes: dict[str, Outcome],
        tally: dict[Outcome, int],
        index: int,
        ids: Sequence[str],
        outcome: Outcome,
        error: ContactGroupsError | None,
    ) -> bool:
        """``_set`` for distinct ids the target holds (a call's chunk, as usual), the tables read
        and written in C; False, having changed nothing, for anything else."""
        if not isinstance(ids, (list, tuple)):
            return False
        try:
            old = list(map(outcomes.__getitem__, ids))
        except Exception:  # an id it does not hold (or cannot): one by one, as far as they go
            return False
        new = dict.fromkeys(ids, outcome)
        if not old or len(new) != len(old):
            return False  # none, or repeats (each would move from what the one before left)
        if old.count(old[0]) == len(old):
            tally[old[0]] -= len(old)
        else:
            for before in old:
                tally[before] -= 1
        outcomes.update(new)
        tally[outcome] += len(old)
        errors = self._errors[index]
        if error is not None:
            errors.update(dict.fromkeys(new, error))
        elif errors:
            for contact_id in new:
                errors.pop(contact_id, None)
        return True

    def outcome(self, index: int, contact_id: str) -> Outcome:
        return self._outcomes[index][contact_id]

    def error(self, index: int, contact_id: str) -> ContactGroupsError | None:
        return self._errors[index].get(contact_id)

    def given(self, index: int, contact_id: str) -> str:
        return self._given[index].get(contact_id, contact_id)

    def items(self, index: int) -> Iterator[Item]:
        errors = self._errors[index]
        given = self._given[index]
        for contact_id, outcome in self._outcomes[index].items():
            yield contact_id, outcome, errors.get(contact_id), given.get(contact_id)

    def outcomes_of(self, index: int) -> Mapping[str, Outcome]:
        """Target ``index``'s ids and their outcomes, in the target's order (read-only view)."""
        return MappingProxyType(self._outcomes[index])

    def errors_of(self, index: int) -> Mapping[str, ContactGroupsError]:
        """Target ``index``'s failed ids and their errors (read-only view)."""
        return MappingProxyType(self._errors[index])

    async def pending(self, index: int, *, first: bool) -> AsyncIterator[list[str]]:
        outcomes = self._outcomes[index]
        if first:
            # in C: the ids whose outcome is NOT_ATTEMPTED, in the target's order
            waiting = map(operator.is_, outcomes.values(), itertools.repeat(Outcome.NOT_ATTEMPTED))
            ids = list(itertools.compress(outcomes, waiting))
        else:
            errors = self._errors[index]
            ids = [i for i, e in errors.items() if worth_another_round(e)]
        for start in range(0, len(ids), PENDING_SLICE):
            yield ids[start : start + PENDING_SLICE]

    async def unsure(self, index: int) -> list[tuple[str, ContactGroupsError]]:
        return [(i, e) for i, e in self._errors[index].items() if e.maybe_landed]

    async def longest_wait(self, index: int) -> float:
        waits = [
            e.retry_after
            for e in self._errors[index].values()
            if isinstance(e, APIError) and e.retry_after and worth_another_round(e)
        ]
        return max(waits, default=0.0)

    def __sizeof__(self) -> int:
        """The per-id tables included (``sys.getsizeof(ledger)``); the targets' ids are not."""
        tables = [*self._outcomes, *self._errors]
        return object.__sizeof__(self) + sum(sys.getsizeof(table) for table in tables)


#: One target's ids for a ``Ledger``: the keys in order, what the caller passed where it differs,
#: and the ids refused before sending with their errors.
_Table = tuple[Sequence[str], Mapping[str, str], Mapping[str, InvalidRequestError]]


def _table_of(target: TargetInfo) -> _Table:
    if isinstance(target, Target) and not target.streamed:
        # the target's own tables, read as they are: no entry built per id
        return target.ids, target.given, target.refused
    entries = getattr(target, "entries", None)  # a saved target has none: it starts empty
    return _table([] if entries is None else list(entries()))


def _table(entries: list[IdEntry]) -> _Table:
    given = {e.key: e.given for e in entries if e.given is not None}
    refused = {e.key: e.refused for e in entries if e.refused is not None}
    return [e.key for e in entries], given, refused
