"""contactgroups: contact groups and their members at MessageBird, Messente, MessageFlow and
Messengeo, async-first, with a bulk layer (``contactgroups.multi``) across all four.

Provider modules are imported on first use: ``from contactgroups import messagebird``.
"""

from ._http import Timeout
from ._http.governor import GovernorPolicy
from ._http.retry import RetryPolicy
from ._version import __version__
from .errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    ConnectTimeoutError,
    ContactGroupsError,
    InvalidRequestError,
    JournalError,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ReadTimeoutError,
    ServerError,
    TimeoutError,
    TransportError,
    UnexpectedError,
    ValidationError,
)

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConflictError",
    "ConnectTimeoutError",
    "ContactGroupsError",
    "GovernorPolicy",
    "InvalidRequestError",
    "JournalError",
    "MalformedResponseError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitError",
    "ReadTimeoutError",
    "RetryPolicy",
    "ServerError",
    "Timeout",
    "TimeoutError",
    "TransportError",
    "UnexpectedError",
    "ValidationError",
    "__version__",
]
