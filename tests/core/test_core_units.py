"""The converter factory, the pager, the retry policy, validation and redaction."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactgroups import errors
from contactgroups._http import (
    WIRE,
    Page,
    Pager,
    Response,
    RetryPolicy,
    chunked,
    id_list,
    lenient_int,
    make_converter,
    parse_date,
    parse_retry_after,
    redact_headers,
    redact_phones,
    require_count,
    require_e164,
    scrub,
    to_camel,
    unique,
)

# -- converter -----------------------------------------------------------------------------------


@attrs.frozen
class Stats:
    subscribers: int
    sms: int | None = None


@attrs.frozen
class Thing:
    id: str
    created_datetime: dt.datetime
    contacts_count: int
    custom_1: str | None = attrs.field(default=None, metadata={WIRE: "custom1"})
    stats: Stats | None = None
    updated_datetime: dt.datetime | None = None
    active: bool = True


CONVERTER = make_converter()


def test_camel_case_names_and_explicit_wire_names() -> None:
    thing = CONVERTER.structure(
        {
            "id": 61,
            "createdDatetime": "2016-04-29T09:42:26+00:00",
            "contactsCount": "3",
            "custom1": "x",
            "stats": {"subscribers": "103456", "sms": 7},
            "somethingNew": {"ignored": True},
        },
        Thing,
    )
    assert thing.id == "61"
    assert thing.contacts_count == 3
    assert thing.custom_1 == "x"
    assert thing.stats == Stats(subscribers=103456, sms=7)
    assert thing.created_datetime == dt.datetime(2016, 4, 29, 9, 42, 26, tzinfo=dt.timezone.utc)
    wire = CONVERTER.unstructure(thing)
    assert wire["createdDatetime"] == "2016-04-29T09:42:26+00:00"
    assert wire["custom1"] == "x"
    assert "updatedDatetime" not in wire  # None left out of request bodies


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "2019-04-22T11:46:23.753613Z",
            dt.datetime(2019, 4, 22, 11, 46, 23, 753613, dt.timezone.utc),
        ),
        (
            "2016-04-29T09:42:26+02:00",
            dt.datetime(2016, 4, 29, 9, 42, 26, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
        ("2025-01-14 09:30:12", dt.datetime(2025, 1, 14, 9, 30, 12)),
        ("2019-04-22T11:46:23.7Z", dt.datetime(2019, 4, 22, 11, 46, 23, 700000, dt.timezone.utc)),
        (
            "2019-04-22T11:46:23.1234567+00:00",
            dt.datetime(2019, 4, 22, 11, 46, 23, 123456, dt.timezone.utc),
        ),
        (1, dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)),
        ("1700000000", dt.datetime.fromtimestamp(1700000000, dt.timezone.utc)),
    ],
)
def test_datetime_formats(raw: object, expected: dt.datetime) -> None:
    thing = CONVERTER.structure({"id": "a", "createdDatetime": raw, "contactsCount": 0}, Thing)
    assert thing.created_datetime == expected
    assert (thing.created_datetime.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "a", "createdDatetime": "yesterday", "contactsCount": 0},
        {"id": "a", "createdDatetime": "2020-01-01T00:00:00Z", "contactsCount": "many"},
        {"id": None, "createdDatetime": "2020-01-01T00:00:00Z", "contactsCount": 0},
        {"createdDatetime": "2020-01-01T00:00:00Z", "contactsCount": 0},
        {"id": "a", "createdDatetime": "2020-01-01T00:00:00Z", "contactsCount": True},
        {"id": "a", "createdDatetime": "2020-01-01T00:00:00Z", "contactsCount": 1, "active": "x"},
        ["not", "an", "object"],
    ],
)
def test_wrong_shapes_become_malformed_response_error(bad: object) -> None:
    response = Response(status=200, headers={}, body=b"{...}", provider="p", request_id="r1")
    with pytest.raises(errors.MalformedResponseError) as info:
        response.structure(CONVERTER, bad, Thing)
    assert info.value.body == "{...}"
    assert info.value.request_id == "r1"
    assert "Thing" in info.value.message


@pytest.mark.parametrize("raw", ["2024-03-05garbage", "2024-13-01", "yesterday", 20240305])
def test_bad_dates_are_refused(raw: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        parse_date(raw)


def test_dates_and_the_date_of_a_date_time() -> None:
    assert parse_date("2020-08-31") == dt.date(2020, 8, 31)
    assert parse_date("2020-08-31T10:00:00Z") == dt.date(2020, 8, 31)


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b'{"a": 1}', {"a": 1}), (b"[1]", None), (b"<html>", None), (b"", None), (b'{"a"', None)],
)
def test_json_object_never_raises(body: bytes, expected: object) -> None:
    assert Response(status=500, headers={}, body=body, provider="p").json_object() == expected


def test_lenient_int() -> None:
    assert [lenient_int(v) for v in (7, "20", " 3 ", True, "E-0-004", None, 1.5)] == [
        7, 20, 3, None, None, None, None,
    ]  # fmt: skip


def test_to_camel() -> None:
    assert to_camel("created_datetime") == "createdDatetime"
    assert to_camel("custom2") == "custom2"
    assert to_camel("id") == "id"


# -- pager ---------------------------------------------------------------------------------------


def offset_source(total: int, calls: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    async def fetch(offset: int, limit: int) -> Page[int]:
        calls.append((offset, limit))
        items = list(range(offset, min(total, offset + limit)))
        nxt = offset + len(items) if offset + len(items) < total else None
        return Page(items=items, offset=offset, limit=limit, next_offset=nxt, total=total)

    return fetch


async def test_await_gives_the_first_page_only() -> None:
    calls: list[tuple[int, int]] = []
    page = await Pager(offset_source(25, calls), page_size=10)
    assert list(page.items) == list(range(10))
    assert page.has_more and page.total == 25
    assert calls == [(0, 10)]


async def test_async_for_walks_every_item_across_pages() -> None:
    calls: list[tuple[int, int]] = []
    items = [i async for i in Pager(offset_source(25, calls), page_size=10)]
    assert items == list(range(25))
    assert calls == [(0, 10), (10, 10), (20, 10)]


async def test_max_items_trims_and_shrinks_the_last_request() -> None:
    calls: list[tuple[int, int]] = []
    pager = Pager(offset_source(100, calls), page_size=10, max_items=23)
    pages = [page async for page in pager.pages()]
    assert [len(p) for p in pages] == [10, 10, 3]
    assert calls == [(0, 10), (10, 10), (20, 3)]


async def test_max_items_zero_sends_nothing_either_way() -> None:
    calls: list[tuple[int, int]] = []
    pager = Pager(offset_source(10, calls), page_size=5, max_items=0)
    assert list((await pager).items) == []
    assert await pager.collect() == []
    assert calls == []


async def test_pager_stops_on_an_empty_page_or_no_progress() -> None:
    async def stuck(offset: int, limit: int) -> Page[int]:
        return Page(items=[1], offset=offset, next_offset=offset)  # a buggy vendor cursor

    # no progress is not a silent end (it could hide the rest of the listing): a typed error
    with pytest.raises(errors.MalformedResponseError, match="does not move past 0"):
        await Pager(stuck, page_size=5).collect()

    async def empty(offset: int, limit: int) -> Page[int]:
        return Page(items=[], offset=offset, next_offset=offset + limit)

    assert await Pager(empty, page_size=5).collect() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page_size": 0},
        {"page_size": 1001, "max_page_size": 1000},
        {"page_size": True},
        {"page_size": 10, "max_items": -1},
        {"page_size": 10, "offset": -5},
    ],
)
def test_pager_rejects_bad_sizes_before_sending(kwargs: dict[str, object]) -> None:
    calls: list[tuple[int, int]] = []
    with pytest.raises(errors.InvalidRequestError):
        Pager(offset_source(5, calls), **kwargs)  # type: ignore[arg-type]
    assert calls == []


@given(total=st.integers(0, 300), page_size=st.integers(1, 50), cap=st.none() | st.integers(0, 400))
async def test_pager_yields_exactly_what_exists(
    total: int, page_size: int, cap: int | None
) -> None:
    calls: list[tuple[int, int]] = []
    items = await Pager(offset_source(total, calls), page_size=page_size, max_items=cap).collect()
    expected = list(range(total if cap is None else min(total, cap)))
    assert items == expected
    assert all(limit <= page_size for _, limit in calls)


# -- retry policy --------------------------------------------------------------------------------


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0, jitter=0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_stays_within_the_ceiling() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=10.0, jitter=1.0)
    rng = random.Random(7)
    draws = [policy.backoff(3, rng) for _ in range(200)]
    assert all(0 <= d <= 4.0 for d in draws)
    assert len(set(draws)) > 100


def test_retry_policy_validates() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="backoff_base"):
        RetryPolicy(backoff_base=-1)


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7
    assert parse_retry_after({"Retry-After": "0.25"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after({"Retry-After": date}, now=now) or 0) <= 31
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after({"Retry-After": past}, now=now) == 0


# -- errors --------------------------------------------------------------------------------------


def test_error_ladder_shape() -> None:
    error = errors.RateLimitError(
        "slow down", status=429, provider="messagebird", code=2, request_id="abc", retry_after=3
    )
    assert isinstance(error, errors.APIError)
    assert isinstance(error, errors.ContactGroupsError)
    assert str(error) == "messagebird answered 429, code 2: slow down (request id abc)"
    assert error.retry_after == 3
    assert issubclass(errors.InvalidRequestError, ValueError)
    assert issubclass(errors.ReadTimeoutError, errors.TimeoutError)
    assert issubclass(errors.TimeoutError, errors.TransportError)


# -- validation ----------------------------------------------------------------------------------


def test_id_list_limits() -> None:
    assert id_list(["a", 2]) == ["a", "2"]
    with pytest.raises(errors.InvalidRequestError, match="at least one"):
        id_list([])
    with pytest.raises(errors.InvalidRequestError, match="at most 50"):
        id_list([str(i) for i in range(51)], max_items=50)
    with pytest.raises(errors.InvalidRequestError, match="not a single string"):
        id_list("abc")
    with pytest.raises(errors.InvalidRequestError):
        id_list(["ok", ".."])


@pytest.mark.parametrize("good", ["+37251000000", "+12025550123", "+4915112345678"])
def test_e164_accepts(good: str) -> None:
    assert require_e164(good) == good


@pytest.mark.parametrize("bad", ["37251000000", "+0123456789", "+372 5100", "+1", "", None, 372])
def test_e164_rejects(bad: object) -> None:
    with pytest.raises(errors.InvalidRequestError, match=r"E\.164"):
        require_e164(bad)


@pytest.mark.parametrize(
    ("value", "kwargs", "words"),
    [
        (0, {}, "positive integer"),
        (True, {}, "positive integer"),
        ("5", {}, "positive integer"),
        (-1, {"minimum": 0}, "non-negative integer"),
        (51, {"maximum": 50}, "from 1 to 50"),
    ],
)
def test_require_count_names_the_range(value: object, kwargs: dict[str, int], words: str) -> None:
    with pytest.raises(errors.InvalidRequestError, match=words):
        require_count(value, what="chunk_size", **kwargs)  # type: ignore[arg-type]
    assert require_count(50, what="chunk_size", maximum=50) == 50


def test_unique_and_chunked() -> None:
    assert unique(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert [list(c) for c in chunked([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]


# -- redaction -----------------------------------------------------------------------------------


def test_redaction_helpers() -> None:
    assert redact_headers({"Authorization": "x", "Application-Key": "y", "Accept": "z"}) == {
        "Authorization": "<redacted>",
        "Application-Key": "<redacted>",
        "Accept": "z",
    }
    assert scrub("key abc and abcdef", ["abc", "abcdef"]) == "key <redacted> and <redacted>"
    assert "37251000000" not in redact_phones("/contacts/%2B37251000000/groups")
    assert "6834002" not in redact_phones("/contacts/%2B6834002")  # 7 digits: E.164's shortest
    assert redact_phones("/groups/c61381f304a50f56317b39") == "/groups/c61381f304a50f56317b39"
