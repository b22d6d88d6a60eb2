"""The seed page's JSON examples structure into the models, field for field."""

from __future__ import annotations

import datetime as dt

import pytest

from contactgroups.errors import ValidationError
from contactgroups.messageflow import BulkResult, Contact, Group, GroupInput, ItemError, converter

# the seed page's examples, verbatim
SEED_GROUP = {"createdAt": 1, "id": 1234, "name": "test", "description": "Test descr"}
SEED_MEMBER = {
    "email": "test@test.pl",
    "externalId": "XXXX-XXXXX-XXXX",
    "id": "123",
    "phoneNumber": "0123123123",
}


def test_seed_group_example() -> None:
    group = converter.structure(SEED_GROUP, Group)
    assert group == Group(
        id="1234",
        name="test",
        description="Test descr",
        external_id=None,
        created_at=dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc),
    )


def test_group_with_formatted_date_and_external_id() -> None:
    group = converter.structure(
        {
            "createdAt": "2025-01-14 09:30:12",
            "id": "1043",
            "name": "Newsletter PL",
            "description": "",
            "externalId": "vip-2025",
            "isDynamic": True,  # an unknown field is ignored
        },
        Group,
    )
    assert group.id == "1043"
    assert group.external_id == "vip-2025"
    assert group.created_at == dt.datetime(2025, 1, 14, 9, 30, 12)


def test_seed_member_example() -> None:
    contact = converter.structure(SEED_MEMBER, Contact)
    assert contact == Contact(
        id="123", external_id="XXXX-XXXXX-XXXX", email="test@test.pl", phone_number="0123123123"
    )


def test_contact_id_as_number_becomes_str() -> None:
    assert converter.structure({"id": 123}, Contact).id == "123"


def test_group_input_unstructures_to_the_seed_create_body() -> None:
    item = GroupInput(name="test", description="Test descr", external_id="XXXXX-XXXX-XXXX")
    assert converter.unstructure(item) == {
        "name": "test",
        "description": "Test descr",
        "externalId": "XXXXX-XXXX-XXXX",
    }
    assert converter.unstructure(GroupInput(name="only")) == {"name": "only"}


def test_item_error_from_the_note_207_example() -> None:
    raw = {
        "title": "Validation error",
        "message": "Field name cannot be empty",
        "code": "E-3-001",
        "meta": {"parameter": "name", "value": "", "source": "1", "extra": 5},
    }
    error = ItemError.from_wire(raw)
    assert error == ItemError(
        title="Validation error",
        message="Field name cannot be empty",
        code="E-3-001",
        parameter="name",
        value="",
        source="1",
        meta={"parameter": "name", "value": "", "source": "1", "extra": 5},
    )
    exc = error.to_exception(request_id="5f1c0a9b3e")
    assert isinstance(exc, ValidationError)
    assert exc.code == "E-3-001"
    assert exc.status == 207
    assert exc.request_id == "5f1c0a9b3e"
    assert exc.provider == "messageflow"
    assert "Field name cannot be empty" in str(exc)


@pytest.mark.parametrize(
    ("value", "text"),
    [(123, "123"), ("123", "123"), (None, None), (True, "true"), (1.5, "1.5"), ([1], "[1]")],
)
def test_item_error_value_as_text(value: object, text: str | None) -> None:
    assert ItemError.from_wire({"meta": {"value": value}}).value == text


def test_item_error_without_meta() -> None:
    error = ItemError.from_wire({"title": "x", "message": "y", "code": 7})
    assert (error.code, error.parameter, error.value, dict(error.meta)) == ("7", None, None, {})


def test_bulk_result_ok() -> None:
    assert BulkResult[str](data=("1",)).ok
    assert not BulkResult[str](errors=(ItemError(code="E-3-003"),), status=207).ok
