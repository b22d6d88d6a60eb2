"""Which failures are worth sending again: within a job (a later round) and afterwards
(``retry_failed``, a resumed journal)."""

from __future__ import annotations

from ..errors import (
    APIError,
    ContactGroupsError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TransportError,
)

__all__ = ["ROUND_WAIT_MAX", "can_succeed_later", "worth_another_round"]

#: A later round waits out a vendor's ``Retry-After`` up to this; ids asked to wait longer stay
#: failed (with ``retry_after`` on their error) for the caller to schedule.
ROUND_WAIT_MAX = 60.0

_PASSING = (RateLimitError, ServerError, TransportError, OutcomeUnknownError)


def can_succeed_later(error: ContactGroupsError) -> bool:
    """A failure that sending again may turn into success (429, 5xx, transport, unknown outcome,
    an interrupted call, or any call that may have landed); not a refusal that will recur."""
    return isinstance(error, _PASSING) or error.maybe_landed


def worth_another_round(error: ContactGroupsError) -> bool:
    """A failure a later round of the same job may turn into success: passing, and the vendor
    did not ask to wait longer than ``ROUND_WAIT_MAX``."""
    if isinstance(error, APIError) and (error.retry_after or 0.0) > ROUND_WAIT_MAX:
        return False
    return isinstance(error, _PASSING)
