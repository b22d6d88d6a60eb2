"""A vendor's answer and the helpers that read it: JSON, models, and what an error says."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import cattrs

from ..errors import APIError, MalformedResponseError
from .redact import scrub, scrub_value

__all__ = [
    "ErrorCheck",
    "ErrorInfo",
    "ErrorParser",
    "Response",
    "default_error_parser",
]

T = TypeVar("T")

#: The most of a body an error keeps (as text, credentials scrubbed).
ERROR_BODY_CHARS = 10_000


@attrs.frozen
class Response:
    """A vendor's answer, read in full."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)  # may echo a credential: see `body_for_error`
    provider: str = attrs.field(kw_only=True)
    request_id: str | None = attrs.field(default=None, repr=False)  # may echo one too
    #: the client's credentials, scrubbed from any body this answer puts into an error
    secrets: tuple[str, ...] = attrs.field(default=(), repr=False)

    def text(self) -> str:
        """The body as text, credentials scrubbed (for error messages: whatever a parser cuts
        from it, no fragment of a credential survives)."""
        return scrub(self.body.decode("utf-8", errors="replace"), self.secrets)

    def body_for_error(self) -> str:
        """The body as an error keeps it: credentials scrubbed, cut to a readable size."""
        return self.text()[:ERROR_BODY_CHARS]

    def safe_request_id(self) -> str | None:
        """The request id, credentials scrubbed (a hostile vendor may echo one there)."""
        rid = self.request_id
        return scrub(rid, self.secrets) if rid and self.secrets else rid

    def json(self) -> Any:
        """The body as JSON; an empty body is None; anything unreadable is a typed error."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise MalformedResponseError(
                f"the answer is not JSON ({exc})",
                status=self.status,
                provider=self.provider,
                request_id=self.safe_request_id(),
                body=self.body_for_error(),
            ) from None

    def json_object(self) -> Mapping[str, Any] | None:
        """The body as a JSON object, or None for anything else (for reading error bodies,
        which may be HTML from a proxy): never raises. Credentials are scrubbed from every key
        and value, so a parser that cuts a value cannot leave a fragment of one."""
        if not self.body.strip():
            return None
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        if self.secrets:
            raw = self.body.decode("utf-8", errors="replace")
            if scrub(raw, self.secrets) != raw:  # an echo: walk the whole object
                scrubbed: dict[str, Any] = scrub_value(data, self.secrets)
                return scrubbed
        return data

    def malformed(self, why: str) -> MalformedResponseError:
        """The error for an answer that does not have the documented shape."""
        return MalformedResponseError(
            f"unexpected answer: {scrub(why, self.secrets)}",
            status=self.status,
            provider=self.provider,
            request_id=self.safe_request_id(),
            body=self.body_for_error(),
        )

    def structure(self, converter: cattrs.Converter, data: Any, cls: type[T]) -> T:
        """``data`` (part of this answer) as ``cls``; a shape mismatch is MalformedResponseError."""
        try:
            return converter.structure(data, cls)
        except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
            reasons = (
                "; ".join(cattrs.transform_error(exc))
                if isinstance(exc, cattrs.BaseValidationError)
                else str(exc)
            )
            raise self.malformed(f"{cls.__name__}: {reasons}") from None


@attrs.frozen
class ErrorInfo:
    """What a provider reads out of an error answer."""

    message: str
    code: str | int | None = None
    request_id: str | None = None
    errors: Sequence[Mapping[str, Any]] = ()
    error_class: type[APIError] | None = None


ErrorParser = Callable[[Response], ErrorInfo]
ErrorCheck = Callable[[Response], bool]


def default_error_parser(response: Response) -> ErrorInfo:
    return ErrorInfo(message=response.text()[:200] or f"HTTP {response.status}")
