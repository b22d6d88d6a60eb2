"""MessageFlow: whatever bytes answer its main endpoints, at any status (207 included), each
call returns its result (a model, a page, a ``BulkResult``, a count) or raises a
``ContactGroupsError`` subclass, never anything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from _parse_support import (
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

from contactgroups import messageflow
from contactgroups._http import Page
from contactgroups.membership import BatchResult
from contactgroups.messageflow import BulkResult, Contact, Group

META = {"uniqId": "u-1", "numberOfResults": 1, "limit": 100, "offset": 0}
GROUP = {
    "id": 12,
    "name": "Home",
    "description": None,
    "externalId": "ext-1",
    "createdAt": 1700000000,
}
CONTACT = {"id": "5", "externalId": None, "email": "ann@example.com", "phoneNumber": "+48500100200"}
PARTIAL = {
    "meta": {"uniqId": "u-2"},
    "data": [{"id": "5"}],
    "errors": [
        {
            "title": "Not found",
            "message": "contact 7 does not exist",
            "code": "E-3-003",
            "meta": {"parameter": "id", "value": 7, "source": "id[1]"},
        }
    ],
}
ERROR = {
    "meta": {"uniqId": "u-3"},
    "errors": [{"title": "Not found", "message": "no results", "code": "E-0-404"}],
}


def _page_of(cls: type) -> Any:
    return lambda r: isinstance(r, Page) and all(isinstance(i, cls) for i in r.items)


def _bulk(r: Any) -> bool:
    return isinstance(r, BulkResult)


OPS = [
    Op("list groups", lambda c: c.groups.list().first_page(), {"meta": META, "data": [GROUP]},
       _page_of(Group)),
    Op(
        "walk groups",
        # one item: a fixed answer served again would be (rightly) a repeated page
        lambda c: c.groups.list(page_size=1, max_items=1).collect(),
        {"meta": META, "data": [GROUP]},
        lambda r: isinstance(r, list) and all(isinstance(i, Group) for i in r),
    ),
    Op("create group", lambda c: c.groups.create(name="Home", external_id="ext-1"),
       {"meta": META, "data": [GROUP]}, _bulk),
    Op("list members", lambda c: c.groups.list_contacts("12").first_page(),
       {"meta": META, "data": [CONTACT]}, _page_of(Contact)),
    Op("list member ids", lambda c: c.groups.list_contact_ids("12").first_page(),
       {"meta": META, "data": [CONTACT]}, _page_of(str)),
    Op("add members", lambda c: c.groups.add_contacts("12", ["5", "7"]), PARTIAL, _bulk),
    Op("remove members", lambda c: c.groups.remove_contacts("12", ["5", "7"]), PARTIAL, _bulk),
    Op("delete groups", lambda c: c.groups.delete(["12"]), PARTIAL, _bulk),
    Op("count members", lambda c: c.groups.count_contacts("12"),
       {"meta": META, "data": [{"count": 3}]}, lambda r: isinstance(r, int) and r >= 0),
    Op("adapter add", lambda c: c.membership.add("12", ["5", "7", "007"]), PARTIAL,
       lambda r: isinstance(r, BatchResult)),
    Op("adapter remove", lambda c: c.membership.remove("12", ["5", "7"]), PARTIAL,
       lambda r: isinstance(r, BatchResult)),
]  # fmt: skip
OP = st.sampled_from(OPS)


@pytest.fixture
async def vendor() -> AsyncIterator[tuple[AnswerServer, messageflow.Client]]:
    async with (
        AnswerServer.running() as server,
        messageflow.Client(
            authorization="parse-authorization",
            application_key="parse-application-key",
            base_url=server.origin,
            retry=None,
            timeout=3,
        ) as client,
    ):
        yield server, client


@SETTINGS
@given(op=OP, status=SUCCESS_STATUSES, data=st.data())
async def test_a_mutated_answer_is_a_result_or_a_typed_error(
    vendor: tuple[AnswerServer, messageflow.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(mutated_bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(op=OP, status=STATUSES, data=st.data())
async def test_any_answer_is_a_result_or_a_typed_error(
    vendor: tuple[AnswerServer, messageflow.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(op=OP, status=st.sampled_from([200, 207, 400, 401, 404, 500]), data=st.data())
async def test_odd_per_item_errors_and_error_bodies_are_read_or_typed(
    vendor: tuple[AnswerServer, messageflow.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(bodies(PARTIAL if status < 300 else ERROR), label="body")
    await returns_or_raises_typed(client, op)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
async def test_the_documented_answers_give_results(
    vendor: tuple[AnswerServer, messageflow.Client], op: Op
) -> None:
    """The starting points of the mutations are answers the client reads (not errors)."""
    server, client = vendor
    server.answer.status = 207 if op.valid is PARTIAL else 200
    server.answer.body = dump(op.valid).encode()
    result = await returns_or_raises_typed(client, op)
    assert not isinstance(result, Exception), result
