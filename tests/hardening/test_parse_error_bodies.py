"""Each provider's error-body reader never raises, whatever the body (it falls back to a generic
message), and the cases from the issue end in typed errors through the whole call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from _parse_support import JSON_VALUES, ODD_BYTES, ODD_NUMBERS, AnswerServer, deep, dump
from hypothesis import given, settings
from hypothesis import strategies as st

from contactgroups import errors, messagebird, messageflow, messengeo
from contactgroups._http import ErrorInfo, Response
from contactgroups._http.convert import MAX_WIRE_INT
from contactgroups.membership import BatchResult
from contactgroups.messagebird.errors import parse_error as messagebird_error
from contactgroups.messageflow.errors import parse_error as messageflow_error
from contactgroups.messageflow.wire import count_of, is_no_results
from contactgroups.messengeo.errors import body_status, is_error
from contactgroups.messengeo.errors import parse_error as messengeo_error
from contactgroups.messengeo.errors import parse_oauth_error as messengeo_oauth_error
from contactgroups.messengeo.wire import is_vendor_not_found
from contactgroups.messente.errors import parse_error as messente_error

PARSERS: dict[str, Callable[[Response], ErrorInfo]] = {
    "messagebird": messagebird_error,
    "messente": messente_error,
    "messageflow": messageflow_error,
    "messengeo": messengeo_error,
    "messengeo oauth": messengeo_oauth_error,
}
# bodies shaped like each vendor's error, with odd values inside
SHAPED = st.one_of(
    st.builds(lambda v: {"errors": [{"code": v, "description": v, "parameter": v}]}, JSON_VALUES),
    st.builds(lambda v: {"errors": [{"code": v, "title": v, "detail": v}]}, JSON_VALUES),
    st.builds(lambda v: {"errors": [{"code": v, "message": v, "meta": v}], "meta": v}, JSON_VALUES),
    st.builds(
        lambda v: {"status": v, "message": v, "details": v, "messages": [v], "error": v},
        JSON_VALUES,
    ),
    st.builds(lambda v: {"errors": v, "status": v}, st.sampled_from(ODD_NUMBERS)),
)
ANY_BODY = st.one_of(
    SHAPED.map(lambda v: dump(v).encode()),
    JSON_VALUES.map(lambda v: dump(v).encode()),
    st.binary(max_size=200),
    ODD_BYTES,
    st.sampled_from([63, 65, 1000, 100_000]).map(lambda n: dump(deep(n)).encode()),
)


@settings(max_examples=300, deadline=None)
@given(
    parser=st.sampled_from(sorted(PARSERS)),
    status=st.sampled_from([200, 201, 207, 400, 401, 404, 405, 409, 417, 422, 429, 500, 503]),
    body=ANY_BODY,
)
def test_error_parsers_never_raise(parser: str, status: int, body: bytes) -> None:
    response = Response(status=status, headers={}, body=body, provider="p")
    info = PARSERS[parser](response)
    assert isinstance(info, ErrorInfo)
    assert isinstance(info.message, str) and info.message
    assert info.code is None or isinstance(info.code, (str, int))
    if isinstance(info.code, int):
        assert abs(info.code) <= MAX_WIRE_INT + 1
    assert info.error_class is None or issubclass(info.error_class, errors.APIError)
    # the 2xx checks and the "is this the vendor's 404" readers never raise either
    status_in_body = body_status(response)
    assert status_in_body is None or 100 <= status_in_body <= 599
    assert isinstance(is_error(response), bool)
    not_found = errors.NotFoundError("x", status=404, provider="p", body=response.text())
    assert isinstance(is_no_results(not_found), bool)
    assert isinstance(is_vendor_not_found(not_found), bool)


@pytest.mark.parametrize("code", ["²", "٣", "1" * 5000, 2**64, -(2**64), 1.5, True, [20], None])
def test_messagebird_odd_error_codes_keep_the_message(code: Any) -> None:
    body = dump({"errors": [{"code": code, "description": "group not found"}]}).encode()
    info = messagebird_error(Response(status=404, headers={}, body=body, provider="p"))
    assert info.message == "group not found"
    assert info.code is None


def test_a_5000_digit_error_code_is_not_json_a_vendor_sends() -> None:
    body = b'{"errors": [{"code": ' + b"1" * 5000 + b', "description": "x"}]}'
    info = messagebird_error(Response(status=422, headers={}, body=body, provider="p"))
    assert info.message.startswith("HTTP 422")  # the generic fallback: the body is unreadable


@pytest.mark.parametrize("status", ["²", "٣", "9" * 5000, "-400", 1e300, 10**30, 99999, -1])
def test_messengeo_odd_body_status_is_no_status(status: Any) -> None:
    body = dump({"status": status, "message": "odd"}).encode()
    response = Response(status=200, headers={}, body=body, provider="p")
    assert body_status(response) is None
    assert is_error(response) is False
    info = messengeo_error(response)
    assert info.message == "odd" and info.error_class is None


def test_deep_bodies_are_not_the_vendors_404() -> None:
    body = "[" * 5000 + "]" * 5000
    not_found = errors.NotFoundError("x", status=404, provider="p", body=body)
    assert is_no_results(not_found) is False
    assert is_vendor_not_found(not_found) is False


@pytest.mark.parametrize(
    "data",
    [
        [{"count": "9" * 5000}], [{"count": "²"}], [{"count": "٣"}], [{"count": -1}],
        [{"count": 2**63}], [{"count": 1.5}], [{"count": True}], "9" * 5000, [[{"count": 1}]],
    ],
)  # fmt: skip
def test_messageflow_unreadable_counts_are_none(data: Any) -> None:
    assert count_of({"data": data}) is None


# -- through the whole call ----------------------------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[AnswerServer]:
    async with AnswerServer.running() as running:
        yield running


async def test_messengeo_200_with_an_odd_status_is_a_typed_error(server: AnswerServer) -> None:
    server.answer.body = b'{"status": "\xc2\xb2", "count": 1}'  # "²" in UTF-8
    async with messengeo.Client(
        client_id="parse-id",
        client_secret="parse-secret",
        base_url=server.origin + "/rest",
        token_url=server.origin + "/token",
        retry=None,
    ) as client:
        assert await client.lists.add_contacts("7", ["1"]) == 1
        for count in (b'"\xc2\xb2"', b'"' + b"9" * 5000 + b'"', b"-3", b"1e999"):
            server.answer.body = b'{"count": ' + count + b"}"
            with pytest.raises(errors.MalformedResponseError):
                await client.lists.add_contacts("7", ["1"])


async def test_messagebird_error_code_of_a_superscript_two(server: AnswerServer) -> None:
    server.answer.status = 404
    server.answer.body = dump({"errors": [{"code": "²", "description": "gone"}]}).encode()
    async with messagebird.Client(
        access_key="parse-key", base_url=server.origin, retry=None
    ) as client:
        with pytest.raises(errors.NotFoundError) as info:
            await client.groups.get("g1")
    assert info.value.message == "gone" and info.value.code is None


async def test_messageflow_207_naming_a_5000_digit_id(server: AnswerServer) -> None:
    server.answer.status = 207
    server.answer.body = dump(
        {
            "meta": {"uniqId": "u"},
            "data": [{"id": "5"}],
            "errors": [{"message": "bad", "code": "E-3-003", "meta": {"value": "9" * 5000}}],
        }
    ).encode()
    async with messageflow.Client(
        authorization="parse-auth", application_key="parse-app", base_url=server.origin, retry=None
    ) as client:
        result = await client.membership.add("12", ["5", "7"])
    assert isinstance(result, BatchResult)
    assert result.done == ("5",)
    assert isinstance(result.failed["7"], errors.OutcomeUnknownError)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"data": [{"id": ' + b"1" * 5000 + b"}]}", b"[NaN]"],
)
async def test_messageflow_listing_of_hostile_json_is_malformed(
    server: AnswerServer, body: bytes
) -> None:
    server.answer.body = body
    async with messageflow.Client(
        authorization="parse-auth", application_key="parse-app", base_url=server.origin, retry=None
    ) as client:
        with pytest.raises(errors.MalformedResponseError):
            await client.groups.list_contacts("12").first_page()
