"""``JobOptions``: how a bulk job runs, checked once when built and handed to ``BulkJob``."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

import attrs

from ..errors import InvalidRequestError
from .journal import JournalPath
from .ledger import Progress

__all__ = [
    "ADAPTIVE",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_ROUNDS",
    "VERIFY_GRACE",
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

#: Seconds the read-back of interrupted calls may still take once the deadline has passed.
VERIFY_GRACE = 10.0


def _positive_seconds(_: object, __: attrs.Attribute[float | None], value: float | None) -> None:
    if value is not None and not (isinstance(value, (int, float)) and 0 < value < math.inf):
        raise InvalidRequestError("deadline must be a positive, finite number of seconds")


def _not_negative(_: object, __: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, (int, float)) and 0 <= value < math.inf):
        raise InvalidRequestError("verify_grace must be zero or a positive number of seconds")


def _at_least_one(_: object, __: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError("rounds must be a whole number, at least 1")


def _counts(_: object, attribute: Any, value: Any) -> None:
    numbers = value.values() if isinstance(value, Mapping) else [] if value is None else [value]
    for number in numbers:
        if number is None or number == ADAPTIVE:
            continue
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise InvalidRequestError(
                f"{attribute.name} must be 'adaptive' or a whole number of calls, at least 1"
            )


def _rates(_: object, __: Any, value: Any) -> None:
    numbers = value.values() if isinstance(value, Mapping) else [] if value is None else [value]
    for number in numbers:
        if not (isinstance(number, (int, float)) and 0 < number < math.inf):
            raise InvalidRequestError("rate must be a positive, finite number of calls a second")


def _plain_callable(_: object, __: Any, value: Any) -> None:
    if value is not None and inspect.iscoroutinefunction(value):
        raise InvalidRequestError("on_progress is called, not awaited: pass a plain function")


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
    answer. ``on_progress``: called with a ``Progress`` whenever a provider's counts change, and
    once more (``final=True``) when its part ends. ``journal``: a SQLite file that records the
    job and every id's outcome; running the same job on it again resumes it. ``verify_grace``:
    seconds the read-back of interrupted calls may take after the deadline.
    """

    concurrency: PerProviderConcurrency = attrs.field(default=ADAPTIVE, validator=_counts)
    max_concurrency: PerProvider = attrs.field(default=DEFAULT_MAX_CONCURRENCY, validator=_counts)
    rate: PerProviderRate = attrs.field(default=None, validator=_rates)
    deadline: float | None = attrs.field(default=None, validator=_positive_seconds)
    rounds: int = attrs.field(default=DEFAULT_ROUNDS, validator=_at_least_one)
    verify: bool = True
    on_progress: ProgressCallback | None = attrs.field(default=None, validator=_plain_callable)
    journal: JournalPath | None = None
    verify_grace: float = attrs.field(default=VERIFY_GRACE, validator=_not_negative)

    def recorded(self) -> dict[str, Any]:
        """The options a journal records beside its job (JSON-safe: not the callback, not the
        journal itself); a resumed run records its own."""
        return {
            "concurrency": self.concurrency,
            "max_concurrency": self.max_concurrency,
            "rate": self.rate,
            "deadline": self.deadline,
            "rounds": self.rounds,
            "verify": self.verify,
            "verify_grace": self.verify_grace,
        }

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
    journal: JournalPath | None
    verify_grace: float
