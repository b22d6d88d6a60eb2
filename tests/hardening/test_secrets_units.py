"""The scrubbing rules one at a time: the forms an echo takes, structured fields, numbers, a
credential cut in two by a length limit, and an error parser that breaks."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from contactgroups import errors, messagebird
from contactgroups._http import (
    REDACTED,
    BasicAuth,
    ErrorInfo,
    HeaderAuth,
    RedactedHeaders,
    Response,
    Transport,
    scrub,
    scrub_value,
)
from contactgroups._http.response import ERROR_BODY_CHARS
from contactgroups.testing import FakeServer

SECRET = 'can/ary+Se"cret=7'


@pytest.mark.parametrize(
    "echo",
    [
        SECRET,
        json.dumps(SECRET)[1:-1],  # JSON
        json.dumps(SECRET)[1:-1].replace("/", "\\/"),  # PHP's JSON
        "can%2Fary%2BSe%22cret%3D7",  # a form or query
        "can%2fary%2bSe%22cret%3d7",  # the same, lower-case hex
        "can/ary+Se&quot;cret=7",  # an HTML error page
    ],
)
def test_every_form_of_an_echo_is_scrubbed(echo: str) -> None:
    text = scrub(f"you sent <{echo}> and that is wrong", [SECRET])
    assert text == f"you sent <{REDACTED}> and that is wrong"
    # a space is "+" in a form encoded with quote_plus
    assert scrub("k=two+words&x=1", ["two words"]) == f"k={REDACTED}&x=1"


def test_structured_values_are_scrubbed_to_the_leaves() -> None:
    value = {
        "code": f"E-{SECRET}",
        SECRET: [SECRET, ("x", {"deep": SECRET}), 7, None, True],
        "n": 1.5,
    }
    scrubbed = scrub_value(value, [SECRET])
    assert SECRET not in repr(scrubbed)
    assert scrubbed["code"] == f"E-{REDACTED}"
    assert scrubbed[REDACTED][1] == ("x", {"deep": REDACTED})
    assert scrubbed[REDACTED][2:] == [7, None, True]
    assert scrubbed["n"] == 1.5
    assert scrub_value(4815162342, ["4815162342"]) == REDACTED  # a number that is a secret
    assert scrub_value(value, []) is value


def test_a_credential_cut_by_a_length_limit_leaves_no_fragment() -> None:
    secret = "abcdefgh-SECRET-ijklmnop"
    for cut in (ERROR_BODY_CHARS, 200):
        body = ("x" * (cut - 8) + secret + "y" * 50).encode()
        response = Response(500, {}, body, provider="p", secrets=(secret,))
        assert secret[:6] not in response.body_for_error()
        assert secret[:6] not in response.text()[:cut]


def test_error_reading_helpers_give_scrubbed_data() -> None:
    body = json.dumps({"message": SECRET, SECRET: 1}).replace("/", "\\/").encode()
    response = Response(400, {}, body, provider="p", request_id=SECRET, secrets=(SECRET,))
    assert response.json_object() == {"message": REDACTED, REDACTED: 1}
    assert SECRET not in response.text()
    malformed = response.malformed(f"field was {SECRET}")
    assert SECRET not in str(malformed) + repr(malformed) + str(malformed.body)
    assert malformed.request_id == REDACTED


async def test_auth_hooks_give_headers_whose_repr_hides_credentials() -> None:
    for auth in (HeaderAuth({"Authorization": SECRET}, secrets=(SECRET,)), BasicAuth("u", SECRET)):
        headers = await auth.headers()
        assert isinstance(headers, RedactedHeaders)
        assert SECRET not in repr(headers)
        assert "Authorization" in headers


class Answer(FakeServer):
    """Answers every request with ``status`` and the JSON ``body``."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__()
        self.status, self.body = status, body
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response(self.body, status=self.status)


@pytest.fixture
async def vendor() -> AsyncIterator[Answer]:
    async with Answer(400, {"message": f"bad key {SECRET}"}) as server:
        yield server


def broken_parser(response: Response) -> ErrorInfo:
    raise KeyError(f"no field in {response.text()!r} for {SECRET}")


def wrong_parser(response: Response) -> ErrorInfo:
    return None  # type: ignore[return-value]


@pytest.mark.parametrize("parser", [broken_parser, wrong_parser])
async def test_a_parser_that_breaks_falls_back_to_the_default_one(
    parser: Any, vendor: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="contactgroups")
    transport = Transport(
        provider="demo",
        base_url=vendor.url,
        auth=HeaderAuth({"Authorization": SECRET}, secrets=(SECRET,)),
        parse_error=parser,
        retry=None,
    )
    try:
        with pytest.raises(errors.ValidationError) as info:
            await transport.request("GET", ["x"], idempotent=True)
    finally:
        await transport.aclose()
    assert info.value.status == 400
    assert REDACTED in info.value.message  # the default parser's text, scrubbed
    assert SECRET not in str(info.value)
    failed = [r.getMessage() for r in caplog.records if "error parser failed" in r.getMessage()]
    assert failed, "the parser's failure is logged"
    assert all(SECRET not in text for text in failed)


async def test_a_number_code_that_is_the_credential_is_scrubbed() -> None:
    key = "4815162342"
    async with (
        Answer(401, {"errors": [{"code": int(key), "description": "bad"}]}) as server,
        messagebird.Client(access_key=key, base_url=server.url, retry=None) as client,
    ):
        with pytest.raises(errors.AuthenticationError) as info:
            await client.groups.get("g1")
    assert info.value.code in (REDACTED, None)  # scrubbed before or after reading it
    assert key not in str(info.value) + repr(info.value) + repr(info.value.errors)


def test_a_base64_credential_echoed_without_its_padding_is_scrubbed() -> None:
    token = "dXNlcjpwYXNzd29yZA=="  # base64 of user:password, as Basic auth sends it
    assert scrub("Basic dXNlcjpwYXNzd29yZA was refused", [token]) == f"Basic {REDACTED} was refused"
