"""Every log record of the library carries ``provider``, ``method``, ``path``, ``status``,
``attempt``, ``elapsed_ms`` and ``request_id`` as ``extra`` fields: ids that are phone numbers
redacted in ``path``, no credential in any of them, and nothing built at a level not logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, unquote_plus

import pytest
from log_support import Records
from secrets_hostile import CLIENTS, PROVIDERS, SECRETS, EchoVendor

from contactgroups import errors
from contactgroups._http import LOG_FIELDS, RetryPolicy, observe, redact_phones
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messente import MessenteFake

FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.001, jitter=0.0)


def of(records: Records, text: str) -> list[dict[str, Any]]:
    """The fields of each record whose message holds ``text``."""
    return [records.fields(r) for r in records.records if text in r.getMessage()]


def test_the_fields_are_the_documented_ones() -> None:
    assert LOG_FIELDS == (
        "provider",
        "method",
        "path",
        "status",
        "attempt",
        "elapsed_ms",
        "request_id",
    )


async def test_an_answered_attempt(records: Records) -> None:
    async with MessageBirdFake() as fake, fake.client() as client:
        group = fake.seed_group("G")
        await client.groups.get(group)
    [fields] = of(records, " -> 200 in ")
    elapsed = fields.pop("elapsed_ms")
    assert isinstance(elapsed, float) and elapsed >= 0
    assert fields == {
        "provider": "messagebird",
        "method": "GET",
        "path": f"/groups/{group}",
        "status": 200,
        "attempt": 1,
        "request_id": None,
    }


async def test_retries_carry_the_attempt_status_and_the_vendors_request_id(
    records: Records,
) -> None:
    async with MessageFlowFake() as fake:
        group = fake.seed_group("G")
        fake.faults = Faults(server_error=1.0)
        async with fake.client(retry=FAST) as client:
            with pytest.raises(errors.ServerError) as raised:
                await client.groups.count_contacts(group)
    request_id = raised.value.request_id
    assert request_id  # MessageFlow's meta.uniqId
    retries = of(records, "retrying GET")
    assert [(f["attempt"], f["status"], f["method"]) for f in retries] == [
        (1, 503, "GET"),
        (2, 503, "GET"),
    ]
    assert all(f["provider"] == "messageflow" for f in retries)
    assert all(f["path"] == f"/v2.1/group/{group}/count" for f in retries)
    for record in records.records:  # each retry names the request id of the answer it follows
        if "retrying" in record.getMessage():
            # (a numeric uniqId of 7+ digits reads as a phone number: redacted in messages too)
            named = redact_phones(f"(request id {record.request_id})")
            assert named in record.getMessage()
    answered = of(records, " -> 503 in ")
    assert [f["attempt"] for f in answered] == [1, 2, 3]


async def test_a_phone_number_in_the_path_is_redacted(records: Records) -> None:
    async with MessenteFake() as fake, fake.client() as client:
        group = fake.seed_group("G")
        [phone] = fake.seed_contacts(1)
        await client.groups.add_contact(group, phone)
    [fields] = of(records, " -> 201 in ")
    assert fields["path"] == f"/v1/phonebook/groups/{group}/contacts/…{phone[-2:]}"
    every = [str(v) for r in records.records for v in (r.getMessage(), *records.fields(r).values())]
    assert not [text for text in every if phone[1:] in text]


async def test_a_record_not_about_one_request_has_the_fields_too(records: Records) -> None:
    """Messengeo's token warning: the provider, and None for what it cannot know."""
    async with EchoVendor() as vendor:
        vendor.refuse_token = True
        client = CLIENTS["messengeo"](
            base_url=vendor.url, token_url=vendor.origin + "/oauth/token", retry=None
        )
        async with client:
            with pytest.raises(errors.AuthenticationError):
                await client.lists.list()
    [warning] = [r for r in records.records if "token request failed" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert records.fields(warning) == {
        "provider": "messengeo",
        "method": None,
        "path": None,
        "status": None,
        "attempt": None,
        "elapsed_ms": None,
        "request_id": None,
    }


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_no_credential_in_any_field(provider: str, records: Records) -> None:
    """A vendor echoing every header and body into its answers and its request id header."""
    async with EchoVendor(status=503) as vendor:
        extra = {"token_url": vendor.origin + "/oauth/token"} if provider == "messengeo" else {}
        client = CLIENTS[provider](base_url=vendor.url, retry=FAST, timeout=5, **extra)
        async with client:
            groups = client.lists if provider == "messengeo" else client.groups
            with pytest.raises(errors.ServerError):
                await groups.list()
    assert of(records, "retrying")
    texts = [
        str(value)
        for record in records.records
        for value in (record.getMessage(), *records.fields(record).values())
    ]
    secrets = [s for values in SECRETS.values() for s in values]
    decoded = [*texts, *map(unquote, texts), *map(unquote_plus, texts)]
    assert not [s for s in secrets if any(s in text for text in decoded)]


@pytest.fixture
def warning_level() -> Iterator[None]:
    """The library's loggers at the default WARNING (the suite runs them at DEBUG)."""
    logger = logging.getLogger("contactgroups")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


async def test_nothing_is_built_at_a_level_not_logged(
    warning_level: None, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> dict[str, Any]:
        raise AssertionError("log fields built for a record that is not logged")

    monkeypatch.setattr(observe, "log_fields", refuse)
    async with MessageBirdFake() as fake:
        group = fake.seed_group("G")
        async with fake.client(retry=FAST) as client:
            await client.groups.get(group)
            fake.faults = Faults(server_error=1.0)
            with pytest.raises(errors.ServerError):
                await client.groups.get(group)
    assert records.records == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # a phone number as a path segment, percent-encoded or not, and as a query value
        ("/groups/g1/contacts/%2B37251000007", "/groups/g1/contacts/…07"),
        ("/groups/g1/contacts/+37251000007", "/groups/g1/contacts/…07"),
        ("/contacts?phone=%2B37255512345&limit=10", "/contacts?phone=…45&limit=10"),
        # ids that only start with digits, or are too long for a phone number, are kept
        (
            "/groups/12345684-803f-404a-a147-54d01ce08a76",
            "/groups/12345684-803f-404a-a147-54d01ce08a76",
        ),
        ("/group/1234567890123456/contact", "/group/1234567890123456/contact"),
        # a credential, also as yarl writes it in a query value ("/" kept, "+" and "=" encoded)
        ("/lists?id=canary/MgSecret%2BL8k7%3D", "/lists?id=<redacted>"),
        ("/lists/canary%2FMgSecret%2BL8k7%3D", "/lists/<redacted>"),
    ],
)
def test_what_a_url_shows(url: str, shown: str) -> None:
    assert observe.clean_url(url, ["canary/MgSecret+L8k7="]) == shown
