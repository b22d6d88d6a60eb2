"""Keeping credentials and phone numbers out of logs, reprs, error fields and tracebacks.

Two tools, used together:

- ``scrub`` / ``scrub_value``: a credential replaced wherever a vendor's answer (or anything
  built from it) repeats it, also in the forms an echo takes (JSON-escaped, ``\\/``-escaped,
  percent-encoded).
- holders whose ``repr`` shows no value, so that a traceback rendered with its frames' locals
  (``pytest --showlocals``, error trackers) shows none either: ``Secret`` (one credential, held
  by a constructor once checked), ``Secrets`` (the values to scrub), ``RedactedHeaders`` (request
  headers) and ``SealedBody`` (a request body, which may carry an OAuth client secret). Only the
  line that hands a value to aiohttp unwraps it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Final
from urllib.parse import quote, quote_plus

import yarl

__all__ = [
    "REDACTED",
    "SENSITIVE_HEADERS",
    "RedactedHeaders",
    "SealedBody",
    "Secret",
    "Secrets",
    "redact_headers",
    "redact_phones",
    "scrub",
    "scrub_value",
]

REDACTED: Final = "<redacted>"
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "application-key",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
    }
)

# E.164-looking runs of 7+ digits (what `require_e164` accepts), with or without "+" or "%2B".
# Not inside a longer word, so hex ids keep their digits.
_PHONE_RE = re.compile(r"(?<![0-9A-Za-z])(?:\+|%2B)?\d{7,15}(?![0-9A-Za-z])", re.IGNORECASE)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential values replaced."""
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _echoes(secret: str) -> set[str]:
    """``secret`` and the forms an echo of it takes: JSON-escaped (also with ``\\/``, as PHP
    writes it), percent-encoded in either case (a form body, a path or a query echoed, also as
    yarl writes a query value), HTML-escaped (an error page), and a base64 value without its
    ``=`` padding."""
    forms = {secret}
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms.update((escaped, escaped.replace("/", "\\/")))
    # as yarl writes a query value (a URL echoed): "/" and ":" kept, "+" and "=" encoded
    in_query = yarl.URL.build(query={"q": secret}).raw_query_string[2:]
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe=""), in_query):
        forms.update((encoded, _PERCENT.sub(lambda m: m.group(0).lower(), encoded)))
    forms.update((html.escape(secret, quote=True), html.escape(secret, quote=False)))
    unpadded = secret.rstrip("=")
    if unpadded != secret and len(unpadded) >= 8:
        forms.add(unpadded)
    return forms


def _variants(secrets: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for secret in secrets:
        if secret:
            found |= _echoes(secret)
    return sorted(found, key=len, reverse=True)  # longest first, so no fragment survives


_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]+")


def _may_echo(secret: str, text: str) -> bool:
    """False only when no form of ``secret`` (``_echoes``) can be in ``text``: every form keeps
    the secret's ASCII letters and digits as they are, so its longest run of them is in each."""
    runs = _ASCII_ALNUM.findall(secret)
    return not runs or max(runs, key=len) in text


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced, in every form an echo of it takes (the forms
    are worked out only for a secret that may be there: a request id per answer costs a few
    substring checks)."""
    for secret in _variants([s for s in secrets if s and _may_echo(s, text)]):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub_value(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every secret replaced in every string it holds: dict keys and values,
    lists and tuples, recursively. A number whose digits hold a secret becomes scrubbed text;
    anything else (None, booleans, numbers) is kept as is."""
    variants = _variants(secrets)
    return _scrub_any(value, variants) if variants else value


def _scrub_text(text: str, variants: list[str]) -> str:
    for secret in variants:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub_any(value: Any, variants: list[str]) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, variants)
    if isinstance(value, Mapping):
        return {_scrub_any(k, variants): _scrub_any(v, variants) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_any(v, variants) for v in value) if value else value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(value)
        scrubbed = _scrub_text(text, variants)
        return value if scrubbed == text else scrubbed
    return value


def redact_phones(text: str) -> str:
    """Phone numbers in a URL or message replaced by their last two digits."""
    return _PHONE_RE.sub(lambda m: "…" + m.group(0)[-2:], text)


class Secret:
    """One credential, shown nowhere: ``repr``/``str`` give ``<redacted>``, ``reveal()`` the
    value. Constructors rebind a credential parameter to one right after checking it, so no
    frame of a traceback rendered with locals shows the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


class Secrets(tuple[str, ...]):
    """The values to scrub (a tuple), whose ``repr`` shows how many, never which."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secrets(<{len(self)} redacted>)"


class RedactedHeaders(Mapping[str, str]):
    """Request headers (aiohttp takes any mapping) whose ``repr`` hides credential values
    (``SENSITIVE_HEADERS``): what auth hooks return and what the transport hands to aiohttp."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._headers: dict[str, str] = dict(headers)

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> RedactedHeaders:
        """``headers`` as a ``RedactedHeaders`` (itself if it already is one)."""
        return headers if isinstance(headers, RedactedHeaders) else cls(headers)

    @classmethod
    def merged(cls, *parts: Mapping[str, str]) -> RedactedHeaders:
        """``parts`` in one ``RedactedHeaders``, a later part's header replacing an earlier one's
        of the same name (as ``{**a, **b}``)."""
        headers: dict[str, str] = {}
        for part in parts:
            headers.update(part.items())  # the dict's own view: read in C
        return cls(headers)

    def __getitem__(self, key: str) -> str:
        return self._headers[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    # the dict's own views and look-ups (in C): what aiohttp reads the headers with
    def __contains__(self, key: object) -> bool:
        return key in self._headers

    def keys(self) -> KeysView[str]:
        return self._headers.keys()

    def items(self) -> ItemsView[str, str]:
        return self._headers.items()

    def values(self) -> ValuesView[str]:
        return self._headers.values()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_headers(self._headers)!r})"


class SealedBody:
    """A request body as bytes, shown nowhere: ``repr`` gives its size only. The transport
    unwraps it (``reveal()``) inline in the call that hands it to aiohttp."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def reveal(self) -> bytes:
        return self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"SealedBody(<{len(self._data)} bytes>)"
