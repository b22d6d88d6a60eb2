"""The access key never shows: not in repr, not in errors, not in DEBUG logs."""

from __future__ import annotations

import logging

import pytest
from aioresponses import aioresponses

from contactgroups import messagebird
from contactgroups.errors import APIError, AuthenticationError, ValidationError
from contactgroups.testing.messagebird import MessageBirdFake

KEY = "live_secretKey0123456789abcdef"


def test_repr_hides_the_access_key() -> None:
    client = messagebird.Client(access_key=KEY)
    for text in (repr(client), str(client), repr(client.groups), repr(client.membership)):
        assert KEY not in text
    assert "rest.messagebird.com" in repr(client)


async def test_errors_and_debug_logs_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with MessageBirdFake(access_key=KEY) as fake, fake.client() as mb:
        group = await mb.groups.create("Home")
        contact = await mb.contacts.create("31612345678")
        await mb.groups.add_contacts(group.id, [contact.id])
        with pytest.raises(ValidationError) as invalid:
            await mb.groups.add_contacts(group.id, ["ghost"])
        async with fake.client(access_key=KEY + "x") as wrong:
            with pytest.raises(AuthenticationError) as denied:
                await wrong.groups.get(group.id)
    assert caplog.records, "the transport logs at DEBUG"
    for record in caplog.records:
        assert KEY not in record.getMessage()
        # phone numbers are redacted too
        assert "31612345678" not in record.getMessage()
    for error in (invalid.value, denied.value):
        assert KEY not in str(error)
        assert KEY not in repr(error)
        assert KEY not in (error.body or "")


async def test_a_vendor_echoing_the_key_is_scrubbed() -> None:
    body = {"errors": [{"code": 2, "description": f"bad key {KEY}", "parameter": "access_key"}]}
    with aioresponses() as m:
        m.get("https://rest.messagebird.com/groups/g", status=401, payload=body)
        async with messagebird.Client(access_key=KEY, retry=None) as mb:
            with pytest.raises(APIError) as info:
                await mb.groups.get("g")
    assert KEY not in str(info.value)
    assert KEY not in (info.value.body or "")
    assert info.value.code == 2
