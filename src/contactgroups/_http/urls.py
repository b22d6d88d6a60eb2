"""URLs: the base URL rules, one path segment per id, and query parameters."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import quote, urlsplit

import yarl

from ..errors import InvalidRequestError

__all__ = [
    "Params",
    "check_base_url",
    "has_control",
    "is_loopback",
    "join_path",
    "path_segment",
    "path_segments",
    "plain_text",
    "query_pairs",
    "quote_text",
]

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_SPACE_RE = re.compile(r"[\s\x00-\x1f\x7f]")
# labels of letters, digits, "-" and "_" (1..63 each), dot-separated, an optional final dot
_HOSTNAME_RE = re.compile(r"(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?")
_UNRESERVED_RE = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 3986: never needs quoting
_UNRESERVED_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"
_UNRESERVED_PATH_BYTES = _UNRESERVED_BYTES + b"/"  # in a path of ASCII segments: not quoted
_PERCENT = {chr(code): f"%{code:02X}" for code in range(128)}  # as quote() writes them
_CONTROL_BYTES = bytes(range(0x20)) + b"\x7f"


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (where plain http is fine)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(
    base_url: object,
    *,
    allow_insecure_http: bool,
    what: str = "base_url",
    provider: str | None = None,
) -> str:
    """``base_url`` as an absolute http(s) URL we may use (normalised: the host in ASCII, the
    path percent-encoded, no trailing slash).

    Every problem is an ``InvalidRequestError`` naming ``what``, never a plain ``ValueError``:
    not a string, spaces or control characters, a backslash, a user name or password (refused,
    and never repeated in the message), a query or fragment, a host or port that cannot be read
    (IDNA, brackets, out of range), another scheme, plain http to a host that is not loopback.
    """

    def refuse(why: str) -> InvalidRequestError:
        return InvalidRequestError(f"{what} {why}", provider=provider)

    if not isinstance(base_url, str):
        raise refuse(f"must be a string, not {type(base_url).__name__}")
    if _SPACE_RE.search(base_url):
        raise refuse("must not contain spaces or control characters")
    if "\\" in base_url:
        raise refuse("must not contain a backslash")
    try:
        netloc = urlsplit(base_url).netloc
        url = yarl.URL(base_url)
        host, port = url.raw_host, url.explicit_port
        url.host  # noqa: B018 - decoding the host (IDNA) may fail: it is what aiohttp will do
        has_user = url.raw_user is not None or url.raw_password is not None
        text = str(url)
    except ValueError:  # UnicodeError (IDNA) is one too
        raise refuse("is not a valid URL: its host or port cannot be read") from None
    if "@" in netloc or has_user:
        raise refuse(
            "must not contain a user name or password; give credentials to the client instead"
        )
    if "?" in base_url or "#" in base_url:
        raise refuse("must not have a query or a fragment")
    if url.scheme not in ("http", "https") or not host:
        raise refuse("must be an absolute http(s) URL")
    if not _valid_host(host):
        raise refuse("has an invalid host name")
    if port is not None and not 0 < port < 65536:
        raise refuse("has an invalid port")
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(host):
        raise refuse(
            "uses plain http to a non-loopback host; "
            "pass allow_insecure_http=True if you really mean it"
        )
    return text.rstrip("/")


def _valid_host(host: str) -> bool:
    """A DNS name (ASCII, as yarl gives it after IDNA) or an IP address."""
    if _HOSTNAME_RE.fullmatch(host) and len(host) <= 253:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def plain_text(text: str) -> bool:
    """True when ``text`` is ASCII letters and digits only (and not empty): the usual ids.
    Checked on its bytes: ``str.isalnum`` looks every character up in the Unicode tables, over
    ten times slower on the joined ids of a call."""
    return text.isascii() and text.encode("ascii").isalnum()


def all_plain(texts: Sequence[str]) -> bool:
    """True when every one of ``texts`` (one or more strings) is ``plain_text``: checked joined,
    at once (a bulk list of ids in one pass, not one call per id)."""
    return bool(texts) and "" not in texts and plain_text("".join(texts))


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character (``\\x00``-``\\x1f``, ``\\x7f``); ASCII text
    is checked on its bytes, several times faster than the regex."""
    if text.isascii():
        data = text.encode("ascii")
        return len(data.translate(None, _CONTROL_BYTES)) != len(data)
    return _CONTROL_RE.search(text) is not None


def path_segment(value: object, *, what: str = "id", provider: str | None = None) -> str:
    """``value`` checked as one URL path segment (it is percent-quoted when the URL is built)."""
    if type(value) is str:
        if plain_text(value):  # the usual id: nothing below can refuse it
            return value
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise InvalidRequestError(
            f"{what} must be a string, not {type(value).__name__}", provider=provider
        )
    if not text:
        raise InvalidRequestError(f"{what} must not be empty", provider=provider)
    if text == "." or text == "..":
        raise InvalidRequestError(f"{what} {text!r} is not a valid id", provider=provider)
    if _CONTROL_RE.search(text):
        raise InvalidRequestError(f"{what} must not contain control characters", provider=provider)
    return text


def path_segments(
    values: Sequence[object], *, what: str = "id", provider: str | None = None
) -> list[str]:
    """Each of ``values`` checked as ``path_segment`` checks it (the same errors, the first bad
    one raising), as a new list; plain strings, the usual case, are checked all at once."""
    if list(map(type, values)).count(str) == len(values):
        texts = cast("Sequence[str]", values)
        joined = "".join(texts)
        if "" not in texts and (
            plain_text(joined)  # then no "." or "..", no control character
            or ("." not in texts and ".." not in texts and not has_control(joined))
        ):
            return list(texts)
    return [path_segment(value, what=what, provider=provider) for value in values]


def _quote_segment(text: str) -> str:
    return text if _UNRESERVED_RE.fullmatch(text) else quote(text, safe="")


def quote_text(text: str) -> str:
    """``quote(text, safe="")``; ASCII text (a form of ids, say) replaced character by character
    in C rather than byte by byte in Python, several times faster on a long value."""
    if not text.isascii():
        return quote(text, safe="")
    if _UNRESERVED_RE.fullmatch(text) or not text:
        return text
    return _quoted(text, set(text.encode("ascii").translate(None, _UNRESERVED_BYTES)))


def _quoted(text: str, reserved: set[int]) -> str:
    """ASCII ``text`` with each of the ``reserved`` characters (their codes) percent-encoded as
    ``quote`` writes them, each replaced at once (in C)."""
    if 0x25 in reserved:  # "%" first: the ones put in later start with it
        text = text.replace("%", "%25")
        reserved.discard(0x25)
    for code in reserved:
        char = chr(code)
        text = text.replace(char, _PERCENT[char])
    return text


def join_path(base_url: str, segments: Sequence[object], *, provider: str) -> yarl.URL:
    """``base_url`` + each segment percent-quoted (``/``, ``?``, ``#``, ``%`` and ``+`` too)."""
    if segments and list(map(type, segments)).count(str) == len(segments):
        texts = cast("Sequence[str]", segments)
        path = "/".join(texts)
        # segments checked all at once (as ``path_segment`` checks each), quoted at once when
        # ASCII and none holds a "/": the usual path
        if (
            "." not in texts
            and ".." not in texts
            and "" not in texts
            and path.isascii()
            and path.count("/") == len(texts) - 1
        ):
            reserved = set(path.encode("ascii").translate(None, _UNRESERVED_PATH_BYTES))
            if not reserved:  # none needs quoting
                return yarl.URL(base_url + "/" + path, encoded=True)
            if reserved.isdisjoint(_CONTROL_BYTES):
                return yarl.URL(base_url + "/" + _quoted(path, reserved), encoded=True)
    path = "".join("/" + _quote_segment(path_segment(s, provider=provider)) for s in segments)
    return yarl.URL(base_url + path, encoded=True)


def query_pairs(params: Params) -> list[tuple[str, str]]:
    """Parameters as (name, text) pairs: None left out, booleans as ``true``/``false``."""
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((key, str(value)))
    return pairs
