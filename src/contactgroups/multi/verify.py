"""Settling ids whose call ended without a clear answer, by reading their group back."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ContactGroupsError
from .report import Action, Ledger, done_outcome

__all__ = ["read_back"]


async def read_back(ledger: Ledger, indices: Iterable[int], action: Action) -> None:
    """For each target (by index) with failed ids whose error ``maybe_landed``, read the group
    once and mark the ids it shows in the wanted state done. A read that fails settles nothing:
    those ids stay failed with their original errors, so the report never claims what it cannot
    see."""
    done = done_outcome(action)
    for index in indices:
        unsure = {i for i, e in ledger.errors_of(index).items() if e.maybe_landed}
        if not unsure:
            continue
        target = ledger.targets[index]
        present: set[str] = set()
        try:
            async for member in target.adapter.members(target.group_id):
                if member in unsure:
                    present.add(member)
        except ContactGroupsError:
            continue
        wanted_present = action == "add"
        ledger.set(index, [i for i in unsure if (i in present) == wanted_present], done)
