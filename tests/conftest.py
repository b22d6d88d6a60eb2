from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import _aioresponses_compat

_aioresponses_compat.install()

# The credentials the fakes (and so most of the suite) use by default, plus the canaries that
# individual tests use. None of them may ever reach a log record, in any test.
SUITE_CREDENTIALS = (
    "test_fakeMessageBirdAccessKey0",
    "fake-messente-password",
    "mf-test-authorization-0123456789abcdef",
    "mf-test-application-key",
    "messengeo-test-client-secret",
    "canary-SECRET-4f9a1c",
)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1]) + " " + str(record.exc_info[1])
        self.texts.append(text)


@pytest.fixture(autouse=True)
def no_credentials_in_debug_logs() -> Iterator[None]:
    """Every test runs with the library's loggers at DEBUG; no record may hold a credential."""
    logger = logging.getLogger("contactgroups")
    handler = _Collect()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    leaks = [t for t in handler.texts for secret in SUITE_CREDENTIALS if secret in t]
    assert not leaks, f"a credential reached a log record: {leaks[0][:200]!r}"
