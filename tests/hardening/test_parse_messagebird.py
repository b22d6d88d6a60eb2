"""MessageBird: whatever bytes answer its main endpoints, at any status, each call returns its
model (or None) or raises a ``ContactGroupsError`` subclass, never anything else."""

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

from contactgroups import messagebird
from contactgroups._http import Page
from contactgroups.membership import BatchResult
from contactgroups.messagebird import Contact, Group

GROUP = {
    "id": "g1",
    "href": "https://rest.messagebird.com/groups/g1",
    "name": "Home",
    "contacts": {"totalCount": 2, "href": "https://rest.messagebird.com/groups/g1/contacts"},
    "createdDatetime": "2024-01-02T03:04:05+00:00",
    "updatedDatetime": None,
}
CONTACT = {
    "id": "c1",
    "href": "https://rest.messagebird.com/contacts/c1",
    "msisdn": 31612345678,
    "firstName": "Ann",
    "lastName": None,
    "customDetails": {"custom1": "a", "custom2": None, "custom3": None, "custom4": None},
    "groups": {"totalCount": 1, "href": "https://rest.messagebird.com/contacts/c1/groups"},
    "messages": {"totalCount": 0, "href": None},
    "createdDatetime": "2024-01-02T03:04:05+00:00",
    "updatedDatetime": "2024-01-02T03:04:05Z",
}


def _listing(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "offset": 0,
        "limit": 20,
        "count": 1,
        "totalCount": 1,
        "links": {"first": None, "previous": None, "next": None, "last": None},
        "items": [item],
    }


ERROR = {"errors": [{"code": 20, "description": "group not found", "parameter": None}]}


def _page_of(cls: type) -> Any:
    return lambda r: isinstance(r, Page) and all(isinstance(i, cls) for i in r.items)


def _all(cls: type) -> Any:
    return lambda r: isinstance(r, list) and all(isinstance(i, cls) for i in r)


OPS = [
    Op("get group", lambda c: c.groups.get("g1"), GROUP, lambda r: isinstance(r, Group)),
    Op("create group", lambda c: c.groups.create("Home"), GROUP, lambda r: isinstance(r, Group)),
    Op("list groups", lambda c: c.groups.list().first_page(), _listing(GROUP), _page_of(Group)),
    Op(
        "walk groups",
        lambda c: c.groups.list(page_size=1, max_items=3).collect(),
        _listing(GROUP),
        _all(Group),
    ),
    Op(
        "list members",
        lambda c: c.groups.list_contacts("g1", max_items=3).collect(),
        _listing(CONTACT),
        _all(Contact),
    ),
    Op("get contact", lambda c: c.contacts.get("c1"), CONTACT, lambda r: isinstance(r, Contact)),
    Op(
        "add members",
        lambda c: c.groups.add_contacts("g1", ["c1", "c2"]),
        ERROR,
        lambda r: r is None,
    ),
    Op("remove member", lambda c: c.groups.remove_contact("g1", "c1"), ERROR, lambda r: r is None),
    Op(
        "adapter add",
        lambda c: c.membership.add("g1", ["c1", "c2"]),
        ERROR,
        lambda r: isinstance(r, BatchResult),
    ),
    Op(
        "adapter remove",
        lambda c: c.membership.remove("g1", ["c1"]),
        ERROR,
        lambda r: isinstance(r, BatchResult),
    ),
]
OP = st.sampled_from(OPS)


@pytest.fixture
async def vendor() -> AsyncIterator[tuple[AnswerServer, messagebird.Client]]:
    async with (
        AnswerServer.running() as server,
        messagebird.Client(
            access_key="parse-test-key", base_url=server.origin, retry=None, timeout=3
        ) as client,
    ):
        yield server, client


@SETTINGS
@given(op=OP, status=SUCCESS_STATUSES, data=st.data())
async def test_a_mutated_answer_is_a_model_or_a_typed_error(
    vendor: tuple[AnswerServer, messagebird.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(mutated_bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(op=OP, status=STATUSES, data=st.data())
async def test_any_answer_is_a_model_or_a_typed_error(
    vendor: tuple[AnswerServer, messagebird.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(op=OP, status=st.sampled_from([200, 201, 400, 404, 422, 500]), data=st.data())
async def test_an_error_body_with_odd_fields_is_a_typed_error(
    vendor: tuple[AnswerServer, messagebird.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(bodies(ERROR), label="body")
    await returns_or_raises_typed(client, op)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
async def test_the_documented_answers_give_models(
    vendor: tuple[AnswerServer, messagebird.Client], op: Op
) -> None:
    """The starting points of the mutations are answers the client reads (not errors)."""
    server, client = vendor
    server.answer.status = 200
    server.answer.body = dump(op.valid).encode()
    if op.valid is ERROR:
        server.answer.status = 204
    result = await returns_or_raises_typed(client, op)
    assert not isinstance(result, Exception), result
