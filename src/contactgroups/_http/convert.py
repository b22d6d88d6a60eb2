"""The cattrs converter factory: wire JSON <-> attrs models, the same rules for every vendor.

- field names: snake_case in Python, camelCase on the wire (override one with
  ``attrs.field(metadata={"wire": "custom1"})``);
- unknown fields are ignored, so a vendor adding a field never breaks a user;
- numbers that arrive as strings (``"3600"``) become ints, ids that arrive as numbers become str;
- datetimes: RFC 3339 with offset or ``Z``, naive ``YYYY-MM-DD HH:MM:SS`` (kept naive: the
  vendor gives no zone), and epoch seconds (as aware UTC);
- numbers are read strictly: ASCII digits only (``"²"`` and ``"٣"`` are not numbers here), within
  a signed 64-bit integer (``MAX_WIRE_INT``), floats finite; every other value makes a hook raise
  ``TypeError`` or ``ValueError`` with a short description (never the whole value);
- a body that does not fit the model raises ``MalformedResponseError`` with the raw body kept.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = [
    "MAX_WIRE_INT",
    "STRUCTURE_ERRORS",
    "WIRE",
    "lenient_int",
    "make_converter",
    "parse_date",
    "parse_datetime",
    "to_camel",
]

T = TypeVar("T")

#: attrs field metadata key naming a field's wire name when it is not plain camelCase.
WIRE = "wire"

#: The largest integer read from an answer: a signed 64-bit value, what every vendor's ids, codes
#: and counts fit in. A bigger one is a broken (or hostile) answer, not a number to compute with.
MAX_WIRE_INT = 2**63 - 1

#: What structuring a vendor's data may raise when it does not fit (cattrs' own errors, and
#: whatever a hook or cattrs raises on an odd value: OverflowError is not a ValueError). Catch
#: this tuple, never fewer, where a misfit is to be skipped or reported.
STRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    cattrs.BaseValidationError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ArithmeticError,
    RecursionError,
)

_CAMEL_RE = re.compile(r"_([a-z0-9])")
_FRACTION_RE = re.compile(r"\.([0-9]+)(?=[+-][0-9][0-9]:?[0-9][0-9]$|$)")
# digits as vendors write numbers in strings: ASCII only, at most 19 (a 64-bit value)
_UNSIGNED_RE = re.compile(r"[0-9]{1,19}")
_SIGNED_RE = re.compile(r"-?[0-9]{1,19}")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
# the longest text read as a date-time or a number (RFC 3339 with nanoseconds is 35 characters)
_MAX_TEXT = 64


def _shown(value: object) -> str:
    """A value as an error message may show it: short, whatever the vendor sent."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "…"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if -MAX_WIRE_INT <= value <= MAX_WIRE_INT else "a huge integer"
    if isinstance(value, float):
        return repr(value)
    return f"a {type(value).__name__}"


def _in_range(value: int) -> bool:
    return -MAX_WIRE_INT - 1 <= value <= MAX_WIRE_INT


def _int_text(value: str, *, signed: bool) -> int | None:
    text = value.strip()
    if (_SIGNED_RE if signed else _UNSIGNED_RE).fullmatch(text) is None:
        return None
    number = int(text)
    return number if _in_range(number) else None


def to_camel(name: str) -> str:
    """``created_datetime`` -> ``createdDatetime``."""
    return _CAMEL_RE.sub(lambda m: m.group(1).upper(), name)


def _from_epoch(value: float) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"timestamp {_shown(value)} is out of range") from None


def parse_datetime(value: object) -> dt.datetime:
    """A vendor timestamp: RFC 3339 (offset or Z), naive ``YYYY-MM-DD HH:MM:SS``, epoch seconds.

    Anything else raises ``TypeError`` (not a string or number) or ``ValueError`` (not a date,
    or out of range), with a short description of the value."""
    if isinstance(value, bool):
        raise TypeError(f"expected a date-time, got {value!r}")
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT:
            raise ValueError(f"not a date-time: {_shown(value)}")
        if text.isascii() and text.isdigit():
            return _from_epoch(int(text))
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # any number of fraction digits, as vendors send them (Python 3.10 takes only 3 or 6)
        text = _FRACTION_RE.sub(lambda m: "." + (m.group(1) + "000000")[:6], text)
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a date-time: {_shown(value)}") from None
    raise TypeError(f"expected a date-time, got {_shown(value)}")


def parse_date(value: object) -> dt.date:
    """A ``YYYY-MM-DD`` date (the date part of a date-time is accepted too)."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 10:
            return parse_datetime(text).date()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a date: {_shown(value)}") from None
    raise TypeError(f"expected a date, got {_shown(value)}")


def lenient_int(value: object) -> int | None:
    """An integer that may arrive as ASCII digits in a string (vendor error codes, statuses,
    counts); None for anything else: a bool, a float, other digits (``"²"``, ``"٣"``), a sign
    in a string, a value beyond ``MAX_WIRE_INT``. For answers that must be read without
    raising; never raises."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if _in_range(value) else None
    if isinstance(value, str) and len(value) <= _MAX_TEXT:
        return _int_text(value, signed=False)
    return None


def _structure_str(value: object, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # an id sent as a number (JSON keeps it under 4300 digits)
    raise TypeError(f"expected a string, got {_shown(value)}")


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(value, int):
        if _in_range(value):
            return value
    elif isinstance(value, float):
        if value.is_integer() and _in_range(int(value)):
            return int(value)
    elif isinstance(value, str) and len(value) <= _MAX_TEXT:
        number = _int_text(value, signed=True)
        if number is not None:
            return number
    raise TypeError(f"expected an integer, got {_shown(value)}")


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    number: float | None = None
    if isinstance(value, float):
        number = value
    elif isinstance(value, int):
        number = float(value) if _in_range(value) else None
    elif isinstance(value, str) and len(value) <= _MAX_TEXT:
        text = value.strip()
        number = float(text) if _FLOAT_RE.fullmatch(text) else None
    if number is None or not math.isfinite(number):
        raise TypeError(f"expected a number, got {_shown(value)}")
    return number


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise TypeError(f"expected a boolean, got {_shown(value)}")


def _wire_name(attribute: attrs.Attribute[Any], camel_case: bool) -> str:
    explicit = attribute.metadata.get(WIRE)
    if explicit:
        return str(explicit)
    return to_camel(attribute.name) if camel_case else attribute.name


def make_converter(*, camel_case: bool = True, omit_none: bool = True) -> cattrs.Converter:
    """A converter for one provider's wire format.

    ``camel_case`` renames snake_case fields to camelCase on the wire; ``omit_none`` leaves
    fields that are None out of request bodies (vendors treat a missing field as "unchanged").
    """
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(dt.datetime, lambda v, _: parse_datetime(v))
    converter.register_structure_hook(dt.date, lambda v, _: parse_date(v))
    converter.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())
    converter.register_unstructure_hook(dt.date, lambda v: v.isoformat())

    def structure_factory(cls: type[Any]) -> Callable[[Any, type[Any]], Any]:
        overrides = {a.name: override(rename=_wire_name(a, camel_case)) for a in attrs.fields(cls)}
        return make_dict_structure_fn(cls, converter, **overrides)  # type: ignore[arg-type]

    def unstructure_factory(cls: type[Any]) -> Callable[[Any], Any]:
        overrides = {
            a.name: override(rename=_wire_name(a, camel_case), omit_if_default=False)
            for a in attrs.fields(cls)
        }
        base = make_dict_unstructure_fn(cls, converter, **overrides)  # type: ignore[arg-type]
        if not omit_none:
            return base

        def without_none(obj: Any) -> dict[str, Any]:
            return {k: v for k, v in base(obj).items() if v is not None}

        return without_none

    converter.register_structure_hook_factory(attrs.has, structure_factory)
    converter.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return converter
