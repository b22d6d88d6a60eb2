"""OpenTelemetry spans, without ever importing OpenTelemetry.

Spans are made once the application has imported ``opentelemetry.trace`` (setting up the
OpenTelemetry SDK does; the ``otel`` extra installs the API): ``tracer()`` looks for that module
in ``sys.modules`` and is None without it, so a program that does not use OpenTelemetry imports
and runs nothing of it. Every span is made with ``record_exception=False``: a failure is recorded
here, as ``error.type`` (the exception's class, or the HTTP status of an attempt), an error status
and an ``exception`` event whose message the caller has cleaned (credentials scrubbed, phone
numbers redacted); no traceback, header or body is put in a span.

``observe.CallObserver`` spans each call and attempt; ``JobSpan`` spans a bulk job of ``multi``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Final

from .._version import __version__
from .redact import redact_phones

__all__ = [
    "TRACER_NAME",
    "JobSpan",
    "end_span",
    "error_type",
    "mark_failed",
    "start_span",
    "tracer",
]

#: The instrumentation scope of every span (``trace.get_tracer(TRACER_NAME, __version__)``).
TRACER_NAME: Final = "contactgroups"
_TRACE_MODULE: Final = "opentelemetry.trace"

# the tracer of the `opentelemetry.trace` module in use (at most one entry)
_tracers: dict[Any, Any] = {}

#: A started span: (the context manager that made it current, the span).
Started = tuple[Any, Any]


def tracer() -> Any:
    """The contactgroups tracer, or None while the application has not imported OpenTelemetry."""
    trace = sys.modules.get(_TRACE_MODULE)
    if trace is None:
        return None
    found = _tracers.get(trace)
    if found is None:
        _tracers.clear()
        found = _tracers[trace] = trace.get_tracer(TRACER_NAME, __version__)
    return found


def start_span(
    tracer: Any,
    name: str,
    attributes: Callable[[], Mapping[str, Any]],
    *,
    client: bool = False,
) -> Started:
    """A span (INTERNAL, or CLIENT for one HTTP attempt) started and made current; its
    ``attributes()`` are only worked out when it records (not under a no-op tracer)."""
    trace = sys.modules[_TRACE_MODULE]
    context = tracer.start_as_current_span(
        name,
        kind=trace.SpanKind.CLIENT if client else trace.SpanKind.INTERNAL,
        record_exception=False,
        set_status_on_exception=False,
    )
    span = context.__enter__()
    if span.is_recording():
        span.set_attributes(attributes())
    return context, span


def error_type(error: BaseException) -> str:
    """``error.type`` for an exception: its class's full name."""
    cls = type(error)
    return f"{cls.__module__}.{cls.__qualname__}"


def mark_failed(span: Any, kind: str, message: str | None = None) -> None:
    """Set ``error.type`` to ``kind`` and the span's status to error."""
    trace = sys.modules[_TRACE_MODULE]
    span.set_attribute("error.type", kind)
    span.set_status(trace.Status(trace.StatusCode.ERROR, message))


def end_span(started: Started, error: BaseException | None, message: str | None) -> None:
    """End a span (and stop it being current); ``error`` (with its cleaned ``message``) marks
    it failed first."""
    context, span = started
    if error is not None and span.is_recording():
        mark_failed(span, error_type(error), message)
        span.add_event(
            "exception",
            {"exception.type": error_type(error), "exception.message": message or ""},
        )
    context.__exit__(None, None, None)


class JobSpan:
    """A bulk job's span, ``"contactgroups.multi <action>"``: its action, providers and ids, then
    (``finish``) the ids per outcome as ``contactgroups.multi.<outcome>``. Nothing when not
    tracing."""

    __slots__ = ("_action", "_attributes", "_started")

    def __init__(self, action: str, providers: Sequence[str], ids: int) -> None:
        self._action = action
        self._attributes = {
            "contactgroups.multi.action": action,
            "contactgroups.multi.providers": list(providers),
            "contactgroups.multi.ids": ids,
        }
        self._started: Started | None = None

    def __enter__(self) -> JobSpan:
        found = tracer()
        if found is not None:
            self._started = start_span(
                found, f"contactgroups.multi {self._action}", lambda: self._attributes
            )
        return self

    def finish(
        self, counts: Mapping[str, int], *, ok: bool, deadline_passed: bool, cancelled: bool
    ) -> None:
        """The job's outcome: ids per outcome; ``ok`` when every id landed."""
        if self._started is None or not self._started[1].is_recording():
            return
        span = self._started[1]
        for outcome, count in counts.items():
            span.set_attribute(f"contactgroups.multi.{outcome}", count)
        span.set_attribute("contactgroups.multi.deadline_passed", deadline_passed)
        span.set_attribute("contactgroups.multi.cancelled", cancelled)
        if not ok and not cancelled:
            mark_failed(span, "incomplete", "some ids did not land")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        started, self._started = self._started, None
        if started is not None:
            end_span(started, exc, None if exc is None else redact_phones(str(exc)))
