"""The fast paths that write id arrays and read processed ids agree with the careful ones."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactgroups import errors
from contactgroups.messageflow.wire import id_array, ids_of


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["1", "22", "333"], [1, 22, 333]),
        (["0"], [0]),
        (["007", "8"], [7, 8]),  # a leading zero is not JSON: the slow path converts
        ([5, "6"], [5, 6]),
        ((str(i) for i in (3, 4)), [3, 4]),
    ],
)
def test_id_array_is_valid_json_with_integers(ids: object, expected: list[int]) -> None:
    body = id_array(ids, what="contact id")  # type: ignore[arg-type]
    assert json.loads(body) == {"id": expected}


@pytest.mark.parametrize(
    "ids", [[], ["1", ""], ["1", "x"], ["-1"], "123", [True], ["1.5"], ["1,2"], ["7", "1,2"]]
)
def test_id_array_refuses_what_is_not_an_id(ids: object) -> None:
    with pytest.raises(errors.InvalidRequestError):
        id_array(ids, what="contact id")  # type: ignore[arg-type]


@given(st.lists(st.integers(0, 10**12).map(str), min_size=1, max_size=50))
def test_id_array_fast_path_matches_json_dumps(ids: list[str]) -> None:
    assert json.loads(id_array(ids, what="contact id")) == {"id": [int(i) for i in ids]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([{"id": "1"}, {"id": "2"}], ("1", "2")),
        ([{"id": 1}, {"id": "2"}], ("1", "2")),
        (["3", 4, True, None, {"x": 1}, {"id": None}], ("3", "4")),
        ([], ()),
    ],
)
def test_ids_of_reads_every_documented_shape(data: list[object], expected: tuple[str, ...]) -> None:
    assert ids_of(data) == expected
