"""``sync``: make a group hold exactly the desired ids (read, then add what is missing and remove
what is extra)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import anyio
import attrs

from .._http import unique
from ..errors import TimeoutError
from ..membership import HasMembership
from .job import BulkJob
from .options import (
    ADAPTIVE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_ROUNDS,
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
) -> SyncResult:
    """Make the group hold exactly ``desired_ids``: read its members, add what is missing, remove
    what is extra. ``dry_run`` only returns the plan. ``deadline`` bounds all of it (the read,
    the adds and the removes); the other keywords are those of ``add``/``remove``.
    """
    options = JobOptions(
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        rate=rate,
        deadline=deadline,
        rounds=rounds,
        verify=verify,
        on_progress=on_progress,
    )
    ends = None if deadline is None else time.monotonic() + deadline
    desired = unique(str(i) for i in desired_ids)
    wanted = set(desired)
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
    to_add = tuple(i for i in desired if i not in current)
    to_remove = tuple(sorted(current - wanted))
    plan = SyncPlan(
        target=Target(client, group_id, desired),
        to_add=to_add,
        to_remove=to_remove,
        unchanged=len(current & wanted),
    )
    if dry_run:
        return SyncResult(plan)

    async def apply(action: Action, ids: tuple[str, ...]) -> Report | None:
        if not ids:
            return None
        remaining = None if ends is None else max(0.001, ends - time.monotonic())
        job = BulkJob(action, [Target(client, group_id, ids)], options, deadline=remaining)
        return await job.run()

    added = await apply("add", to_add)
    removed = await apply("remove", to_remove)
    return SyncResult(plan, added, removed)
