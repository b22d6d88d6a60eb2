"""Messente: whatever bytes answer its main endpoints, at any status, each call returns its
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

from contactgroups import messente
from contactgroups._http import Page
from contactgroups.membership import BatchResult
from contactgroups.messente import Contact, Group

GROUP = {
    "id": "5792a02a-e5c2-422b-a0a0-0ae65d814663",
    "name": "Home",
    "contactsCount": 2,
    "createdOn": "2024-01-02T03:04:05.123456Z",
}
CONTACT = {
    "phoneNumber": "+37251000000",
    "email": "ann@example.com",
    "firstName": "Ann",
    "lastName": None,
    "company": None,
    "title": None,
    "custom": "x",
    "custom2": None,
    "custom3": None,
    "custom4": None,
    "scheduledDeletionDate": "2024-02-01",
}
ERROR = {"errors": [{"title": "Missing resource", "detail": "no such group", "code": "203"}]}
PHONE = "+37251000000"


def _all(cls: type) -> Any:
    return lambda r: isinstance(r, list) and all(isinstance(i, cls) for i in r)


OPS = [
    Op("get group", lambda c: c.groups.get("g1"), {"group": GROUP}, lambda r: isinstance(r, Group)),
    Op(
        "create group",
        lambda c: c.groups.create("Home"),
        {"group": GROUP},
        lambda r: isinstance(r, Group),
    ),
    Op(
        "list groups",
        lambda c: c.groups.list().first_page(),
        {"groups": [GROUP, GROUP]},
        lambda r: isinstance(r, Page) and all(isinstance(i, Group) for i in r.items),
    ),
    Op(
        "list members",
        lambda c: c.groups.list_contacts(["g1"], max_items=3).collect(),
        {"contacts": [CONTACT]},
        _all(Contact),
    ),
    Op(
        "get contact",
        lambda c: c.contacts.get(PHONE),
        {"contact": CONTACT},
        lambda r: isinstance(r, Contact),
    ),
    Op("add member", lambda c: c.groups.add_contact("g1", PHONE), {}, lambda r: r is None),
    Op("remove member", lambda c: c.groups.remove_contact("g1", PHONE), {}, lambda r: r is None),
    Op(
        "adapter add",
        lambda c: c.membership.add("g1", [PHONE]),
        {},
        lambda r: isinstance(r, BatchResult),
    ),
    Op(
        "adapter remove",
        lambda c: c.membership.remove("g1", [PHONE]),
        {},
        lambda r: isinstance(r, BatchResult),
    ),
]
OP = st.sampled_from(OPS)


@pytest.fixture
async def vendor() -> AsyncIterator[tuple[AnswerServer, messente.Client]]:
    async with (
        AnswerServer.running() as server,
        messente.Client(
            username="parse-user",
            password="parse-password",
            base_url=server.origin,
            retry=None,
            timeout=3,
        ) as client,
    ):
        yield server, client


@SETTINGS
@given(op=OP, status=SUCCESS_STATUSES, data=st.data())
async def test_a_mutated_answer_is_a_model_or_a_typed_error(
    vendor: tuple[AnswerServer, messente.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(mutated_bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(op=OP, status=STATUSES, data=st.data())
async def test_any_answer_is_a_model_or_a_typed_error(
    vendor: tuple[AnswerServer, messente.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(bodies(op.valid), label="body")
    await returns_or_raises_typed(client, op)


@SETTINGS
@given(op=OP, status=st.sampled_from([200, 201, 400, 404, 405, 409, 500]), data=st.data())
async def test_an_error_body_with_odd_fields_is_a_typed_error(
    vendor: tuple[AnswerServer, messente.Client], op: Op, status: int, data: st.DataObject
) -> None:
    server, client = vendor
    server.answer.status = status
    server.answer.body = data.draw(bodies(ERROR), label="body")
    await returns_or_raises_typed(client, op)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
async def test_the_documented_answers_give_models(
    vendor: tuple[AnswerServer, messente.Client], op: Op
) -> None:
    """The starting points of the mutations are answers the client reads (not errors)."""
    server, client = vendor
    server.answer.status = 200
    server.answer.body = dump(op.valid).encode()
    result = await returns_or_raises_typed(client, op)
    assert not isinstance(result, Exception), result
