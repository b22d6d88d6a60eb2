"""Shared by the ``test_parse_*`` modules: a loopback server whose next answer the test sets,
hostile JSON bodies as hypothesis strategies, and the property every call must keep.

The property: whatever bytes a vendor sends, at whatever status, a call returns what it documents
(a model, a page, None, a count) or raises a ``ContactGroupsError`` subclass, never anything else.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import attrs
from aiohttp import web
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from contactgroups.errors import ContactGroupsError

STATUSES = st.sampled_from([200, 201, 204, 207, 400, 404, 429, 500])
#: mostly success: a mutated answer is then read as a model, not as an error body
SUCCESS_STATUSES = st.sampled_from([200, 200, 200, 201, 207])

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TOKEN = {"access_token": "tok-abc", "expires_in": 3600, "token_type": "bearer"}


@attrs.define
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


class AnswerServer:
    """Answers every request with ``answer`` (and ``/token`` with a valid OAuth token)."""

    def __init__(self) -> None:
        self.answer = Answer()
        self.requests = 0
        self.origin = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        if request.path == "/token":
            return web.json_response(TOKEN)
        self.requests += 1
        answer = self.answer
        if answer.status == 204:
            return web.Response(status=204)
        return web.Response(
            status=answer.status, body=answer.body, headers={"Content-Type": answer.content_type}
        )

    @classmethod
    @asynccontextmanager
    async def running(cls) -> AsyncIterator[AnswerServer]:
        server = cls()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", server._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        server.origin = f"http://127.0.0.1:{port}"
        try:
            yield server
        finally:
            await runner.cleanup()


# -- bodies --------------------------------------------------------------------------------------


@attrs.frozen
class Raw:
    """JSON text written as it is (what ``json.dumps`` would never write)."""

    text: str


def dump(value: Any) -> str:
    """``value`` as JSON text, ``Raw`` parts verbatim."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def deep(n: int, kind: str = "[") -> Raw:
    if kind == "[":
        return Raw("[" * n + "]" * n)
    return Raw('{"a":' * n + "1" + "}" * n)


#: numbers no vendor documents: beyond float or 64-bit range, NaN, other digits, 5,000 digits
ODD_NUMBERS: list[Any] = [
    Raw("1e999"),
    Raw("-1e999"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1" * 5000),
    Raw("9" * 4300),
    Raw("9223372036854775808"),
    Raw("-9223372036854775809"),
    Raw("1e308"),
    Raw("-0"),
    Raw("0.5"),
    Raw("1E400"),
    Raw("123456789012345678901234567890"),
    "²",
    "٣",
    "٣٤",
    "9" * 5000,
    "1" * 25,
    "-1",
    "1.5",
    "",
    " 7 ",
    "0x10",
    "1e5",
    "nan",
    "inf",
    True,
    False,
    None,
    -1,
    0,
    2**63,
    -(2**63) - 1,
    1.5,
    1e300,
    -1e300,
]
DEEP = st.sampled_from([63, 64, 65, 200, 999, 1000, 5000, 100_000]).flatmap(
    lambda n: st.sampled_from([deep(n), deep(n, "{")])
)
#: keys the providers read, so generated objects reach their readers
KEYS = st.one_of(
    st.sampled_from(
        [
            "id", "name", "items", "count", "totalCount", "offset", "limit", "links", "errors",
            "code", "description", "parameter", "group", "groups", "contacts", "contact",
            "contactsCount", "createdOn", "phoneNumber", "title", "detail", "data", "meta",
            "uniqId", "message", "value", "list", "size", "total", "status", "details",
            "messages", "error", "error_description", "msisdn", "createdDatetime", "createdAt",
            "dateCreated", "stats", "subscribers", "listIds", "externalId", "contact_count",
        ]
    ),
    st.text(max_size=8),
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(ODD_NUMBERS),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS, kids, max_size=5),
    max_leaves=25,
)
ODD_BYTES = st.sampled_from(
    [
        b"\xff\xfe\x00",
        b'{"id": "\xff"}',
        b'{"errors": [{"code": "\xc3\x28"}]}',
        b'{"status": "\xed\xa0\x80"}',  # an encoded surrogate: not UTF-8
        b"\xef\xbb\xbf{}",
        '{"count": 1}'.encode("utf-16"),
        b"\x00" * 20,
        b"<html>502 Bad Gateway</html>",
        b'{"a": 1}{"b": 2}',
        b"[" * 100_000,
        b'"' + b"\\" * 1001 + b'"',
    ]
)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in ``value``, a JSON tree."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        keys: Sequence[Any] = (
            list(node)
            if isinstance(node, dict)
            else range(len(node))
            if isinstance(node, list)
            else ()
        )
        for key in keys:
            found.append((node, key))
            stack.append(node[key])
    return found


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` with 1 to 3 changes: a value replaced (odd numbers, wrong types, deep nesting),
    a key or item dropped, a value wrapped in a list, or the whole answer replaced."""
    value = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(value)
        if not slots:
            return draw(st.one_of(SCALARS, DEEP))
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "odd", "deep", "drop", "wrap"]))
        if action == "replace":
            container[key] = draw(JSON_VALUES)
        elif action == "odd":
            container[key] = draw(st.sampled_from(ODD_NUMBERS))
        elif action == "deep":
            container[key] = draw(DEEP)
        elif action == "drop":
            del container[key]
        else:
            container[key] = [container[key]]
    return value


def mutated_bodies(valid: Any) -> st.SearchStrategy[bytes]:
    """The documented answer ``valid`` with a few hostile changes, as bytes."""
    return mutated(valid).map(lambda v: dump(v).encode())


def bodies(valid: Any) -> st.SearchStrategy[bytes]:
    """Hostile bodies for an endpoint whose documented answer is ``valid``."""
    return st.one_of(
        mutated_bodies(valid),
        JSON_VALUES.map(lambda v: dump(v).encode()),
        DEEP.map(lambda v: dump(v).encode()),
        st.binary(max_size=200),
        ODD_BYTES,
    )


# -- the property --------------------------------------------------------------------------------

Call = Callable[[Any], Awaitable[Any]]
Check = Callable[[Any], bool]


@attrs.frozen
class Op:
    """One endpoint: how to call it, its documented answer, and what a success returns."""

    name: str
    call: Call
    valid: Any
    returns: Check


def _event(what: str) -> None:
    """Counted by ``--hypothesis-show-statistics``: how often calls return and raise what."""
    if currently_in_test_context():
        event(what)


async def returns_or_raises_typed(client: Any, op: Op) -> Any:
    """Run ``op``: its documented result, or a ``ContactGroupsError`` (returned, not raised).
    Anything else propagates and fails the test; so does a call that takes over 5 s."""
    with anyio.fail_after(5):
        try:
            result = await op.call(client)
        except ContactGroupsError as exc:
            _event(f"raised {type(exc).__name__}")
            return exc
    _event("returned")
    assert op.returns(result), (op.name, result)
    return result
