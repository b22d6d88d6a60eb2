"""What every provider's membership adapter shares: its call sizes and concurrency, each checked
once against the vendor's limits, and the protocol properties ``multi`` reads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import attrs

from .governor import AccountGovernor
from .validate import require_count

__all__ = ["AdapterLimits", "MembershipBase"]


@attrs.frozen
class AdapterLimits:
    """A vendor's membership limits: the most ids one add/remove takes, and the defaults."""

    provider: str
    max_add: int
    max_remove: int
    default_add: int
    default_remove: int
    default_concurrency: int


class MembershipBase:
    """The ``MembershipAdapter`` properties, from the vendor's limits and the caller's choices
    (None = the vendor's default; above the vendor's maximum is an ``InvalidRequestError``)."""

    def __init__(
        self,
        limits: AdapterLimits,
        *,
        max_add_per_call: int | None,
        max_remove_per_call: int | None,
        concurrency: int | None,
    ) -> None:
        self._provider = limits.provider
        self._max_add = require_count(
            max_add_per_call,
            what="max_add_per_call",
            maximum=limits.max_add,
            default=limits.default_add,
            provider=limits.provider,
        )
        self._max_remove = require_count(
            max_remove_per_call,
            what="max_remove_per_call",
            maximum=limits.max_remove,
            default=limits.default_remove,
            provider=limits.provider,
        )
        self._concurrency = require_count(
            concurrency,
            what="concurrency",
            default=limits.default_concurrency,
            provider=limits.provider,
        )
        self._governor: AccountGovernor | None = None

    def use_governor(self, governor: AccountGovernor) -> None:
        """Govern ``multi``'s adaptive calls with the client's governor (the client calls it)."""
        self._governor = governor

    @contextlib.contextmanager
    def adaptive(self, start: int) -> Iterator[int | None]:
        """``membership.AdaptiveConcurrency``: within the block, this task's requests (and those
        of the tasks it starts) wait for a slot of the account's governor, which starts at
        ``start`` calls in flight unless it has learnt better; gives its ceiling (None for an
        adapter built outside a client: no governor, ``multi`` runs a fixed number)."""
        if self._governor is None:
            yield None
            return
        with self._governor.adaptive(start) as ceiling:
            yield ceiling

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def max_add_per_call(self) -> int:
        return self._max_add

    @property
    def max_remove_per_call(self) -> int:
        return self._max_remove

    @property
    def default_concurrency(self) -> int:
        return self._concurrency

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(max_add_per_call={self._max_add}, "
            f"max_remove_per_call={self._max_remove}, concurrency={self._concurrency})"
        )
