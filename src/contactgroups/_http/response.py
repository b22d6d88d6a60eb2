"""A vendor's answer and the helpers that read it: JSON, models, and what an error says."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import cattrs

from ..errors import APIError, MalformedResponseError, error_class_for_status
from .convert import STRUCTURE_ERRORS
from .redact import scrub, scrub_value

__all__ = [
    "MAX_JSON_DEPTH",
    "ErrorCheck",
    "ErrorInfo",
    "ErrorParser",
    "Response",
    "api_error",
    "default_error_parser",
    "failed",
    "parse_json",
    "parsed_error",
]

T = TypeVar("T")

#: The most of a body an error keeps (as text, credentials scrubbed).
ERROR_BODY_CHARS = 10_000
#: An error keeps at most this much of the vendor's message, and of its error objects at most
#: ``MAX_ERROR_ITEMS``, each at most ``ERROR_ITEM_CHARS`` of JSON: a report holds one error per
#: failed chunk, so what a vendor says must not decide how much memory a job takes.
ERROR_MESSAGE_CHARS = 1_000
MAX_ERROR_ITEMS = 20
ERROR_ITEM_CHARS = 2_000
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The most of a reason a ``MalformedResponseError`` message keeps (credentials scrubbed first).
REASON_CHARS = 1_000
#: How deep an answer's JSON may nest. Vendor answers nest a handful of levels; a deeper one is
#: refused before anything (``repr``, ``json.dumps``, cattrs, a user's logging) recurses into it.
MAX_JSON_DEPTH = 64
#: The most JSON values (counted from its commas and containers) an answer may hold: far above any
#: documented page (a 1000-item page holds some 30,000), and a bound on what parsing can cost in
#: memory (16 MiB of ``[{},{},...]`` would be five million objects, over 400 MB).
MAX_JSON_VALUES = 1_000_000


# -- JSON ----------------------------------------------------------------------------------------
# Depth is measured on the bytes, in C: escapes and string contents dropped, both kinds of
# bracket made one, then one level of innermost pairs removed per pass.
_ESCAPED_BACKSLASH = b"\\\\"
_ESCAPED_QUOTE = b'\\"'
_BRACKETS_ONLY = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')


def _deeper_than(raw: bytes, limit: int) -> bool:
    """True when the JSON text ``raw`` (valid UTF-8 JSON) nests deeper than ``limit``."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    if b"\\" in raw:
        # a run of backslashes in a string escapes pairwise: drop the pairs, then escaped quotes
        raw = raw.replace(_ESCAPED_BACKSLASH, b"").replace(_ESCAPED_QUOTE, b"")
    # quotes and brackets only; an adjacent pair of quotes is an empty string or two strings
    # side by side (merging them keeps every bracket inside a string inside one)
    shape = raw.translate(_BRACKETS_ONLY, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in shape:
        shape = _STRING.sub(b"", shape)  # strings that hold brackets
    for _ in range(limit):
        shape = shape.replace(b"[]", b"")
        if not shape:
            return False
    return True


class _Refused(ValueError):
    """A JSON text that parses but that no vendor sends (NaN, 1e999)."""


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:20]} is out of range")
    return value


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis says it was); scrub before clipping."""
    return text if len(text) <= limit else text[:limit] + "…"


def error_items(errors: Sequence[Mapping[str, Any]], secrets: Iterable[str]) -> tuple[Any, ...]:
    """The vendor's error objects as an error keeps them: credentials scrubbed, at most
    ``MAX_ERROR_ITEMS``, an object over ``ERROR_ITEM_CHARS`` of JSON kept as its clipped text."""
    items = tuple(errors)
    kept: list[Any] = []
    for item in items[:MAX_ERROR_ITEMS]:
        item = scrub_value(item, secrets)
        text = json.dumps(item, default=str, ensure_ascii=False)
        kept.append(
            item if len(text) <= ERROR_ITEM_CHARS else {"truncated": clip(text, ERROR_ITEM_CHARS)}
        )
    if len(items) > MAX_ERROR_ITEMS:
        kept.append({"truncated": f"{len(items) - MAX_ERROR_ITEMS} more error objects"})
    return tuple(kept)


def _values_in(raw: bytes) -> int:
    """About how many values a JSON text holds (commas inside strings count too: an overcount)."""
    return raw.count(b",") + raw.count(b"{") + raw.count(b"[")


def parse_json(data: bytes | str) -> Any:
    """A vendor's JSON; ``ValueError`` (saying why) for anything unreadable: not UTF-8, not JSON,
    nested deeper than ``MAX_JSON_DEPTH``, more than ``MAX_JSON_VALUES`` values,
    ``NaN``/``Infinity`` or a number out of range (a float beyond 1e308, an integer over Python's
    4300 digits). Never anything but ``ValueError``."""
    if isinstance(data, str):
        raw = data.encode("utf-8", "surrogatepass")
        text = data
    else:
        raw = data
        try:
            text = data.decode("utf-8-sig")  # RFC 8259: UTF-8 (a byte order mark is allowed)
        except UnicodeDecodeError as exc:
            raise ValueError(f"not UTF-8 at byte {exc.start}") from None
    if len(raw) > MAX_JSON_VALUES and _values_in(raw) > MAX_JSON_VALUES:
        raise ValueError(f"more than {MAX_JSON_VALUES:,} values")
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None
    except ValueError:
        raise ValueError("an integer has more digits than Python reads") from None
    if _deeper_than(raw, MAX_JSON_DEPTH):
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


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
    #: the request's method: an unreadable 2xx answer to a write may mean it was applied
    method: str = attrs.field(default="GET", kw_only=True)

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
        """The body as JSON; an empty body is None; anything unreadable (see ``parse_json``:
        not UTF-8, deep nesting, ``NaN``, huge numbers) is ``MalformedResponseError``."""
        if not self.body.strip():
            return None
        try:
            return parse_json(self.body)
        except ValueError as exc:
            raise self._unusable(f"the answer is not usable JSON ({exc})") from None

    def json_object(self) -> Mapping[str, Any] | None:
        """The body as a JSON object, or None for anything else (for reading error bodies,
        which may be HTML from a proxy): never raises. Credentials are scrubbed from every key
        and value, so a parser that cuts a value cannot leave a fragment of one."""
        if not self.body.strip():
            return None
        try:
            data = parse_json(self.body)
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
        reason = scrub(why, self.secrets)
        if len(reason) > REASON_CHARS:
            reason = reason[:REASON_CHARS] + "…"
        return self._unusable(f"unexpected answer: {reason}")

    def _unusable(self, message: str) -> MalformedResponseError:
        error = MalformedResponseError(
            message,
            status=self.status,
            provider=self.provider,
            request_id=self.safe_request_id(),
            body=self.body_for_error(),
        )
        # the vendor accepted a write (2xx) and then said something unreadable: it may have been
        # applied, so `multi` reads it back and a caller does not repeat a create blindly
        error.maybe_landed = 200 <= self.status < 300 and self.method not in _READS
        return error

    def structure(self, converter: cattrs.Converter, data: Any, cls: type[T]) -> T:
        """``data`` (part of this answer) as ``cls``; a shape mismatch is MalformedResponseError."""
        try:
            return converter.structure(data, cls)
        except STRUCTURE_ERRORS as exc:
            raise self.malformed(f"{cls.__name__}: {_reasons(exc)}") from None


def _reasons(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        try:
            return "; ".join(cattrs.transform_error(exc))
        except Exception:  # cattrs' formatter assumes messages it may not get
            pass
    try:
        return str(exc) or type(exc).__name__
    except Exception:
        return type(exc).__name__


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


def failed(response: Response, is_error: ErrorCheck | None) -> bool:
    """Whether an answer is an error: any status outside 2xx (redirects are not followed: a
    vendor API never needs one), or a 2xx the provider's ``is_error`` calls one."""
    if not 200 <= response.status < 300:
        return True
    return is_error is not None and is_error(response)


def parsed_error(
    response: Response,
    parse_error: ErrorParser,
    secrets: Iterable[str],
    *,
    provider: str,
    retry_after: float | None,
    parser_failed: Callable[[Exception, int], None],
) -> APIError:
    """``api_error`` for a vendor's error answer as the provider's ``parse_error`` reads it;
    a parser that raises or gives something else is reported to ``parser_failed`` and the
    default one is used (a parser's bug must not hide the vendor's answer)."""
    try:
        info = parse_error(response)
        if not isinstance(info, ErrorInfo) or not isinstance(info.message, str):
            raise TypeError(f"the parser gave {type(info).__name__}, not an ErrorInfo")
    except Exception as exc:
        parser_failed(exc, response.status)
        info = default_error_parser(response)
    return api_error(response, info, secrets, provider=provider, retry_after=retry_after)


def api_error(
    response: Response,
    info: ErrorInfo,
    secrets: Iterable[str],
    *,
    provider: str,
    retry_after: float | None,
) -> APIError:
    """The ladder's error for a vendor's error answer, as ``info`` reads it: the client's
    credentials scrubbed from every field (message, code, errors, request id, body), and what
    the vendor said kept to a bounded size."""
    cls = info.error_class or error_class_for_status(response.status)
    code = scrub_value(info.code, secrets)
    request_id = info.request_id or response.request_id
    error = cls(
        clip(scrub(info.message, secrets), ERROR_MESSAGE_CHARS),
        status=response.status,
        provider=provider,
        code=code if isinstance(code, (str, int)) else None,
        request_id=scrub(request_id, secrets) if request_id else request_id,
        body=scrub(response.body_for_error(), secrets),
        errors=error_items(info.errors, secrets),
        retry_after=retry_after,
    )
    # what the transport saw decides, whatever class the vendor's code mapped to
    error.maybe_landed = response.status >= 500
    return error
