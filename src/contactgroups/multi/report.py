"""What a bulk job did: ``Report`` (one outcome per id, kept by a ledger, and per-provider
summaries); it can be saved as plain data and loaded again, or read from a job's journal."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from .._http import CallStats
from ..errors import ContactGroupsError, InvalidRequestError, JournalError
from .journal import Journal, JournalLedger, JournalPath
from .ledger import Action, Ledger, LedgerBase, Outcome, Progress, TargetInfo, done_outcome
from .pgjobs import load_now
from .pgstore import is_postgres_url
from .retrying import can_succeed_later
from .saved import SavedTarget, error_from_dict, error_to_dict
from .targets import IdEntry, Target

__all__ = [
    "Action",
    "Ledger",
    "Outcome",
    "Progress",
    "ProviderSummary",
    "Report",
    "done_outcome",
]

#: The version of ``Report.to_dict``'s layout.
REPORT_FORMAT = 1


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
    ledger: LedgerBase
    providers: dict[str, ProviderSummary]
    elapsed: float = 0.0
    deadline_passed: bool = False
    cancelled: bool = False

    @classmethod
    def start(cls, action: Action, targets: Iterable[Target]) -> Report:
        """A report in which every id of ``targets`` is ``NOT_ATTEMPTED`` (or ``FAILED``, for an
        id that can never be sent)."""
        return cls.of(action, Ledger(targets))

    @classmethod
    def of(cls, action: Action, ledger: LedgerBase) -> Report:
        providers = {p: ProviderSummary(p, ledger.requested(p)) for p in ledger.providers}
        report = cls(action, ledger, providers)
        report.summarise()
        return report

    def summarise(self) -> None:
        """Copy the ledger's per-provider counts into ``providers`` (the job does, when it ends)."""
        for name, summary in self.providers.items():
            summary.requested = self.ledger.requested(name)
            summary.outcomes.clear()
            summary.outcomes.update(self.ledger.counts(name))

    @property
    def targets(self) -> list[TargetInfo]:
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

    def outcome(self, target: int | TargetInfo, contact_id: str) -> Outcome:
        return self.ledger.outcome(self._index(target), str(contact_id))

    def error(self, target: int | TargetInfo, contact_id: str) -> ContactGroupsError | None:
        return self.ledger.error(self._index(target), str(contact_id))

    def outcomes(self) -> Iterator[tuple[TargetInfo, str, Outcome, ContactGroupsError | None]]:
        """Every (target, id, outcome, error); ids in canonical form."""
        for index, target in enumerate(self.ledger.targets):
            for contact_id, outcome, error, _ in self.ledger.items(index):
                yield target, contact_id, outcome, error

    def failed_ids(self, *, include_not_attempted: bool = True) -> list[tuple[str, str, str]]:
        """(provider, group id, id) of everything that did not land."""
        wanted = {Outcome.FAILED} | ({Outcome.NOT_ATTEMPTED} if include_not_attempted else set())
        return [
            (target.provider, target.group_id, contact_id)
            for target, contact_id, outcome, _ in self.outcomes()
            if outcome in wanted
        ]

    def failed_targets(self, *, include_permanent: bool = False) -> list[Target]:
        """The targets again, holding only the ids worth sending again: not attempted, or failed
        for a reason that may pass (429, 5xx, transport, unknown outcome); with
        ``include_permanent`` also those the vendor refused (a validation error, say)."""
        result = []
        for index, target in enumerate(self.ledger.targets):
            ids = [
                contact_id if given is None else given
                for contact_id, outcome, error, given in self.ledger.items(index)
                if outcome is Outcome.NOT_ATTEMPTED
                or (
                    outcome is Outcome.FAILED
                    and error is not None
                    and not isinstance(error, InvalidRequestError)
                    and (include_permanent or can_succeed_later(error))
                )
            ]
            if not ids:
                continue
            if not isinstance(target, Target):
                raise InvalidRequestError(
                    "this report was loaded without its clients; build the targets again "
                    "(or re-run the job with its journal, which resumes it)"
                )
            result.append(target.with_ids(ids))
        return result

    def _index(self, target: int | TargetInfo) -> int:
        if isinstance(target, int):
            return target
        for index, candidate in enumerate(self.ledger.targets):
            if candidate is target:
                return index
        raise KeyError("that target is not part of this report")

    # -- keeping a report --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data: per target its ids, each with its ``outcome``, what the
        caller passed (``given``, where it differs) and, if failed, its ``error`` (class,
        status, vendor code, ``retry_after``, ``maybe_landed``, the scrubbed message)."""
        targets = []
        for index, target in enumerate(self.ledger.targets):
            ids = []
            for contact_id, outcome, error, given in self.ledger.items(index):
                item: dict[str, Any] = {"id": contact_id, "outcome": outcome.value}
                if given is not None:
                    item["given"] = given
                item["error"] = None if error is None else error_to_dict(error)
                ids.append(item)
            targets.append({"provider": target.provider, "group_id": target.group_id, "ids": ids})
        return {
            "format": REPORT_FORMAT,
            "action": self.action,
            "ok": self.ok,
            "elapsed": self.elapsed,
            "deadline_passed": self.deadline_passed,
            "cancelled": self.cancelled,
            "counts": {o.value: n for o, n in self.counts().items()},
            "targets": targets,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """A report ``to_dict`` saved (its targets are ``SavedTarget``: no clients); anything
        else (a missing field, an unknown outcome, an id twice) is ``InvalidRequestError``."""
        try:
            return cls._from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, InvalidRequestError):
                raise
            raise InvalidRequestError(f"not a saved report: {type(error).__name__}") from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Report:
        if (
            not isinstance(data, Mapping)
            or data.get("format") != REPORT_FORMAT
            or data.get("action") not in ("add", "remove")
        ):
            raise InvalidRequestError("not a saved contactgroups report (or of another format)")
        targets = [SavedTarget(t["provider"], str(t["group_id"])) for t in data["targets"]]
        entries = [
            [IdEntry(str(i["id"]), i.get("given")) for i in t["ids"]] for t in data["targets"]
        ]
        if any(len({e.key for e in table}) != len(table) for table in entries):
            raise InvalidRequestError("not a saved report: an id appears twice in one target")
        ledger = Ledger(targets, entries)
        for index, target in enumerate(data["targets"]):
            for item in target["ids"]:
                outcome = Outcome(item["outcome"])
                if outcome is Outcome.NOT_ATTEMPTED:
                    continue
                error = error_from_dict(dict(item["error"])) if outcome is Outcome.FAILED else None
                ledger.set(index, [str(item["id"])], outcome, error)
        report = cls.of(data["action"], ledger)
        report.elapsed = float(data.get("elapsed", 0.0))
        report.deadline_passed = bool(data.get("deadline_passed"))
        report.cancelled = bool(data.get("cancelled"))
        return report

    @classmethod
    def load(cls, journal: JournalPath, part: str = "job") -> Report:
        """The report of the job recorded in ``journal`` (finished or stopped), read from disk;
        a sync's journal holds two: ``part="add"`` and ``part="remove"``. A PostgreSQL journal
        (``postgresql://...``) holds many jobs: ``part`` is the job's id (``multi.submit``'s)."""
        if is_postgres_url(journal):
            if part == "job":
                raise InvalidRequestError("name the job: Report.load(url, job_id)")
            action, memory, elapsed = load_now(str(journal), part)
            report = cls.of(action, memory)
            report.elapsed = elapsed
            return report
        if not os.path.exists(journal):
            raise JournalError(f"no journal at {os.fspath(journal)}")
        opened = Journal.open_now(journal)
        try:
            action, ledger = JournalLedger.load(opened, part)
            ended = opened.meta(f"ended:{part}") or {}
        finally:
            opened.close_now()  # the report reads through connections of its own, as it needs
        report = cls.of(action, ledger)
        try:
            report.elapsed = float(ended.get("elapsed", 0.0))
        except (AttributeError, TypeError, ValueError):
            raise JournalError(f"{os.fspath(journal)} is damaged: how its job ended") from None
        report.deadline_passed = bool(ended.get("deadline_passed"))
        report.cancelled = bool(ended.get("cancelled"))
        return report
