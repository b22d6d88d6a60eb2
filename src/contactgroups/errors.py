"""One error ladder for every provider.

```
ContactGroupsError
├── InvalidRequestError        caught client-side, before any request is sent
├── APIError                   the vendor answered with an error
│   ├── AuthenticationError    401 / 403 (and a failed OAuth token request)
│   ├── NotFoundError          404
│   ├── ConflictError          409
│   ├── ValidationError        400 / 422 (and other 4xx)
│   ├── RateLimitError         429
│   ├── ServerError            5xx
│   ├── MalformedResponseError a 2xx/4xx/5xx answer whose body is not what the vendor documents
│   └── OutcomeUnknownError    the vendor answered, but not whether this item landed
├── TransportError             no usable answer: connection refused/reset, DNS, TLS
│   ├── TimeoutError           (also a builtins.TimeoutError)
│   │   ├── ConnectTimeoutError
│   │   └── ReadTimeoutError
│   └── InterruptedCallError   a bulk job stopped while the call was in flight
├── UnexpectedError            a call raised something outside this ladder (a bug): kept, not spread
└── JournalError               a bulk job's journal cannot be used (another job's, unreadable, full)
```

``maybe_landed`` is decided once, by the layer that saw the call end (the transport for HTTP
attempts, an adapter for a per-item answer, ``multi`` for an interrupted call); everything else
only reads it.

Every message is built from the vendor's answer, never from the request, and the transport scrubs
the client's credentials out of every field an error keeps (message, code, errors, request id,
body; also in the JSON-escaped or percent-encoded form a vendor's echo gives them) before it is
raised, so neither ``str``, ``repr`` nor a log line can show one.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConflictError",
    "ConnectTimeoutError",
    "ContactGroupsError",
    "InterruptedCallError",
    "InvalidRequestError",
    "JournalError",
    "MalformedResponseError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitError",
    "ReadTimeoutError",
    "ServerError",
    "TimeoutError",
    "TransportError",
    "UnexpectedError",
    "ValidationError",
    "error_class_for_status",
]


class ContactGroupsError(Exception):
    """Base class of every error this SDK raises.

    ``maybe_landed`` is True when the call may have been applied at the vendor all the same: an
    attempt timed out, lost its connection or got a 5xx (this one or an earlier one of the same
    call). Re-reading the state tells; ``multi`` does.
    """

    provider: str | None = None
    maybe_landed: bool = False


class InvalidRequestError(ContactGroupsError, ValueError):
    """The call would break a documented limit or rule; nothing was sent."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider


class APIError(ContactGroupsError):
    """The vendor answered with an error status (or an unusable body).

    Attributes:
        status: the HTTP status code.
        provider: ``"messagebird"``, ``"messente"``, ``"messageflow"`` or ``"messengeo"``.
        code: the vendor's own error code (``2``, ``"203"``, ``"E-0-004"``), if it sent one.
        message: the vendor's human-readable message.
        request_id: the vendor's request id (MessageFlow ``meta.uniqId``), if any.
        body: the raw response body as text (cut to 10,000 characters).
        errors: every error object the vendor listed, as plain dicts.

    The client's credentials are scrubbed from every one of these (replaced by
    ``<redacted>``): a vendor that echoes what it received cannot get them into an error.
        retry_after: seconds the vendor asked us to wait (429/503), if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        provider: str,
        code: str | int | None = None,
        request_id: str | None = None,
        body: str | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.provider = provider
        self.code = code
        self.request_id = request_id
        self.body = body
        self.errors = tuple(errors)
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [f"{self.provider} answered {self.status}"]
        if self.code is not None:
            parts.append(f"code {self.code}")
        text = ", ".join(parts) + f": {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, provider={self.provider!r}, "
            f"code={self.code!r}, message={self.message!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(APIError):
    """401/403: the credentials were missing, wrong or expired."""


class NotFoundError(APIError):
    """404: the group, list or contact does not exist (or, at Messente, is not a member)."""


class ConflictError(APIError):
    """409: a duplicate (Messente: the contact is already a member, or already exists)."""


class ValidationError(APIError):
    """400/422 and other 4xx: the vendor rejected a parameter."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` says how long the vendor asked to wait."""


class ServerError(APIError):
    """5xx: the vendor failed; safe calls were already retried. It may have applied the call."""

    maybe_landed = True


class MalformedResponseError(APIError):
    """The vendor's answer could not be read as documented (HTML page, truncated JSON, wrong types).

    ``body`` keeps the raw text so it can be reported to the vendor.
    """


class OutcomeUnknownError(APIError):
    """The vendor answered the call but did not say whether this item landed (MessageFlow's 207
    with errors that name no item). Repeating an idempotent call, or reading the group, settles it;
    ``multi`` does both."""

    maybe_landed = True


class TransportError(ContactGroupsError):
    """No usable answer: connection refused or reset, DNS failure, TLS failure.

    ``never_sent`` is True when the request cannot have reached the vendor (connection refused,
    DNS failure), so repeating it is safe even for a create.
    """

    def __init__(
        self, message: str, *, provider: str | None = None, never_sent: bool = False
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.never_sent = never_sent
        # a request that left may have been applied before the answer was lost
        self.maybe_landed = not never_sent


class TimeoutError(TransportError, builtins.TimeoutError):
    """The call ran out of time (total, connect or read)."""


class ConnectTimeoutError(TimeoutError):
    """Connecting to the vendor took longer than the connect timeout."""


class ReadTimeoutError(TimeoutError):
    """The vendor accepted the connection but did not answer within the read timeout."""


class InterruptedCallError(TransportError):
    """A bulk job was cancelled or ran out of time while this call was in flight: it may have
    landed (``maybe_landed`` is True), so ``multi`` reads it back before calling it failed."""


class UnexpectedError(ContactGroupsError):
    """A membership call raised an exception outside this ladder (a bug here or in an adapter, or
    an answer nobody foresaw). ``multi`` keeps it on the ids of that call, logs it as a bug, and
    goes on with every other call; ``exception`` is the original. The call may have been sent, so
    ``maybe_landed`` is True and the ids are read back."""

    maybe_landed = True

    def __init__(self, exception: BaseException, *, provider: str | None = None) -> None:
        super().__init__(f"unexpected {type(exception).__name__}: {exception}"[:1000])
        self.exception = exception
        self.provider = provider


class JournalError(ContactGroupsError):
    """A bulk job's journal cannot be used: it belongs to another job, it is not a journal of
    this SDK (or of a newer version), or writing to it failed (a full disk). Nothing is mixed:
    the job stops rather than run without its record."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class_for_status(status: int) -> type[APIError]:
    """The ladder class for an HTTP error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    if status >= 400:
        return ValidationError
    return MalformedResponseError
