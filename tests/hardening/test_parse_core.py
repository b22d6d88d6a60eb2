"""The shared readers: ``Response.json``/``json_object``, ``parse_json``, ``lenient_int`` and the
converter hooks. Whatever bytes a vendor sends become a value, None, or a typed error (never a
RecursionError, ValueError or OverflowError from deep in the standard library)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import attrs
import pytest
from _parse_support import JSON_VALUES, ODD_NUMBERS, Raw, deep, dump
from hypothesis import given, settings
from hypothesis import strategies as st

from contactgroups import errors
from contactgroups._http import Response, lenient_int, make_converter, parse_datetime, parse_json
from contactgroups._http.convert import MAX_WIRE_INT
from contactgroups._http.response import MAX_JSON_DEPTH, REASON_CHARS


def _response(body: bytes, status: int = 200) -> Response:
    return Response(status=status, headers={}, body=body, provider="p", request_id="r-1")


UNREADABLE = {
    "100,000 deep array": b"[" * 100_000 + b"]" * 100_000,
    "100,000 deep object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "deep, unclosed": b"[" * 100_000,
    "65 deep": dump(deep(MAX_JSON_DEPTH + 1)).encode(),
    "65 deep objects": dump(deep(MAX_JSON_DEPTH + 1, "{")).encode(),
    "5,000 digits": b'{"code": ' + b"1" * 5000 + b"}",
    "NaN": b'{"count": NaN}',
    "Infinity": b"[Infinity]",
    "-Infinity": b"[-Infinity]",
    "1e999": b'{"total": 1e999}',
    "invalid UTF-8": b'{"name": "\xff"}',
    "an encoded surrogate": b'{"name": "\xed\xa0\x80"}',
    "UTF-16": '{"a": 1}'.encode("utf-16"),
    "not JSON": b"<html>",
}


@pytest.mark.parametrize("body", list(UNREADABLE.values()), ids=list(UNREADABLE))
def test_unreadable_json_is_a_malformed_response_error(body: bytes) -> None:
    response = _response(body)
    with pytest.raises(errors.MalformedResponseError) as info:
        response.json()
    assert "not usable JSON" in info.value.message
    assert info.value.request_id == "r-1"
    assert len(info.value.message) < 300
    assert response.json_object() is None
    with pytest.raises(ValueError):
        parse_json(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (dump(deep(MAX_JSON_DEPTH)).encode(), json.loads(dump(deep(MAX_JSON_DEPTH)))),
        (b"\xef\xbb\xbf{\"a\": 1}", {"a": 1}),
        (b'{"name": "\xc3\xa9\xe2\x82\xac"}', {"name": "é€"}),
        (b'{"big": 9223372036854775808, "f": 1e308}', {"big": 2**63, "f": 1e308}),
        # brackets inside strings are not nesting, however many and however escaped
        (json.dumps({"s": "[" * 5000 + "{" * 5000}).encode(), {"s": "[" * 5000 + "{" * 5000}),
        (json.dumps([["a\\", "\\\"[[[", '"]]]'] * 50]).encode(),
         [["a\\", "\\\"[[[", '"]]]'] * 50]),
    ],
)  # fmt: skip
def test_readable_json_is_read(body: bytes, expected: Any) -> None:
    assert _response(body).json() == expected
    assert parse_json(body.decode("utf-8-sig")) == expected


TRICKY_TEXT = st.text(alphabet='[]{}"\\:,ab é', max_size=12)
PLAIN_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TRICKY_TEXT,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TRICKY_TEXT, kids, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=PLAIN_JSON, ascii_only=st.booleans())
def test_nesting_is_measured_exactly(value: Any, ascii_only: bool) -> None:
    """The byte-level depth check agrees with the real depth of every generated value."""

    def depth(v: Any) -> int:
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        return 0

    text = json.dumps(value, ensure_ascii=ascii_only)
    room = MAX_JSON_DEPTH - depth(value)
    wrapped = "[" * room + text + "]" * room
    assert parse_json(wrapped) == json.loads(wrapped)
    with pytest.raises(ValueError):
        parse_json("[" + wrapped + "]")


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: dump(v).encode())))
def test_json_never_raises_anything_but_malformed_and_json_object_never_raises(
    body: bytes,
) -> None:
    response = _response(body)
    with contextlib.suppress(errors.MalformedResponseError):
        response.json()
    data = response.json_object()
    assert data is None or isinstance(data, dict)


# -- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7), ("20", 20), (" 3 ", 3), (0, 0), (-4, -4), (MAX_WIRE_INT, MAX_WIRE_INT),
        (str(MAX_WIRE_INT), MAX_WIRE_INT),
        ("²", None), ("٣", None), ("٣٤", None), ("1²", None), ("9" * 5000, None),
        ("1" * 20, None), (MAX_WIRE_INT + 1, None), (-MAX_WIRE_INT - 2, None), (10**4000, None),
        (1.0, None), (1.5, None), (True, None), (False, None), (None, None), ("-1", None),
        ("+1", None), ("", None), ("0x10", None), ("1e3", None), ([1], None), ({"a": 1}, None),
    ],
)  # fmt: skip
def test_lenient_int_reads_ascii_digits_in_range_and_nothing_else(
    value: object, expected: int | None
) -> None:
    assert lenient_int(value) == expected


@attrs.frozen
class Everything:
    id: str
    count: int
    ratio: float
    flag: bool
    at: dt.datetime
    day: dt.date
    maybe: int | None = None


CONVERTER = make_converter()
GOOD = {
    "id": "a",
    "count": "3",
    "ratio": "1.5",
    "flag": "true",
    "at": 1700000000,
    "day": "2024-01-02",
    "maybe": None,
}
ODD_VALUES = [v for v in ODD_NUMBERS if not isinstance(v, Raw)] + [
    10**4000, float("nan"), float("inf"), -float("inf"), 1e20, -1e20, "9" * 64, "9" * 65,
    "2024-13-45", "x" * 10_000, "٢٠٢٤-٠١-٠٢", [], {}, [[[]]],
]  # fmt: skip


@pytest.mark.parametrize("field", [f for f in GOOD if f != "id"])
@pytest.mark.parametrize("odd", ODD_VALUES, ids=[repr(v)[:20] for v in ODD_VALUES])
def test_every_hook_fed_an_odd_value_gives_a_model_or_a_malformed_response(
    field: str, odd: object
) -> None:
    response = _response(b"{}")
    try:
        thing = response.structure(CONVERTER, {**GOOD, field: odd}, Everything)
    except errors.MalformedResponseError as exc:
        message = exc.message
    else:
        _assert_in_range(getattr(thing, field))
        return
    assert len(message) <= len("unexpected answer: ") + REASON_CHARS + 1
    assert "x" * 100 not in message  # the value is described, not copied


def _assert_in_range(value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        assert -MAX_WIRE_INT - 1 <= value <= MAX_WIRE_INT
    if isinstance(value, float):
        assert value == value and abs(value) != float("inf")


@pytest.mark.parametrize(
    "value",
    [
        1e20,
        -1e20,
        10**30,
        "9" * 40,
        float("nan"),
        float("inf"),
        "٣",
        "²",
        "x" * 10_000,
        "2024-13-01",
    ],
)
def test_dates_out_of_range_or_odd_raise_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_an_epoch_in_ascii_digits_is_still_read() -> None:
    expected = dt.datetime.fromtimestamp(1700000000, dt.timezone.utc)
    assert parse_datetime(" 1700000000 ") == expected
    assert parse_datetime(1700000000.0) == expected


def test_a_malformed_reason_is_cut_after_scrubbing() -> None:
    response = Response(
        status=200, headers={}, body=b"{}", provider="p", secrets=("sekret-value-123",)
    )
    why = "x" * (REASON_CHARS - 5) + "sekret-value-123" + "y" * 5000
    error = response.malformed(why)
    assert "sekret" not in error.message
    assert len(error.message) <= len("unexpected answer: ") + REASON_CHARS + 1
