"""The outcome of every id of a bulk job: ``LedgerBase`` (the counts, shared) and ``Ledger`` (the
per-id tables in memory). ``journal.JournalLedger`` keeps the same per-id record on disk.

Every id starts ``NOT_ATTEMPTED``; ``set`` is the only writer. The counts are kept per provider as
ids move, so reading progress and counts costs nothing per id.
"""

from __future__ import annotations

import enum
import itertools
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
#: Unclear ids handed to the read-back at once (a journal reads them from disk window by window).
UNSURE_SLICE = 50_000


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

    def unsure(self, index: int) -> AsyncIterator[list[tuple[str, ContactGroupsError]]]:
        """Failed ids whose call may have landed (``maybe_landed``), with their errors: the ones
        to verify, in slices of at most ``UNSURE_SLICE``. Each slice is to be settled before the
        next is asked for."""
        raise NotImplementedError

    async def longest_wait(self, index: int) -> float:
        """The longest ``Retry-After`` among the failed ids about to be repeated."""
        raise NotImplementedError

    def sending(self, index: int, ids: Sequence[str]) -> int:
        """The ids are about to be sent (a journal records them in flight): the ticket that
        ``flush`` takes to wait for that record alone."""
        return 0

    async def keep_committing(self, every: int = 1) -> None:
        """Make what ``sending`` records durable as it comes, ``every`` marks at a time, until
        cancelled (a journal: the calls marked ahead then find their marks committed; memory:
        nothing to do)."""

    def not_sent(self, index: int, ids: Sequence[str]) -> None:
        """Ids recorded by ``sending`` whose call was not made after all (the job stopped first):
        back to the outcome they had."""

    async def flush(self, upto: int | None = None) -> None:
        """Make every ``set`` so far (or the writes up to ``upto``, a ticket of ``sending``)
        durable (a journal commits; memory has nothing to do)."""

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

    Each target's outcomes are one byte per id in the target's order, beside a table of each
    id's position: a call's chunk, a run of the target's ids as ``pending`` handed them out, is
    recorded by one slice of that array. Writing each id into a table of every id instead would
    touch memory all over a large table, which costs more than the rest of the call.
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
        self._keys: list[Sequence[str]] = []
        self._position: list[dict[str, int]] = []
        self._codes: list[bytearray] = []
        self._errors: list[dict[str, ContactGroupsError]] = []
        self._given: list[dict[str, str]] = []
        for index, (keys, given, refused) in enumerate(tables):
            self._keys.append(keys)
            target = targets[index]
            if entries is None and isinstance(target, Target) and not target.streamed:
                self._position.append(target.id_positions())  # made with the target, handed over
            else:
                self._position.append(dict(zip(keys, range(len(keys)), strict=True)))
            self._codes.append(bytearray(_CODE[Outcome.NOT_ATTEMPTED] * len(keys)))
            self._errors.append({})
            self._given.append(dict(given))
            for key, error in refused.items():
                self.set(index, [key], Outcome.FAILED, error)

    def _set(
        self, index: int, ids: Sequence[str], outcome: Outcome, error: ContactGroupsError | None
    ) -> None:
        """An id the target does not hold raises ``KeyError``; the ids before it are set."""
        codes = self._codes[index]
        tally = self._tally_of[index]
        start = self._run_of(index, ids)
        if start is not None:  # the ids are codes[start:end]: counted and set at once, in C
            before = codes[start : start + len(ids)]
            if before.count(before[0]) == len(before):
                tally[_OUTCOMES[before[0]]] -= len(before)
            else:
                for code in set(before):
                    tally[_OUTCOMES[code]] -= before.count(code)
            codes[start : start + len(ids)] = _CODE[outcome] * len(before)
            tally[outcome] += len(before)
            self._note_errors(index, ids, error)
            return
        position = self._position[index]
        code = _CODE[outcome][0]
        moved = 0
        try:
            for contact_id in ids:
                at = position[contact_id]
                tally[_OUTCOMES[codes[at]]] -= 1
                codes[at] = code
                tally[outcome] += 1
                moved += 1
        finally:
            self._note_errors(index, ids[:moved], error)

    def _note_errors(
        self, index: int, ids: Sequence[str], error: ContactGroupsError | None
    ) -> None:
        """``ids`` keep ``error`` (failed), or lose the one they had."""
        errors = self._errors[index]
        if error is not None:
            errors.update(dict.fromkeys(ids, error))
        elif errors:
            for contact_id in ids:
                errors.pop(contact_id, None)

    def _run_of(self, index: int, ids: Sequence[str]) -> int | None:
        """Where ``ids`` start among the target's ids when they are a run of them, in order (as a
        chunk cut from ``pending`` is); else None. Comparing the run is cheap: the same objects."""
        if not ids or not isinstance(ids, (list, tuple)):
            return None
        try:
            start = self._position[index].get(ids[0])
        except TypeError:  # not an id at all: the general path says so
            return None
        if start is None:
            return None
        keys = self._keys[index]
        run = keys[start : start + len(ids)]
        if type(run) is not type(ids):  # a tuple is never equal to a list
            run = list(run) if isinstance(ids, list) else tuple(run)
        return start if run == ids else None

    def outcome(self, index: int, contact_id: str) -> Outcome:
        return _OUTCOMES[self._codes[index][self._position[index][contact_id]]]

    def error(self, index: int, contact_id: str) -> ContactGroupsError | None:
        return self._errors[index].get(contact_id)

    def given(self, index: int, contact_id: str) -> str:
        return self._given[index].get(contact_id, contact_id)

    def items(self, index: int) -> Iterator[Item]:
        errors = self._errors[index]
        given = self._given[index]
        for contact_id, code in zip(self._keys[index], self._codes[index], strict=True):
            yield contact_id, _OUTCOMES[code], errors.get(contact_id), given.get(contact_id)

    def outcomes_of(self, index: int) -> Mapping[str, Outcome]:
        """Target ``index``'s ids and their outcomes, in the target's order (read-only view)."""
        return _Outcomes(self._keys[index], self._position[index], self._codes[index])

    def errors_of(self, index: int) -> Mapping[str, ContactGroupsError]:
        """Target ``index``'s failed ids and their errors (read-only view)."""
        return MappingProxyType(self._errors[index])

    async def pending(self, index: int, *, first: bool) -> AsyncIterator[list[str]]:
        if first:
            keys, codes = self._keys[index], self._codes[index]
            if codes.count(_CODE[Outcome.NOT_ATTEMPTED]) == len(codes):
                ids = keys  # none attempted yet, the usual first round: all of them, as they are
            else:  # in C: the ids whose outcome is NOT_ATTEMPTED, in the target's order
                ids = list(itertools.compress(keys, codes.translate(_NOT_ATTEMPTED_MASK)))
        else:
            errors = self._errors[index]
            ids = [i for i, e in errors.items() if worth_another_round(e)]
        for start in range(0, len(ids), PENDING_SLICE):
            yield list(ids[start : start + PENDING_SLICE])

    async def unsure(self, index: int) -> AsyncIterator[list[tuple[str, ContactGroupsError]]]:
        unsure = [(i, e) for i, e in self._errors[index].items() if e.maybe_landed]
        for start in range(0, len(unsure), UNSURE_SLICE):
            yield unsure[start : start + UNSURE_SLICE]

    async def longest_wait(self, index: int) -> float:
        waits = [
            e.retry_after
            for e in self._errors[index].values()
            if isinstance(e, APIError) and e.retry_after and worth_another_round(e)
        ]
        return max(waits, default=0.0)

    def __sizeof__(self) -> int:
        """The per-id tables included (``sys.getsizeof(ledger)``); the targets' ids are not."""
        tables: list[object] = [*self._position, *self._codes, *self._errors]
        return object.__sizeof__(self) + sum(sys.getsizeof(table) for table in tables)


#: Each outcome as the byte that stands for it in a target's array of outcomes, and back.
_OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
_CODE = {outcome: bytes([code]) for code, outcome in enumerate(_OUTCOMES)}
# an array of outcomes as 1 where the id is not attempted, 0 elsewhere
_NOT_ATTEMPTED_MASK = bytes(int(code == _CODE[Outcome.NOT_ATTEMPTED][0]) for code in range(256))


class _Outcomes(Mapping[str, Outcome]):
    """A target's ids and their outcomes as a read-only mapping (a live view)."""

    __slots__ = ("_codes", "_keys", "_position")

    def __init__(self, keys: Sequence[str], position: dict[str, int], codes: bytearray) -> None:
        self._keys = keys
        self._position = position
        self._codes = codes

    def __getitem__(self, contact_id: str) -> Outcome:
        return _OUTCOMES[self._codes[self._position[contact_id]]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self._position


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
