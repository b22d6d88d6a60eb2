"""Every optional field of MessageFlow's objects read from (or sent as) a NON-null value: a field
mapped to a misspelt key would be None (or missing) here."""

from __future__ import annotations

import datetime as dt

import attrs

from contactgroups.messageflow import Contact, Group, GroupUpdate, converter


def test_a_group_with_every_field_set() -> None:
    raw = {
        "id": 1043,
        "name": "VIP customers",
        "description": "Spring campaign",
        "externalId": "vip-2025",
        "createdAt": "2025-01-14 09:30:12",
    }
    group = converter.structure(raw, Group)
    assert group == Group(
        id="1043",
        name="VIP customers",
        description="Spring campaign",
        external_id="vip-2025",
        created_at=dt.datetime(2025, 1, 14, 9, 30, 12),
    )
    assert all(getattr(group, f.name) is not None for f in attrs.fields(Group))


def test_a_member_with_every_field_set() -> None:
    raw = {
        "email": "anna.kowalska@example.com",
        "externalId": "CRM-000123",
        "id": "123",
        "phoneNumber": "48500100200",
    }
    contact = converter.structure(raw, Contact)
    assert contact == Contact(
        id="123",
        external_id="CRM-000123",
        email="anna.kowalska@example.com",
        phone_number="48500100200",
    )


def test_a_group_update_sends_every_field_under_the_vendors_keys() -> None:
    update = GroupUpdate(id=1043, name="VIP", description="Autumn campaign")
    assert converter.unstructure(update) == {
        "id": 1043,
        "name": "VIP",
        "description": "Autumn campaign",
    }
