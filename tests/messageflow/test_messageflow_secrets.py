"""Credentials never show in repr, error messages or DEBUG logs."""

from __future__ import annotations

import logging

import pytest

from contactgroups.errors import APIError, ContactGroupsError
from contactgroups.messageflow import Client
from contactgroups.testing.messageflow import MessageFlowFake

AUTH = "secret-authorization-" + "x" * 107
APP = "secret-application-key-42"


def test_repr_hides_both_keys() -> None:
    client = Client(authorization=AUTH, application_key=APP)
    for text in (repr(client), repr(client._transport.auth), str(vars(client))):
        assert AUTH not in text and APP not in text


async def test_errors_and_logs_hide_both_keys(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="contactgroups")
    # the fake echoes nothing, so make it answer with the keys in its error body
    async with MessageFlowFake(authorization=AUTH, application_key=APP) as fake:
        gid = fake.seed_group()
        async with fake.client() as client:
            await client.groups.count_contacts(gid)
            await client.groups.list_contacts(gid).collect()
        async with fake.client(application_key=APP + "-old") as wrong:
            with pytest.raises(ContactGroupsError) as info:
                await wrong.groups.list().collect()
    error = info.value
    assert isinstance(error, APIError)
    texts = [str(error), repr(error), error.body or "", *(r.getMessage() for r in caplog.records)]
    assert caplog.records  # DEBUG logging did happen
    for text in texts:
        assert AUTH not in text
        assert APP not in text


async def test_secrets_echoed_by_the_vendor_are_scrubbed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from aioresponses import aioresponses

    caplog.set_level(logging.DEBUG, logger="contactgroups")
    body = {
        "meta": {"uniqId": "abc"},
        "errors": [{"title": "Invalid token", "message": f"bad key {AUTH} / {APP}"}],
    }
    with aioresponses() as m:
        m.get("https://api.messageflow.com/v2.1/group/1/count", status=401, payload=body)
        async with Client(authorization=AUTH, application_key=APP) as client:
            with pytest.raises(APIError) as info:
                await client.groups.count_contacts(1)
    for text in (str(info.value), info.value.body or "", *(r.getMessage() for r in caplog.records)):
        assert AUTH not in text and APP not in text
