"""Keeping credentials and phone numbers out of logs, reprs and error messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "redact_headers", "redact_phones", "scrub"]

REDACTED = "<redacted>"
SENSITIVE_HEADERS = frozenset({"authorization", "application-key", "proxy-authorization", "cookie"})

# E.164-looking runs of 7+ digits (what `require_e164` accepts), with or without "+" or "%2B".
# Not inside a longer word, so hex ids keep their digits.
_PHONE_RE = re.compile(r"(?<![0-9A-Za-z])(?:\+|%2B)?\d{7,15}(?![0-9A-Za-z])", re.IGNORECASE)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential values replaced."""
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced (longest first, so no fragment survives)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_phones(text: str) -> str:
    """Phone numbers in a URL or message replaced by their last two digits."""
    return _PHONE_RE.sub(lambda m: "…" + m.group(0)[-2:], text)
