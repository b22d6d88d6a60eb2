"""The one retry policy every provider uses, and the decision it makes after each attempt."""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Callable, Mapping

import attrs

from ..errors import APIError, ContactGroupsError, TimeoutError, TransportError

__all__ = [
    "DEFAULT_RETRY",
    "OVERLOAD_STATUSES",
    "POLL_FLOOR",
    "RetryPolicy",
    "is_overload",
    "long_running_wait",
    "parse_http_date",
    "parse_retry_after",
    "poll_delay",
    "retry_delay",
]

#: Answers that say the vendor is overloaded (with timeouts: ``is_overload``).
OVERLOAD_STATUSES = frozenset({429, 503})

#: The shortest wait between two polls of a long-running ``202``, whatever ``Retry-After`` says.
POLL_FLOOR = 1.0


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, not {value}")


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, not {value}")


@attrs.frozen
class RetryPolicy:
    """When and how long to wait before repeating a call that is safe to repeat.

    Only calls declared idempotent are retried on a status or a lost answer (creating a group or a
    contact is not; adding or removing members is). A connection that was refused before anything
    was sent is retried for every call, since the vendor never saw it.

    Every wait also fits the call's time budget (``Timeout.call``) and the caller's own deadline
    (an enclosing anyio cancel scope): a wait that would end past either is not started, and the
    error that asked for it is raised instead.

    Attributes:
        max_attempts: attempts in all, the first included (1 = no retry).
        backoff_base: first backoff in seconds; doubles each attempt.
        backoff_max: cap on one backoff.
        jitter: "full" jitter share, 0..1; 1 waits a random time in [0, backoff].
        retry_after_max: the longest ``Retry-After`` honoured; a longer one raises the error
            (``RateLimitError`` for 429) with ``retry_after`` set, for the caller to schedule.
        statuses: HTTP statuses that are retried.
        retry_timeouts: whether a timed-out idempotent call is repeated.
    """

    max_attempts: int = attrs.field(default=4, validator=_positive_int)
    backoff_base: float = attrs.field(default=0.25, validator=_non_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative)
    jitter: float = attrs.field(default=1.0, validator=_non_negative)
    retry_after_max: float = attrs.field(default=60.0, validator=_non_negative)
    statuses: frozenset[int] = attrs.field(
        default=frozenset({429, 502, 503, 504}), converter=frozenset
    )
    retry_timeouts: bool = True

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2.0 ** (retry_number - 1)))
        share = min(self.jitter, 1.0)
        draw: float = (rng or random).random()
        return ceiling * (1.0 - share) + ceiling * share * draw


DEFAULT_RETRY = RetryPolicy()

#: RFC 9110 delay-seconds (1*DIGIT), plus a fraction some vendors send; ASCII only
_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def retry_delay(
    policy: RetryPolicy | None,
    error: ContactGroupsError,
    *,
    attempt: int,
    idempotent: bool,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait before repeating a call whose attempt number ``attempt`` ended in
    ``error``, or None when the error is to be raised.

    - ``policy`` None, or the attempts used up: raise.
    - Nothing was sent (connection refused, DNS): repeat any call, creates too.
    - A lost answer or a timeout: repeat only an idempotent call (timeouts if the policy says).
    - A status in ``policy.statuses``: repeat only an idempotent call, after ``Retry-After`` if
      the vendor sent one (raise if it asks for more than ``retry_after_max``), else a backoff.
    """
    if policy is None or attempt >= policy.max_attempts:
        return None
    if isinstance(error, TransportError):
        if error.never_sent:
            return policy.backoff(attempt, rng)
        if not idempotent or (isinstance(error, TimeoutError) and not policy.retry_timeouts):
            return None
        return policy.backoff(attempt, rng)
    if isinstance(error, APIError) and idempotent and error.status in policy.statuses:
        if error.retry_after is None:
            return policy.backoff(attempt, rng)
        return None if error.retry_after > policy.retry_after_max else error.retry_after
    return None


def is_overload(outcome: ContactGroupsError | int) -> bool:
    """Whether one attempt's outcome (its error, or the status it was answered) says the vendor is
    overloaded: a 429, a 503 or a timeout. The governor cuts its limit on these, and only these."""
    if isinstance(outcome, int):
        return outcome in OVERLOAD_STATUSES
    if isinstance(outcome, APIError):
        return outcome.status in OVERLOAD_STATUSES
    return isinstance(outcome, TimeoutError)


def poll_delay(policy: RetryPolicy | None, headers: Mapping[str, str]) -> float:
    """Seconds to wait before asking again about a long-running action (a ``202``): what
    ``Retry-After`` says, capped by the policy's ``retry_after_max``, never under ``POLL_FLOOR``
    (a ``0``, a negative number, a date in the past or garbage would otherwise be a hot loop)."""
    asked = parse_retry_after(headers)
    if asked is None:
        return POLL_FLOOR
    return max(POLL_FLOOR, min(asked, (policy or DEFAULT_RETRY).retry_after_max))


def long_running_wait(
    policy: RetryPolicy | None,
    headers: Mapping[str, str],
    *,
    blocks: Callable[[float], str | None],
    provider: str,
) -> float:
    """Seconds to wait before polling a ``202`` again (``poll_delay``), or ``TimeoutError`` when
    that wait would pass the vendor's ``Expires`` or overrun what ``blocks`` names (the call's
    budget, the caller's deadline)."""
    delay = poll_delay(policy, headers)
    expires_header = headers.get("Expires")
    expires = parse_http_date(expires_header)
    if expires_header is not None and expires is None:
        expires = 0.0  # RFC 9111: an invalid Expires (such as "0") is a time in the past
    if expires is not None and time.time() + delay >= expires:
        raise TimeoutError(
            f"{provider} did not finish the long-running action before its Expires time",
            provider=provider,
        )
    blocker = blocks(delay)
    if blocker is not None:
        raise TimeoutError(
            f"{provider} did not finish the long-running action within {blocker}",
            provider=provider,
        )
    return delay


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delay-seconds (ASCII digits, a fraction allowed) or
    an HTTP-date; None if absent or unreadable (``1_0``, ``١``, a date past year 9999...)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)  # a huge number is inf: over any cap
    when = parse_http_date(value)
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when - current)


def parse_http_date(value: str | None) -> float | None:
    """Epoch seconds of an HTTP-date (``Expires``), or None if absent or unreadable."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None  # OverflowError/OSError: a year the platform cannot represent
