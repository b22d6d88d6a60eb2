"""One leased chunk, run: the ids read back first if an earlier lease ended unrecorded, sent in
the vendor's call size one call at a time (``calls``, as ``BulkJob`` does), unclear calls read
back (``verify``), and the outcomes as the columns ``record_chunk`` takes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import APIError, ContactGroupsError, InterruptedCallError
from ..membership import ChecksMembers, MembershipAdapter
from .calls import call, halves, settle
from .ledger import Action, Ledger, Outcome
from .records import STATE
from .retrying import worth_another_round
from .saved import error_to_dict
from .verify import verify

__all__ = ["OneByOne", "OneLane", "columns_of", "run_chunk", "wait_of"]


class OneLane:
    """A client whose adapter makes one call at a time: a chunk holds one unit of its account's
    cap, so its read-back asks ``check_members`` about one id at a time (an adapter would look
    several up at once) and an adapter without it reads the group page by page."""

    def __init__(self, adapter: MembershipAdapter) -> None:
        self.membership: MembershipAdapter = (
            OneByOne(adapter) if isinstance(adapter, ChecksMembers) else adapter
        )


class OneByOne:
    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Mapping[str, bool]:
        answer: dict[str, bool] = {}
        for contact_id in ids:
            answer.update(await self._adapter.check_members(group_id, [contact_id]))
        return answer


async def run_chunk(ledger: Ledger, action: Action, keys: Sequence[str], dirty: bool) -> None:
    """Target 0 of ``ledger``: read ``keys`` back first if an earlier lease of the chunk ended
    unrecorded (``dirty``), send what is not yet in the wanted state in the vendor's call size,
    one call at a time, and settle any call that ended unclear by reading it back."""
    target = ledger.targets[0]
    adapter: MembershipAdapter = target.adapter  # type: ignore[attr-defined]
    provider = adapter.provider
    if dirty and keys:
        interrupted = InterruptedCallError(
            "a worker stopped while this chunk was in flight; it may have landed", provider=provider
        )
        ledger.set(0, keys, Outcome.FAILED, interrupted)
        await verify(ledger, 0, action)
        keys = [k for k, outcome in ledger.outcomes_of(0).items() if not outcome.ok]
    size = adapter.max_add_per_call if action == "add" else adapter.max_remove_per_call

    async def send(ids: Sequence[str]) -> None:
        answer = await call(adapter, action, target.group_id, ids)
        split = halves(answer, ids)
        if split is not None:
            for half in split:
                await send(half)
            return
        for settled, outcome, error in settle(provider, action, ids, answer):
            ledger.set(0, settled, outcome, error)

    for start in range(0, len(keys), size):
        await send(keys[start : start + size])
    await verify(ledger, 0, action)


def wait_of(error: ContactGroupsError) -> float:
    return float(error.retry_after or 0.0) if isinstance(error, APIError) else 0.0


def columns_of(ledger: Ledger) -> list[list[Any]]:
    """Target 0's ids as ``unnest``'s columns: key, state, error, retry, unsure, wait."""
    columns: list[list[Any]] = [[], [], [], [], [], []]
    texts: dict[int, str] = {}
    for key, outcome, error, _ in ledger.items(0):
        if outcome is Outcome.NOT_ATTEMPTED:
            continue
        text = None
        retry = unsure = False
        wait = None
        if error is not None:
            if id(error) not in texts:
                texts[id(error)] = json.dumps(error_to_dict(error))
            text = texts[id(error)]
            retry = worth_another_round(error)
            unsure = error.maybe_landed
            wait = wait_of(error) if retry else None
        for column, value in zip(
            columns, (key, STATE[outcome], text, retry, unsure, wait), strict=True
        ):
            column.append(value)
    return columns
