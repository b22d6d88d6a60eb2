"""MessageFlow's constants and wire helpers: every limit and name defined once, ids encoded and
checked, arguments turned into query values, and the ``{meta, data, errors}`` envelope read.

A leaf module: it imports only the shared core and ``contactgroups.errors``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, Final, TypeVar, cast

from .._http import AdapterLimits, Response, id_list, lenient_int, parse_json, scrub
from ..errors import InvalidRequestError, NotFoundError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "GROUP_ORDER_BY",
    "MAX_IDS_PER_CALL",
    "MAX_PAGE_SIZE",
    "MEMBER_ORDER_BY",
    "ORDER_DIRECTIONS",
    "PROVIDER",
    "canonical_as_given",
    "canonical_id",
    "count_of",
    "data_list",
    "digits_key",
    "envelope",
    "id_array",
    "ids_of",
    "is_no_results",
    "listed_ids",
    "numeric_id",
    "numeric_ids",
    "objects_or_keywords",
    "one_or_many",
    "optional_text",
    "order_params",
    "request_id_of",
    "vendor_datetime",
    "written_as_numbers",
]

PROVIDER: Final = "messageflow"
DEFAULT_BASE_URL: Final = "https://api.messageflow.com/v2.1"
#: the vendor's page-size ceiling (``limit``) on every listing
MAX_PAGE_SIZE: Final = 1000
#: the vendor's default ``limit``
DEFAULT_PAGE_SIZE: Final = 100
#: Ids per add/remove call. The vendor documents no limit; 1000 matches its page-size ceiling
#: and keeps one body small (a guess, not a vendor rule).
MAX_IDS_PER_CALL: Final = MAX_PAGE_SIZE
#: membership calls ``multi`` runs at once for one account unless told otherwise
DEFAULT_CONCURRENCY: Final = 4

GROUP_ORDER_BY: Final = ("id", "createdAt", "name")
MEMBER_ORDER_BY: Final = ("id", "createdAt")
ORDER_DIRECTIONS: Final = ("ASC", "DESC")

T = TypeVar("T")

_LEADING_ZERO_OR_EMPTY = re.compile(r",(?:0[0-9]|,)")


# -- ids -----------------------------------------------------------------------------------------


def numeric_id(value: object, *, what: str = "id") -> int:
    """A MessageFlow id (``str`` of digits or ``int``) as the integer the vendor documents."""
    if type(value) is str:
        if value.isascii() and value.isdigit():
            return int(value)
    elif type(value) is int and value >= 0:
        return value
    # the slow path only explains what is wrong
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidRequestError(
            f"{what} must be a string of digits or an integer, not {type(value).__name__}",
            provider=PROVIDER,
        )
    if isinstance(value, int):
        raise InvalidRequestError(f"{what} must not be negative", provider=PROVIDER)
    shown = value if len(value) <= 32 else value[:32] + "…"
    raise InvalidRequestError(
        f"{what} must be digits: MessageFlow ids are integers (got {shown!r})",
        provider=PROVIDER,
    )


def digits_key(value: str) -> str | None:
    """A string of ASCII digits (surrounding whitespace dropped) without its leading zeros, the
    form the vendor lists (``"007"``, ``" 7 "`` -> ``"7"``); None for anything else. No
    conversion to ``int``, so no limit on the digits."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        return text.lstrip("0") or "0"
    return None


def canonical_as_given(ids: Sequence[str]) -> bool:
    """True when ``canonical_id`` returns every one of ``ids`` as it is: digit strings without a
    leading zero, the form the vendor lists (``written_as_numbers``, checked at once)."""
    return written_as_numbers(ids)


def canonical_id(value: str, *, what: str = "contact id") -> str:
    """An id as MessageFlow stores and lists it (``digits_key``); anything that is not digits
    is refused with ``InvalidRequestError`` (MessageFlow ids are integers)."""
    if (
        type(value) is str
        and value.isascii()
        and value.encode("ascii").isdigit()
        and value[0] != "0"
    ):
        return value  # the usual id (checked on its bytes: in C): nothing below changes it
    key = digits_key(value) if isinstance(value, str) else None
    if key is None:
        numeric_id(value, what=what)  # raises, saying what is wrong
        raise InvalidRequestError(f"{what} must be digits", provider=PROVIDER)  # pragma: no cover
    return key


def numeric_ids(ids: Iterable[str | int], *, what: str) -> list[int]:
    """1 or more ids (a list, not a bare string) as integers."""
    if type(ids) is list and ids and set(map(type, ids)) == {str} and "" not in ids:
        joined = "".join(ids)
        if joined.isascii() and joined.isdigit():  # the common case, checked in C
            return list(map(int, ids))
    return id_list(ids, what=what, provider=PROVIDER, convert=partial(numeric_id, what=what))


def written_as_numbers(ids: Sequence[object]) -> bool:
    """True when ``ids`` (one or more) are all digit strings without a leading zero, the form
    the vendor lists them in and JSON writes numbers in (checked with one regex, not per id)."""
    if not ids or list(map(type, ids)).count(str) != len(ids):
        return False
    joined = ",".join(cast("Sequence[str]", ids))
    # one comma per gap (an id holding a comma of its own must not become two ids), ASCII
    # digits only (checked on the bytes: in C, without the Unicode tables), no empty id and none
    # with a leading zero (but "0" itself)
    return (
        joined.count(",") == len(ids) - 1
        and joined.isascii()
        and joined.encode("ascii").translate(None, b",").isdigit()
        and _LEADING_ZERO_OR_EMPTY.search(f",{joined},") is None
    )


def id_array(ids: Iterable[str | int], *, what: str) -> bytes:
    """``{"id":[1,2,3]}`` as JSON, the body of a bulk membership call. Digit strings without a
    leading zero (the common case) are already JSON numbers: written as they are, with one regex
    check instead of a conversion."""
    if type(ids) is list and written_as_numbers(ids):
        return b'{"id":[' + ",".join(ids).encode("ascii") + b"]}"
    numbers = numeric_ids(ids, what=what)
    return b'{"id":[' + ",".join(map(str, numbers)).encode("ascii") + b"]}"


# -- arguments -----------------------------------------------------------------------------------


def order_params(
    order_by: str | None, order_direction: str | None, allowed: Sequence[str]
) -> list[tuple[str, str]]:
    """``orderBy`` (one of ``allowed``) and ``orderDirection`` (``ASC``/``DESC``), when given."""
    params: list[tuple[str, str]] = []
    if order_by is not None:
        if order_by not in allowed:
            raise InvalidRequestError(
                f"order_by must be one of {', '.join(allowed)} (got {order_by!r})",
                provider=PROVIDER,
            )
        params.append(("orderBy", order_by))
    if order_direction is not None:
        direction = order_direction.upper() if isinstance(order_direction, str) else None
        if direction not in ORDER_DIRECTIONS:
            raise InvalidRequestError(
                f"order_direction must be ASC or DESC (got {order_direction!r})",
                provider=PROVIDER,
            )
        params.append(("orderDirection", direction))
    return params


def optional_text(value: object, *, what: str) -> str | None:
    """``value`` if it is a string or None; anything else is refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"{what} must be a string, not {type(value).__name__}", provider=PROVIDER
        )
    return value


def vendor_datetime(value: dt.datetime | str | None, *, what: str) -> str | None:
    """A datetime as the vendor's ``YYYY-MM-DD hh:mm:ss``; a string is sent as given."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    raise InvalidRequestError(
        f"{what} must be a datetime or a 'YYYY-MM-DD hh:mm:ss' string", provider=PROVIDER
    )


def one_or_many(value: object, kind: type[T], *, what: str) -> list[T]:
    """One ``kind`` object or a non-empty iterable of them, as a list."""
    items = [value] if isinstance(value, kind) else value
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidRequestError(
            f"pass a {kind.__name__} or a list of them as {what}", provider=PROVIDER
        )
    result = list(items)
    for item in result:
        if not isinstance(item, kind):
            raise InvalidRequestError(
                f"{what} must hold {kind.__name__} objects, not {type(item).__name__}",
                provider=PROVIDER,
            )
    if not result:
        raise InvalidRequestError(f"at least one item is required in {what}", provider=PROVIDER)
    return result


def objects_or_keywords(
    given: object,
    kind: type[T],
    keywords: Mapping[str, object],
    make: Callable[[], T],
    *,
    required: str,
) -> list[T]:
    """``kind`` objects (one or a list), or the keyword form of one of them; never both."""
    if given is None:
        if keywords[required] is None:
            raise InvalidRequestError(
                f"pass {kind.__name__} objects or {required}=...", provider=PROVIDER
            )
        return [make()]
    if any(value is not None for value in keywords.values()):
        raise InvalidRequestError(
            f"pass either {kind.__name__} objects or {'=/'.join(keywords)}=, not both",
            provider=PROVIDER,
        )
    return one_or_many(given, kind, what="groups")


# -- reading the envelope ------------------------------------------------------------------------


def envelope(response: Response) -> dict[str, Any]:
    """The decoded ``{meta, data, errors}`` envelope (``{}`` for an empty body)."""
    body = response.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise response.malformed("expected the {meta, data, errors} envelope")
    return body


def data_list(response: Response, body: Mapping[str, Any]) -> list[Any]:
    """The envelope's ``data`` list (``[]`` when absent)."""
    data = body.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise response.malformed("'data' is not a list")
    return data


def request_id_of(body: Any, secrets: Iterable[str] = ()) -> str | None:
    """``meta.uniqId`` of a decoded envelope, if it has one (``secrets`` scrubbed from it: a
    hostile vendor may echo a credential there)."""
    if not isinstance(body, dict):
        return None
    meta = body.get("meta")
    if not isinstance(meta, dict):
        return None
    uniq = meta.get("uniqId")
    if isinstance(uniq, (str, int)) and not isinstance(uniq, bool) and str(uniq):
        return scrub(str(uniq), secrets)
    return None


def ids_of(data: Iterable[Any]) -> tuple[str, ...]:
    """The ids in a bulk answer's ``data``, read leniently: its shape is not documented."""
    try:
        values = [item["id"] for item in data]  # the common case: [{"id": "123"}, ...]
    except (TypeError, KeyError, IndexError):
        pass
    else:
        if set(map(type, values)) == {str}:
            return tuple(values)
    ids: list[str] = []
    for item in data:
        value = item.get("id") if type(item) is dict else item
        if type(value) is str:
            ids.append(value)
        elif type(value) is int:
            ids.append(str(value))
    return tuple(ids)


def listed_ids(response: Response, data: list[Any]) -> tuple[str, ...]:
    """The ids of the contacts on a listing page in canonical form (``canonical_id``), strictly:
    a listed contact without an integer id is a malformed answer (a member must never be
    silently dropped)."""
    ids: list[str] = []
    for item in data:
        value = item.get("id") if isinstance(item, dict) else None
        key = digits_key(value) if isinstance(value, str) else None
        if key is not None:
            ids.append(key)
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            ids.append(str(value))
        else:
            raise response.malformed(f"a listed contact has no usable id: {item!r:.100}")
    return tuple(ids)


def is_no_results(exc: NotFoundError) -> bool:
    """A 404 in the vendor's envelope ("processed, no results"), not some proxy's 404 page."""
    try:
        body = parse_json(exc.body or "")
    except ValueError:
        return False
    return isinstance(body, dict) and ("errors" in body or "meta" in body)


def count_of(body: Mapping[str, Any]) -> int | None:
    """The member count in ``GET /group/{id}/count``'s (undocumented) answer: ``data[0].count``,
    ``data.count`` or a bare number; None when none of these reads."""
    data = body.get("data")
    first = data[0] if isinstance(data, list) and data else data
    if isinstance(first, dict):
        first = first.get("count")
    count = lenient_int(first)  # ASCII digits within 64 bits; anything else is unreadable
    return count if count is not None and count >= 0 else None


#: What ``multi`` may send at once to this vendor, and the adapter's defaults.
LIMITS = AdapterLimits(
    provider=PROVIDER,
    max_add=MAX_IDS_PER_CALL,
    max_remove=MAX_IDS_PER_CALL,
    default_add=MAX_IDS_PER_CALL,
    default_remove=MAX_IDS_PER_CALL,
    default_concurrency=DEFAULT_CONCURRENCY,
)
