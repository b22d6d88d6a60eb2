"""The cattrs converter factory: wire JSON <-> attrs models, the same rules for every vendor.

- field names: snake_case in Python, camelCase on the wire (override one with
  ``attrs.field(metadata={"wire": "custom1"})``);
- unknown fields are ignored, so a vendor adding a field never breaks a user;
- numbers that arrive as strings (``"3600"``) become ints, ids that arrive as numbers become str;
- datetimes: RFC 3339 with offset or ``Z``, naive ``YYYY-MM-DD HH:MM:SS`` (kept naive: the
  vendor gives no zone), and epoch seconds (as aware UTC);
- a body that does not fit the model raises ``MalformedResponseError`` with the raw body kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = ["WIRE", "lenient_int", "make_converter", "parse_date", "parse_datetime", "to_camel"]

T = TypeVar("T")

#: attrs field metadata key naming a field's wire name when it is not plain camelCase.
WIRE = "wire"

_CAMEL_RE = re.compile(r"_([a-z0-9])")
_FRACTION_RE = re.compile(r"\.(\d+)(?=[+-]\d\d:?\d\d$|$)")


def to_camel(name: str) -> str:
    """``created_datetime`` -> ``createdDatetime``."""
    return _CAMEL_RE.sub(lambda m: m.group(1).upper(), name)


def parse_datetime(value: object) -> dt.datetime:
    """A vendor timestamp: RFC 3339 (offset or Z), naive ``YYYY-MM-DD HH:MM:SS``, epoch seconds."""
    if isinstance(value, bool):
        raise TypeError(f"expected a date-time, got {value!r}")
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return dt.datetime.fromtimestamp(int(text), tz=dt.timezone.utc)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # any number of fraction digits, as vendors send them (Python 3.10 takes only 3 or 6)
        text = _FRACTION_RE.sub(lambda m: "." + (m.group(1) + "000000")[:6], text)
        return dt.datetime.fromisoformat(text)
    raise TypeError(f"expected a date-time, got {type(value).__name__}")


def parse_date(value: object) -> dt.date:
    """A ``YYYY-MM-DD`` date (the date part of a date-time is accepted too)."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 10:
            return parse_datetime(text).date()
        return dt.date.fromisoformat(text)
    raise TypeError(f"expected a date, got {type(value).__name__}")


def lenient_int(value: object) -> int | None:
    """An integer that may arrive as digits in a string (vendor error codes, statuses); None
    for anything else. For error bodies, which must be read without raising."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _structure_str(value: object, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r}")


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise TypeError(f"expected a boolean, got {value!r}")


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
