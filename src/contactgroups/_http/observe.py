"""Observability: the fields of every log record, and OpenTelemetry spans where the application
uses OpenTelemetry.

**Log records.** Every record of a ``contactgroups.<provider>`` logger carries the same ``extra``
fields, ``LOG_FIELDS``: ``provider``, ``method``, ``path`` (credentials scrubbed, ids that are
phone numbers redacted), ``status``, ``attempt``, ``elapsed_ms`` and ``request_id``. ``log_fields``
is the one place that builds them; a record that is not about one request (a token warning) gets
None for those it cannot know, from a filter on the provider's logger, so a formatter can rely
on every field being there. Nothing is built for a level the logger does not log.

**Spans** (``tracing``: only where the application uses OpenTelemetry): each call is an
INTERNAL span ``"<provider> <METHOD>"``, each HTTP attempt a CLIENT span ``"<METHOD>"`` inside it,
with the stable HTTP semantic-convention attributes (``http.request.method``, ``url.full``,
``server.address``, ``server.port``, ``http.response.status_code``, ``error.type``,
``http.request.resend_count``) and ``contactgroups.provider``, ``contactgroups.attempt`` (an
attempt's number in the retry policy), ``contactgroups.retries`` (the call's waits before a
repeat) and ``contactgroups.maybe_landed`` (a failure that may have been applied). ``url.full``
and every message have credentials scrubbed and phone numbers redacted.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final
from urllib.parse import unquote, unquote_plus

import yarl

from ..errors import APIError, ContactGroupsError
from .redact import redact_phones, scrub
from .response import Response
from .tracing import end_span, error_type, mark_failed, start_span, tracer

__all__ = ["LOG_FIELDS", "CallObserver", "clean_url", "log_fields", "provider_logger"]

#: The ``extra`` fields of every record of a ``contactgroups.<provider>`` logger.
LOG_FIELDS: Final = ("provider", "method", "path", "status", "attempt", "elapsed_ms", "request_id")


def log_fields(
    provider: str,
    method: str | None = None,
    path: str | None = None,
    *,
    status: int | None = None,
    attempt: int | None = None,
    elapsed: float | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The ``extra`` of a log record (``LOG_FIELDS``); ``elapsed`` in seconds. ``path`` and
    ``request_id`` must already be safe (``CallObserver`` makes them so)."""
    return {
        "provider": provider,
        "method": method,
        "path": path,
        "status": status,
        "attempt": attempt,
        "elapsed_ms": None if elapsed is None else round(elapsed * 1000, 1),
        "request_id": request_id,
    }


def clean_url(url: str, secrets: Iterable[str]) -> str:
    """``url`` (or a path) with credentials scrubbed and each path segment or query value that
    is a phone number redacted (``redact_phones``; an id that only starts with digits, such as a
    UUID, is kept). A credential encoded in a way ``scrub`` does not know is found in the decoded
    URL, which is then shown decoded."""
    secrets = [s for s in secrets if s]
    text = scrub(url, secrets)
    for decode in (unquote, unquote_plus):
        decoded = decode(text)
        if any(secret in decoded for secret in secrets):
            text = scrub(decoded, secrets)
    parts = _URL_PARTS.split(text)
    return "".join(redact_phones(p) if _PHONE.fullmatch(p) else p for p in parts)


# a URL cut at the characters around a path segment or a query value (kept, as the split's groups)
_URL_PARTS = re.compile(r"([/?&=#;])")
# a whole segment that is a phone number: E.164-looking digits, with "+" or "%2B" or none
_PHONE = re.compile(r"(?:\+|%2B)?\d{7,15}", re.IGNORECASE)


class _DefaultFields(logging.Filter):
    """Gives a record logged without the fields (not about one request) all of them."""

    def __init__(self, provider: str) -> None:
        super().__init__()
        self.defaults = log_fields(provider)

    def filter(self, record: logging.LogRecord) -> bool:
        fields = record.__dict__
        for name, value in self.defaults.items():
            fields.setdefault(name, value)
        return True


def provider_logger(provider: str) -> logging.Logger:
    """``contactgroups.<provider>``, whose every record carries ``LOG_FIELDS``."""
    logger = logging.getLogger(f"contactgroups.{provider}")
    if not any(isinstance(f, _DefaultFields) for f in logger.filters):
        logger.addFilter(_DefaultFields(provider))
    return logger


class CallObserver:
    """One call of a transport (all its attempts): the fields of its log records, and its spans
    when tracing. ``with observer:`` spans the call, ``with observer.attempt(n):`` one attempt.
    """

    __slots__ = (
        "_answer",
        "_attempt",
        "_attempt_span",
        "_attempt_started",
        "_call_span",
        "_provider",
        "_resends",
        "_retries",
        "_safe_url",
        "_secrets",
        "_started",
        "_tracer",
        "log",
        "method",
        "url",
    )

    def __init__(
        self,
        log: logging.Logger,
        provider: str,
        method: str,
        url: yarl.URL,
        secrets: Callable[[], Iterable[str]],
    ) -> None:
        self.log = log
        self._provider = provider
        self.method = method
        self.url = url
        self._secrets = secrets
        self._tracer = tracer()
        self._started = time.monotonic()
        self._attempt = 0
        self._attempt_started = self._started
        self._resends = -1  # requests sent before the current one
        self._retries = 0
        self._answer: Response | None = None
        self._safe_url: str | None = None
        self._call_span: tuple[Any, Any] | None = None  # (context manager, span)
        self._attempt_span: tuple[Any, Any] | None = None

    # -- what may be shown -----------------------------------------------------------------------

    def clean(self, text: str) -> str:
        """``text`` with credentials scrubbed and phone numbers redacted."""
        return redact_phones(scrub(text, self._secrets()))

    @property
    def safe_url(self) -> str:
        """The call's URL as it may be shown (``url.full``, log lines)."""
        if self._safe_url is None:
            self._safe_url = clean_url(str(self.url), self._secrets())
        return self._safe_url

    def fields(
        self,
        *,
        status: int | None = None,
        request_id: str | None = None,
        attempt_time: bool = False,
    ) -> dict[str, Any]:
        """This call's log fields: ``elapsed_ms`` of the current attempt (``attempt_time``) or of
        the call so far."""
        since = self._attempt_started if attempt_time else self._started
        return log_fields(
            self._provider,
            self.method,
            clean_url(self.url.raw_path, self._secrets()),
            status=status,
            attempt=self._attempt or None,
            elapsed=time.monotonic() - since,
            request_id=scrub(request_id, self._secrets()) if request_id else None,
        )

    def _http_attributes(self) -> dict[str, Any]:
        return {
            "contactgroups.provider": self._provider,
            "http.request.method": self.method,
            "url.full": self.safe_url,
            "server.address": self.url.host or "",
            "server.port": self.url.port or 0,
        }

    # -- the call --------------------------------------------------------------------------------

    def __enter__(self) -> CallObserver:
        if self._tracer is not None:
            self._call_span = start_span(
                self._tracer, f"{self._provider} {self.method}", self._http_attributes
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._call_span is None:
            return
        span = self._call_span[1]
        if span.is_recording():
            span.set_attribute("contactgroups.retries", self._retries)
            if self._resends > 0:
                span.set_attribute("http.request.resend_count", self._resends)
            status = exc.status if isinstance(exc, APIError) else None
            if status is None and self._answer is not None:
                status = self._answer.status
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            if isinstance(exc, ContactGroupsError):
                span.set_attribute("contactgroups.maybe_landed", exc.maybe_landed)
        end_span(self._call_span, exc, None if exc is None else self.clean(str(exc)))
        self._call_span = None

    # -- one attempt -----------------------------------------------------------------------------

    def attempt(self, number: int) -> _Attempt:
        """``with observer.attempt(n):`` around sending attempt ``n`` (of the retry policy)."""
        self._attempt = number
        self._resends += 1
        self._answer = None
        self._attempt_started = time.monotonic()
        return _Attempt(self)

    def attempt_started(self) -> None:
        if self._tracer is not None:
            self._attempt_span = start_span(
                self._tracer, self.method, self._attempt_attributes, client=True
            )

    def _attempt_attributes(self) -> dict[str, Any]:
        attributes = self._http_attributes()
        attributes["contactgroups.attempt"] = self._attempt
        if self._resends:
            attributes["http.request.resend_count"] = self._resends
        return attributes

    def answered(self, response: Response) -> None:
        """The attempt got ``response`` (any status)."""
        self._answer = response
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s %s -> %s in %.1f ms",
                self.method,
                self.safe_url,
                response.status,
                (time.monotonic() - self._attempt_started) * 1000,
                extra=self.fields(
                    status=response.status, request_id=response.request_id, attempt_time=True
                ),
            )

    def attempt_ended(self, exc: BaseException | None) -> None:
        if isinstance(exc, ContactGroupsError) and self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s %s failed: %s",
                self.method,
                self.safe_url,
                self.clean(str(exc)),
                extra=self._error_fields(exc, attempt_time=True),
            )
        pair, self._attempt_span = self._attempt_span, None
        if pair is None:
            return
        span, answer = pair[1], self._answer
        if span.is_recording():
            if answer is not None:
                span.set_attribute("http.response.status_code", answer.status)
                if answer.status >= 400:  # the HTTP conventions' error.type: the status
                    mark_failed(span, str(answer.status))
            if isinstance(exc, ContactGroupsError):
                if isinstance(exc, APIError):  # an answer that could not be read
                    span.set_attribute("http.response.status_code", exc.status)
                span.set_attribute("contactgroups.maybe_landed", exc.maybe_landed)
        end_span(pair, exc, None if exc is None else self.clean(str(exc)))

    # -- between attempts ------------------------------------------------------------------------

    def _error_fields(self, error: BaseException, *, attempt_time: bool = False) -> dict[str, Any]:
        if isinstance(error, APIError):
            return self.fields(
                status=error.status, request_id=error.request_id, attempt_time=attempt_time
            )
        return self.fields(attempt_time=attempt_time)

    def _event(self, name: str, attributes: Mapping[str, Any]) -> None:
        if self._call_span is not None:
            self._call_span[1].add_event(name, attributes)

    def retrying(self, delay: float, error: ContactGroupsError) -> None:
        """The call waits ``delay`` seconds, then repeats after ``error``."""
        self._retries += 1
        self._event("retry", {"error.type": error_type(error), "contactgroups.wait_s": delay})
        if self.log.isEnabledFor(logging.INFO):
            self.log.info(
                "retrying %s %s in %.2fs after %s",
                self.method,
                self.safe_url,
                delay,
                self.clean(str(error)),
                extra=self._error_fields(error),
            )

    def giving_up(self, error: ContactGroupsError, delay: float, blocker: str) -> None:
        """The call ends on ``error``: waiting ``delay`` more would overrun ``blocker``."""
        if self.log.isEnabledFor(logging.INFO):
            self.log.info(
                "not retrying %s %s after %s: waiting %.2fs would overrun %s",
                self.method,
                self.safe_url,
                self.clean(str(error)),
                delay,
                blocker,
                extra=self._error_fields(error),
            )

    def polling(self, delay: float) -> None:
        """A ``202``: the call asks again in ``delay`` seconds."""
        self._event("poll", {"contactgroups.wait_s": delay})
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s %s: 202, asking again in %.2fs",
                self.method,
                self.safe_url,
                delay,
                extra=self.fields(status=202),
            )

    def parser_failed(self, exc: Exception, status: int) -> None:
        """A provider's error parser raised ``exc``; the default one is used."""
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s error parser failed (%s); using the default one",
                self._provider,
                self.clean(f"{type(exc).__name__}: {exc}"),
                extra=self.fields(status=status, attempt_time=True),
            )


class _Attempt:
    """``with observer.attempt(n):``: the span of one attempt, current while it is sent."""

    __slots__ = ("observer",)

    def __init__(self, observer: CallObserver) -> None:
        self.observer = observer

    def __enter__(self) -> None:
        self.observer.attempt_started()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.observer.attempt_ended(exc)
