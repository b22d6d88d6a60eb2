"""``sync``: make a group hold exactly the desired ids (read, then add what is missing and remove
what is extra)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import anyio
import attrs

from ..errors import JournalError, TimeoutError
from ..membership import HasMembership
from .job import BulkJob
from .journal import Journal, JournalPath
from .options import (
    ADAPTIVE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_ROUNDS,
    VERIFY_GRACE,
    JobOptions,
    PerProvider,
    PerProviderConcurrency,
    PerProviderRate,
    ProgressCallback,
)
from .report import Action, Report
from .targets import Target

__all__ = ["SyncPlan", "SyncResult", "sync"]


@attrs.frozen
class SyncPlan:
    """What it takes to make a group hold exactly the desired ids."""

    target: Target
    to_add: tuple[str, ...]
    to_remove: tuple[str, ...]
    unchanged: int

    @property
    def empty(self) -> bool:
        return not self.to_add and not self.to_remove


@attrs.frozen
class SyncResult:
    """The plan, and (unless it was a dry run) the reports of applying it."""

    plan: SyncPlan
    added: Report | None = None
    removed: Report | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in (self.added, self.removed) if r is not None)


#: the deadline of a part whose deadline has passed: its job records its ids and sends nothing
_SPENT = 1e-9


async def sync(
    client: HasMembership,
    group_id: str,
    desired_ids: Iterable[str],
    *,
    dry_run: bool = False,
    concurrency: PerProviderConcurrency = ADAPTIVE,
    max_concurrency: PerProvider = DEFAULT_MAX_CONCURRENCY,
    rate: PerProviderRate = None,
    deadline: float | None = None,
    rounds: int = DEFAULT_ROUNDS,
    verify: bool = True,
    on_progress: ProgressCallback | None = None,
    journal: JournalPath | None = None,
    verify_grace: float = VERIFY_GRACE,
) -> SyncResult:
    """Make the group hold exactly ``desired_ids``: read its members, add what is missing, remove
    what is extra. Ids are compared in the vendor's canonical form (MessageFlow ``"007"`` is
    member ``"7"``); an id that can never be sent is reported failed in ``added`` and never
    counts as wanted or unwanted. ``dry_run`` only returns the plan. ``deadline`` bounds all of
    it (the read, the adds and the removes). ``journal``: a SQLite file recording the run (its
    parts ``"add"`` and ``"remove"``; ``Report.load(path, part)``); running the same sync on it
    again reads the group again and plans only what is still to do, so nothing that landed is
    sent twice. A journal of another sync or job is refused. Other keywords: those of ``add``.
    """
    options = JobOptions(
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        rate=rate,
        deadline=deadline,
        rounds=rounds,
        verify=verify,
        on_progress=on_progress,
        journal=journal,
        verify_grace=verify_grace,
    )
    ends = None if deadline is None else time.monotonic() + deadline
    target = Target(client, group_id, list(desired_ids))
    if journal is not None:
        await _claim(journal, target)
    wanted = {i for i in target.ids if i not in target.refused}
    current: set[str] = set()
    with anyio.move_on_after(math.inf if deadline is None else deadline) as reading:
        async for member in client.membership.members(group_id):
            current.add(member)
    if reading.cancelled_caught:
        raise TimeoutError(
            f"the members of group {group_id} could not be read within the deadline; "
            "nothing was changed",
            provider=client.membership.provider,
        )
    to_add = tuple(
        target.given.get(i, i) for i in target.ids if i not in current or i in target.refused
    )
    to_remove = tuple(sorted(current - wanted))
    plan = SyncPlan(
        target=target,
        to_add=to_add,
        to_remove=to_remove,
        unchanged=len(current & wanted),
    )
    if dry_run:
        return SyncResult(plan)

    async def apply(action: Action, ids: tuple[str, ...]) -> Report | None:
        if not ids:
            if journal is not None:  # this run's part holds nothing: not the last run's ids
                await BulkJob(action, [], options, journal_part=action, replace_journal=True).run()
            return None
        remaining = None if ends is None else ends - time.monotonic()
        if remaining is not None and remaining <= 0 and journal is None:
            report = Report.start(action, [Target(client, group_id, ids)])  # nothing sent now
            report.deadline_passed = True
            return report
        # with a journal, a part whose deadline has passed is recorded all the same (its ids not
        # attempted: deadline 0 sends nothing), so that what is read back is this run's
        job = BulkJob(
            action,
            [Target(client, group_id, ids)],
            options,
            journal_part=action,
            replace_journal=True,
            deadline=None if remaining is None else max(_SPENT, remaining),
        )
        return await job.run()

    added = await apply("add", to_add)
    removed = await apply("remove", to_remove)
    return SyncResult(plan, added, removed)


async def _claim(path: JournalPath, target: Target) -> None:
    """Record in the journal which sync it belongs to, or refuse one that holds another."""
    journal = await Journal.open(path)
    try:
        mine = {"provider": target.provider, "group_id": target.group_id, "ids": target.digest}
        stored = journal.meta("sync")
        if stored is None:
            if journal.meta("job:job") is not None:
                raise JournalError(f"{journal.path} holds a bulk job, not a sync")
            await journal.run(lambda db: Journal.put_meta(db, "sync", mine))
        elif stored != mine:
            raise JournalError(
                f"{journal.path} holds another sync (of group {stored['group_id']} at "
                f"{stored['provider']}, or of other desired ids); use a new journal for this one"
            )
    finally:
        await journal.close()
