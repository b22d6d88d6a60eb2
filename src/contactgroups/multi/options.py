"""``JobOptions``: how a bulk job runs, checked once when built and handed to ``BulkJob``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, TypedDict

import attrs

from ..errors import InvalidRequestError
from .report import Progress

__all__ = [
    "ADAPTIVE",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_ROUNDS",
    "JobKeywords",
    "JobOptions",
    "PerProvider",
    "PerProviderConcurrency",
    "PerProviderRate",
    "ProgressCallback",
]

ProgressCallback = Callable[[Progress], None]
PerProvider = Mapping[str, int] | int | None
PerProviderRate = Mapping[str, float] | float | None
#: ``concurrency=``: learnt by the account's governor, or a fixed number of calls at once
ADAPTIVE: Literal["adaptive"] = "adaptive"
PerProviderConcurrency = Mapping[str, int | Literal["adaptive"]] | int | Literal["adaptive"] | None

#: The most calls at once of one account in an adaptive job (``max_concurrency=``).
DEFAULT_MAX_CONCURRENCY = 64

#: Passes over the ids: the first sends everything, later ones repeat what failed for a reason
#: worth repeating.
DEFAULT_ROUNDS = 2


def _positive_seconds(_: object, __: attrs.Attribute[float | None], value: float | None) -> None:
    if value is not None and value <= 0:
        raise InvalidRequestError("deadline must be a positive number of seconds")


def _at_least_one(_: object, __: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise InvalidRequestError("rounds must be at least 1")


def _for_provider(value: Mapping[str, float] | float | None, provider: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(provider)
    return value


@attrs.frozen(kw_only=True)
class JobOptions:
    """How a bulk job runs (the keywords of ``multi.add``; see there).

    ``concurrency``: ``"adaptive"`` (the default, also for a provider a mapping leaves out): each
    account's governor learns how many calls it takes, starting at the adapter's
    ``default_concurrency``, up to ``max_concurrency`` (default 64); a number (or
    ``{"messente": 20}``) fixes the calls at once. ``rate``: call starts per second per provider
    (a ceiling in both modes).
    ``deadline``: seconds for the whole job. ``rounds``: passes over ids that failed for a
    retryable reason. ``verify``: read the group to settle ids whose call ended without a clear
    answer. ``on_progress``: called with a ``Progress`` after every call.
    """

    concurrency: PerProviderConcurrency = ADAPTIVE
    max_concurrency: PerProvider = DEFAULT_MAX_CONCURRENCY
    rate: PerProviderRate = None
    deadline: float | None = attrs.field(default=None, validator=_positive_seconds)
    rounds: int = attrs.field(default=DEFAULT_ROUNDS, validator=_at_least_one)
    verify: bool = True
    on_progress: ProgressCallback | None = None

    def concurrency_for(self, provider: str, default: int) -> int:
        """Calls at once for one client of ``provider`` (at least one): the fixed number, or
        ``default`` where adaptive."""
        return self.fixed_concurrency(provider) or max(1, default)

    def fixed_concurrency(self, provider: str) -> int | None:
        """The fixed calls at once for ``provider`` (at least one); None where adaptive."""
        value = self.concurrency
        if isinstance(value, Mapping):
            value = value.get(provider)
        if value is None or value == ADAPTIVE:
            return None
        if isinstance(value, str):
            raise InvalidRequestError(f"concurrency must be a number or 'adaptive', not {value!r}")
        return max(1, int(value))

    def max_concurrency_for(self, provider: str) -> int:
        """The most calls at once for ``provider`` in adaptive mode (at least one)."""
        return max(1, int(_for_provider(self.max_concurrency, provider) or DEFAULT_MAX_CONCURRENCY))

    def rate_for(self, provider: str) -> float | None:
        """Call starts per second for one client of ``provider``; None: no limit."""
        return _for_provider(self.rate, provider) or None


class JobKeywords(TypedDict, total=False):
    """``JobOptions``' fields as keywords (``BulkJob(action, targets, **keywords)``)."""

    concurrency: PerProviderConcurrency
    max_concurrency: PerProvider
    rate: PerProviderRate
    deadline: float | None
    rounds: int
    verify: bool
    on_progress: ProgressCallback | None
