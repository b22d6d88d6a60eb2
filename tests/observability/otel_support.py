"""Shared by the span tests: the spans the library made, read back from the OpenTelemetry SDK's
in-memory exporter (needs the SDK, from the test extra)."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class ArmedProcessor(SpanProcessor):
    """Keeps the spans that end while a test is reading them; drops the rest (the tests that run
    after these ones in the same process make spans too, now that OpenTelemetry is imported)."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.armed = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.armed:
            self.exporter.export((span,))


PROCESSOR = ArmedProcessor()


def install() -> None:
    """The process's tracer provider (set once: OpenTelemetry allows no second one)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return
    provider = TracerProvider()
    provider.add_span_processor(PROCESSOR)
    trace.set_tracer_provider(provider)


class Spans:
    """The spans ended since the test started."""

    def __init__(self, processor: ArmedProcessor) -> None:
        self.processor = processor

    def all(self) -> list[ReadableSpan]:
        return list(self.processor.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.all() if s.name == name]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        return [
            s
            for s in self.all()
            if s.parent is not None and s.parent.span_id == parent.context.span_id
        ]

    def texts(self) -> list[str]:
        """Every name, attribute, event and status text of every span, as text."""
        out: list[str] = []
        for span in self.all():
            out.append(span.name)
            out.extend(f"{k}={v!r}" for k, v in (span.attributes or {}).items())
            out.append(str(span.status.description))
            for event in span.events:
                out.append(event.name)
                out.extend(f"{k}={v!r}" for k, v in (event.attributes or {}).items())
        return out
