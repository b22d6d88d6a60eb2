"""What a bulk job did: one outcome per id (``Ledger``), per-provider summaries, ``Report``."""

from __future__ import annotations

import enum
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Literal

import attrs

from .._http import CallStats
from ..errors import ContactGroupsError
from .targets import Target

__all__ = [
    "Action",
    "Ledger",
    "Outcome",
    "Progress",
    "ProviderSummary",
    "Report",
    "done_outcome",
]

Action = Literal["add", "remove"]


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


@attrs.frozen
class Progress:
    """Passed to ``on_progress`` after every call: ids finished so far for one provider."""

    provider: str
    done: int
    total: int
    failed: int


class Ledger:
    """The outcome (and, for a failed id, the error) of every id of every target.

    Invariant, for every provider ``p`` and outcome ``o``: ``counts(p)[o]`` equals the number of
    ids of ``p``'s targets whose outcome is ``o`` (so the counts sum to ``requested(p)``), and an
    id has an error exactly when its outcome is ``FAILED``. Every id starts ``NOT_ATTEMPTED``;
    ``set`` is the only writer and keeps both true after any sequence of calls, including one that
    stops at an id the target does not hold. The counts are kept per provider as ids move, so
    reading progress and counts costs nothing per id.
    """

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets: tuple[Target, ...] = tuple(targets)
        self.providers: tuple[str, ...] = tuple(dict.fromkeys(t.provider for t in self.targets))
        self._requested: dict[str, int] = dict.fromkeys(self.providers, 0)
        self._tallies: dict[str, dict[Outcome, int]] = {
            p: dict.fromkeys(Outcome, 0) for p in self.providers
        }
        self._outcomes: list[dict[str, Outcome]] = []
        self._errors: list[dict[str, ContactGroupsError]] = []
        self._tally_of: list[dict[Outcome, int]] = []  # per target: its provider's tally
        for target in self.targets:
            self._outcomes.append(dict.fromkeys(target.ids, Outcome.NOT_ATTEMPTED))
            self._errors.append({})
            tally = self._tallies[target.provider]
            tally[Outcome.NOT_ATTEMPTED] += len(target.ids)
            self._tally_of.append(tally)
            self._requested[target.provider] += len(target.ids)

    def set(
        self,
        index: int,
        ids: Sequence[str],
        outcome: Outcome,
        error: ContactGroupsError | None = None,
    ) -> None:
        """Give ``ids`` of target ``index`` this outcome; ``error`` comes with ``FAILED`` only.

        An id the target does not hold raises ``KeyError``; the ids before it are set.
        """
        if (error is None) == (outcome is Outcome.FAILED):
            raise ValueError("a FAILED outcome needs its error, and only a FAILED one has one")
        outcomes = self._outcomes[index]
        tally = self._tally_of[index]
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

    def outcome(self, index: int, contact_id: str) -> Outcome:
        return self._outcomes[index][contact_id]

    def error(self, index: int, contact_id: str) -> ContactGroupsError | None:
        return self._errors[index].get(contact_id)

    def outcomes_of(self, index: int) -> Mapping[str, Outcome]:
        """Target ``index``'s ids and their outcomes, in the target's order (read-only view)."""
        return MappingProxyType(self._outcomes[index])

    def errors_of(self, index: int) -> Mapping[str, ContactGroupsError]:
        """Target ``index``'s failed ids and their errors (read-only view)."""
        return MappingProxyType(self._errors[index])

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

    def progress(self, provider: str) -> Progress:
        tally = self._tallies[provider]
        total = self._requested[provider]
        return Progress(
            provider=provider,
            done=total - tally[Outcome.NOT_ATTEMPTED],
            total=total,
            failed=tally[Outcome.FAILED],
        )

    def __sizeof__(self) -> int:
        """The per-id tables included (``sys.getsizeof(ledger)``); the targets' ids are not."""
        tables = [*self._outcomes, *self._errors]
        return object.__sizeof__(self) + sum(sys.getsizeof(table) for table in tables)

    def __repr__(self) -> str:
        counts = {o.value: n for o, n in self.counts().items()}
        return f"Ledger(targets={len(self.targets)}, ids={self.total}, counts={counts})"


@attrs.define
class ProviderSummary:
    """Per-provider counts and timings."""

    provider: str
    requested: int = 0
    outcomes: Counter[Outcome] = attrs.field(factory=Counter)
    calls: int = 0
    stats: CallStats = attrs.field(factory=CallStats)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        """HTTP requests sent, retries included."""
        return self.stats.requests

    @property
    def retries(self) -> int:
        return self.stats.retries

    @property
    def failed(self) -> int:
        return self.outcomes[Outcome.FAILED] + self.outcomes[Outcome.NOT_ATTEMPTED]


@attrs.define
class Report:
    """One outcome per requested id (kept in ``ledger``), per-provider summaries, timings."""

    action: Action
    ledger: Ledger
    providers: dict[str, ProviderSummary]
    elapsed: float = 0.0
    deadline_passed: bool = False
    cancelled: bool = False

    @classmethod
    def start(cls, action: Action, targets: Iterable[Target]) -> Report:
        """A report in which every id of ``targets`` is ``NOT_ATTEMPTED``."""
        ledger = Ledger(targets)
        providers = {p: ProviderSummary(p, ledger.requested(p)) for p in ledger.providers}
        return cls(action, ledger, providers)

    def summarise(self) -> None:
        """Copy the ledger's per-provider counts into ``providers`` (the job does, when it ends)."""
        for name, summary in self.providers.items():
            summary.outcomes.clear()
            summary.outcomes.update(self.ledger.counts(name))

    @property
    def targets(self) -> list[Target]:
        return list(self.ledger.targets)

    @property
    def ok(self) -> bool:
        """Every id added/removed or already in the wanted state."""
        counts = self.ledger.counts()
        return not counts[Outcome.FAILED] and not counts[Outcome.NOT_ATTEMPTED]

    @property
    def total(self) -> int:
        return self.ledger.total

    def counts(self) -> Counter[Outcome]:
        return self.ledger.counts()

    def outcome(self, target: int | Target, contact_id: str) -> Outcome:
        return self.ledger.outcome(self._index(target), str(contact_id))

    def error(self, target: int | Target, contact_id: str) -> ContactGroupsError | None:
        return self.ledger.error(self._index(target), str(contact_id))

    def outcomes(self) -> Iterator[tuple[Target, str, Outcome, ContactGroupsError | None]]:
        """Every (target, id, outcome, error)."""
        for index, target in enumerate(self.ledger.targets):
            errors = self.ledger.errors_of(index)
            for contact_id, outcome in self.ledger.outcomes_of(index).items():
                yield target, contact_id, outcome, errors.get(contact_id)

    def failed_ids(self, *, include_not_attempted: bool = True) -> list[tuple[str, str, str]]:
        """(provider, group id, id) of everything that did not land."""
        wanted = {Outcome.FAILED} | ({Outcome.NOT_ATTEMPTED} if include_not_attempted else set())
        return [
            (target.provider, target.group_id, contact_id)
            for index, target in enumerate(self.ledger.targets)
            for contact_id, outcome in self.ledger.outcomes_of(index).items()
            if outcome in wanted
        ]

    def failed_targets(self) -> list[Target]:
        """The targets again, holding only the ids that failed or were not attempted."""
        result = []
        for index, target in enumerate(self.ledger.targets):
            ids = [i for i, o in self.ledger.outcomes_of(index).items() if not o.ok]
            if ids:
                result.append(attrs.evolve(target, ids=ids))
        return result

    def _index(self, target: int | Target) -> int:
        if isinstance(target, int):
            return target
        for index, candidate in enumerate(self.ledger.targets):
            if candidate is target:
                return index
        raise KeyError("that target is not part of this report")
