"""Messengeo: whatever bytes answer its main endpoints, at any status, each call returns its
result (a list, a page, a count) or raises a ``ContactGroupsError`` subclass, never anything
else; a 2xx body saying ``"status": <odd>`` included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from _parse_support import (
    ODD_NUMBERS,
    SETTINGS,
    STATUSES,
    SUCCESS_STATUSES,
    AnswerServer,
    Op,
    bodies,
    dump,
    mutated_bodies,
    returns_or_raises_typed,
)
from hypothesis import given
from hypothesis import strategies as st

from contactgroups import messengeo
from contactgroups._http import Page
from contactgroups.membership import BatchResult
from contactgroups.messengeo import Contact, ContactList

LIST = {
    "id": "7606",
    "name": "Home",
    "description": "d",
    "stats": {"subscribers": "103456", "sms": "100", "email": 3, "voice": "0", "voicemail": None},
    "dateCreated": "2020-01-01 10:00:00",
    "dateUpdated": "0000-00-00 00:00:00",
    "importStatus": "ok",
    "importLines": "10",
    "importInvalid": "0",
    "importErrors": "",
}
CONTACT = {
    "id": "1",
    "listIds": ["7606"],
    "dateCreated": "2020-01-01 10:00:00",
    "mobile": "+33612345678",
    "longitude": "2.35",
    "latitude": 48.85,
    "smsOptout": None,
}
ERROR = {
    "status": 400,
    "message": "Bad request",
    "details": "id is invalid",
    "messages": [{"details": "list 7606 is unknown"}],
}


def _page_of(cls: type) -> Any:
    return lambda r: isinstance(r, Page) and all(isinstance(i, cls) for i in r.items)


def _count(r: Any) -> bool:
    return isinstance(r, int) and not isinstance(r, bool) and r >= 0


def _envelope(item: dict[str, Any]) -> dict[str, Any]:
    return {"list": [item], "size": 1, "total": 1}


OPS = [
    Op("list lists", lambda c: c.lists.list().first_page(), _envelope(LIST), _page_of(ContactList)),
    Op("get list", lambda c: c.lists.get("7606"), _envelope(LIST),
       lambda r: isinstance(r, ContactList)),
    Op("create list", lambda c: c.lists.create("Home"), _envelope(LIST),
       lambda r: isinstance(r, ContactList)),
    Op(
        "list members",
        lambda c: c.lists.list_contacts("7606", page_size=1, max_items=3).collect(),
        _envelope(CONTACT),
        lambda r: isinstance(r, list) and all(isinstance(i, Contact) for i in r),
    ),
    Op("add members", lambda c: c.lists.add_contacts("7606", ["1", "2"]), {"count": 2}, _count),
    Op("remove members", lambda c: c.lists.remove_contacts("7606", ["1"]), {"count": "1"},
       _count),
    Op("delete lists", lambda c: c.lists.delete(["7606"]), {"count": 1}, _count),
    Op("adapter add", lambda c: c.membership.add("7606", ["1", "2"]), {"count": 2},
       lambda r: isinstance(r, BatchResult)),
    Op("adapter remove", lambda c: c.membership.remove("7606", ["1"]), {"count": 1},
       lambda r: isinstance(r, BatchResult)),
]  # fmt: skip
OP = st.sampled_from(OPS)


@pytest.fixture
async def vendor() -> AsyncIterator[tuple[AnswerServer, messengeo.Client]]:
    async with (
        AnswerServer.running() as server,
        messengeo.Client(
            client_id="parse-client-id",
            client_secret="parse-client-secret",
            base_url=server.origin + "/rest",
            token_url=server.origin + "/token",
            retry=None,
            timeout=3,
        ) as client,
    ):
        yield server, client


@SETTINGS
@given(op=OP, status=SUCCESS_STATUSES, data=st.data())
async def test_a_mutated_answer_is_a_result_or_a_typed_error(
    vendor: tuple[AnswerServer, messengeo.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(mutated_bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(op=OP, status=STATUSES, data=st.data())
async def test_any_answer_is_a_result_or_a_typed_error(
    vendor: tuple[AnswerServer, messengeo.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(
    op=OP,
    status=st.sampled_from([200, 201, 400, 401, 404, 417, 500]),
    odd=st.sampled_from(ODD_NUMBERS),
    data=st.data(),
)
async def test_an_odd_status_or_count_in_any_answer_is_read_or_typed(
    vendor: tuple[AnswerServer, messengeo.Client],
    op: Op,
    status: int,
    odd: Any,
    data: st.DataObject,
) -> None:
    server, client = vendor
    server.answer.status = status
    body = data.draw(st.sampled_from([ERROR, op.valid, {"count": 1}, {}]), label="base")
    key = data.draw(st.sampled_from(["status", "count", "total", "size"]), label="key")
    server.answer.body = dump({**body, key: odd}).encode()
    await returns_or_raises_typed(client, op)
    server.answer.body = data.draw(bodies(ERROR), label="error body")
    await returns_or_raises_typed(client, op)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
async def test_the_documented_answers_give_results(
    vendor: tuple[AnswerServer, messengeo.Client], op: Op
) -> None:
    """The starting points of the mutations are answers the client reads (not errors)."""
    server, client = vendor
    server.answer.status = 200
    server.answer.body = dump(op.valid).encode()
    result = await returns_or_raises_typed(client, op)
    assert not isinstance(result, Exception), result
