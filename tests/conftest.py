from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import pytest_timeout

import _aioresponses_compat

_aioresponses_compat.install()

if "MUTANT_UNDER_TEST" in os.environ:
    # Under mutmut (`nox -s mutants`): import the whole package once, outside any mutant. mutmut
    # checks that a mutant can fail the tests by making every function raise; a module first
    # imported then (by the vendors' conftest files) would stop pytest with a usage error.
    import contactgroups.multi
    import contactgroups.testing.messagebird
    import contactgroups.testing.messageflow
    import contactgroups.testing.messengeo
    import contactgroups.testing.messente  # noqa: F401  (each imports its provider)

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


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's "thread" method, with the test named when its time runs out (the stacks
    it prints show an event loop waiting, not which test started it)."""
    if settings.method != "thread":
        return None

    def ran_over() -> None:
        capture = item.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(item)
        title = f"Timeout: {item.nodeid} ran over {settings.timeout:g} s"
        item.config.get_terminal_writer().sep("+", title)
        pytest_timeout.timeout_timer(item, settings)  # prints every stack, ends the run (exit 1)

    timer = threading.Timer(settings.timeout, ran_over)
    timer.name = f"timeout {item.nodeid}"

    def cancel() -> None:
        timer.cancel()
        timer.join()

    item.cancel_timeout = cancel  # type: ignore[attr-defined]  (what pytest-timeout cancels)
    timer.start()
    return True
