"""What a governor is told: ``GovernorPolicy``, checked once (the rules: ``governor`` module)."""

from __future__ import annotations

import math

import attrs

from ..errors import InvalidRequestError

__all__ = ["DEFAULT_GOVERNOR", "GovernorPolicy"]


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"{attribute.name} must be a whole number >= 1, not {value!r}")


def _positive_or_none(_: object, attribute: attrs.Attribute[float | None], value: object) -> None:
    if value is not None and not (
        isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf
    ):
        raise InvalidRequestError(f"{attribute.name} must be a positive number, not {value!r}")


def _over_zero(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    _positive_or_none(instance, attribute, value)  # type: ignore[arg-type]


def _not_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value < math.inf:
        raise InvalidRequestError(f"{attribute.name} must be a number >= 0, not {value!r}")


def _share(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < value < 1:
        raise InvalidRequestError(f"{attribute.name} must be between 0 and 1, not {value!r}")


def _over_one(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 1 < value < math.inf:
        raise InvalidRequestError(f"{attribute.name} must be above 1, not {value!r}")


@attrs.frozen(kw_only=True)
class GovernorPolicy:
    """How the requests of one vendor account are governed (the rules: ``governor`` module).

    Attributes:
        initial: requests in flight at first (None: ``multi`` starts at the adapter's
            ``default_concurrency``, single calls at ``min(8, max_concurrency)``).
        min_concurrency: the limit is never cut below this.
        max_concurrency: the limit never grows past this (the ceiling).
        rate: at most this many request starts per second (None: no ceiling).
        latency_tolerance: the limit stops growing, and is cut, once the smoothed latency is
            this many times the lowest seen lately, plus ``latency_slack`` seconds (so that the
            jitter of a fast network is not taken for a queue at the vendor).
        backoff: the share of the limit kept after a 429, 503 or timeout.
        latency_backoff: the share kept when latency went past the tolerance.
        baseline_seconds: how far back "the lowest latency seen lately" looks.
    """

    initial: int | None = attrs.field(default=None)
    min_concurrency: int = attrs.field(default=1, validator=_at_least_one)
    max_concurrency: int = attrs.field(default=64, validator=_at_least_one)
    rate: float | None = attrs.field(default=None, validator=_positive_or_none)
    latency_tolerance: float = attrs.field(default=1.5, validator=_over_one)
    latency_slack: float = attrs.field(default=0.005, validator=_not_negative)
    backoff: float = attrs.field(default=0.7, validator=_share)
    latency_backoff: float = attrs.field(default=0.9, validator=_share)
    baseline_seconds: float = attrs.field(default=10.0, validator=_over_zero)

    def __attrs_post_init__(self) -> None:
        if self.initial is not None:
            _at_least_one(self, attrs.fields(GovernorPolicy).initial, self.initial)  # type: ignore[arg-type]
        if self.min_concurrency > self.max_concurrency:
            raise InvalidRequestError("min_concurrency must not be above max_concurrency")

    def clamp(self, limit: float) -> float:
        return min(float(self.max_concurrency), max(float(self.min_concurrency), limit))


DEFAULT_GOVERNOR = GovernorPolicy()
