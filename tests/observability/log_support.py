"""Shared by the log tests: the library's log records and their fields."""

from __future__ import annotations

import logging
from typing import Any

from contactgroups._http import LOG_FIELDS


class Records(logging.Handler):
    """Every record of the library's loggers (at DEBUG) while the test runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        return {name: getattr(record, name) for name in LOG_FIELDS}
