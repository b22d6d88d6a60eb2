"""Fixtures for the observability tests: ``spans`` (the spans ended during the test) and
``records`` (the library's log records)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from log_support import Records

if TYPE_CHECKING:
    from otel_support import Spans

# the hostile vendor and the canary credentials of the secrets tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hardening"))


@pytest.fixture
def spans() -> Iterator[Spans]:
    pytest.importorskip(
        "opentelemetry.sdk", reason="the span tests need the test extra: pip install -e '.[test]'"
    )
    from otel_support import PROCESSOR, Spans, install

    install()
    PROCESSOR.exporter.clear()
    PROCESSOR.armed = True
    try:
        yield Spans(PROCESSOR)
    finally:
        PROCESSOR.armed = False
        PROCESSOR.exporter.clear()


@pytest.fixture
def records() -> Iterator[Records]:
    logger = logging.getLogger("contactgroups")
    handler = Records()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
