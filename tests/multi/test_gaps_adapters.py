"""The membership adapters' own guards and options, which ``multi`` never exercises (it always
sends chunks within the limits it reads from the adapter): found by mutation testing."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from contactgroups import errors
from contactgroups.messagebird import MessageBirdMembership
from contactgroups.messente import MessenteMembership
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake


async def test_messagebird_refuses_more_ids_than_its_configured_chunk_before_sending() -> None:
    async with MessageBirdFake() as fake, fake.client(max_add_per_call=40) as client:
        group = fake.seed_group("g")
        ids = fake.seed_contacts(41)
        with pytest.raises(errors.InvalidRequestError) as info:
            await client.membership.add(group, ids)
        assert info.value.provider == "messagebird"
        with pytest.raises(errors.InvalidRequestError) as info:
            await client.membership.remove(group, ids[:2])  # one id per remove
        assert info.value.provider == "messagebird"
        assert fake.requests == []


async def test_messagebird_membership_options_reach_the_adapter() -> None:
    async with MessageBirdFake() as fake, fake.client(membership_concurrency=3) as client:
        assert client.membership.default_concurrency == 3
        group = fake.seed_group("g")
        adapter = MessageBirdMembership(client.groups, members_page_size=7)
        assert [m async for m in adapter.members(group)] == []
        (read,) = fake.requests_to("GET", "/groups")
        assert "limit=7" in read.query
        with pytest.raises(errors.InvalidRequestError, match="members_page_size") as info:
            MessageBirdMembership(client.groups, members_page_size=0)
        assert info.value.provider == "messagebird"


async def test_messente_takes_one_phone_per_call_and_says_so() -> None:
    async with MessenteFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        with pytest.raises(errors.InvalidRequestError, match="not a single string") as info:
            await client.membership.add(group, "+37251000000")  # type: ignore[arg-type]
        assert info.value.provider == "messente"
        with pytest.raises(
            errors.InvalidRequestError, match="2 phone numbers given; Messente takes exactly 1"
        ) as info:
            await client.membership.add(group, ["+37251000000", "+37251000001"])
        assert info.value.provider == "messente"


async def test_messente_creates_a_missing_contact_by_default() -> None:
    async with MessenteFake() as fake, fake.client() as client:
        group = fake.seed_group("g")
        result = await client.membership.add(group, ["+37255512345"])  # not in the phonebook
        assert result.done == ("+37255512345",)
        assert fake.member_ids(group) == {"+37255512345"}


def answers_207(body: dict[str, Any]) -> Any:
    """A middleware: every membership POST is answered with this 207, nothing applied."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "POST" and request.path.endswith("/contact"):
            return web.json_response(body, status=207)
        return await handler(request)

    return middleware


async def test_messageflow_reports_a_207_error_naming_no_id_as_an_unknown_outcome() -> None:
    unnamed = {
        "title": "Validation error",
        "message": "Something went wrong",
        "code": "E-9-001",
        "meta": {"parameter": "other", "value": "x", "source": "/data/0"},
    }
    named = {"title": "Invalid id", "message": "no such contact", "code": "E-3-004"}
    named["meta"] = {"parameter": "id", "value": "06"}  # the vendor echoes the id as it likes
    body = {"data": [], "errors": [unnamed, named], "meta": {"uniqId": "req-207"}}
    fake = MessageFlowFake()
    fake.app.middlewares.append(answers_207(body))
    async with fake, fake.client() as client:
        result = await client.membership.add(fake.seed_group("g"), ["5", "6"])
    assert result.done == ()
    unknown = result.failed["5"]
    assert isinstance(unknown, errors.OutcomeUnknownError)
    assert unknown.maybe_landed is True
    assert unknown.status == 207
    assert unknown.provider == "messageflow"
    assert unknown.code == "E-9-001"
    assert unknown.request_id == "req-207"
    assert "(Something went wrong)" in str(unknown)
    assert unknown.errors == (
        {
            "parameter": "other",
            "value": "x",
            "source": "/data/0",
            "title": "Validation error",
            "message": "Something went wrong",
            "code": "E-9-001",
        },
    )
    refused = result.failed["6"]  # named by its id ("06" is 6): refused, not unknown
    assert isinstance(refused, errors.ValidationError)
    assert not isinstance(refused, errors.OutcomeUnknownError)
    assert refused.code == "E-3-004"


async def test_messengeo_says_which_ids_a_list_did_not_take_and_which_do_not_exist() -> None:
    async with MessengeoFake() as fake, fake.client() as client:
        real = fake.seed_contacts(2)
        result = await client.membership.add("999999", [*real, "424242"])  # no such list
    assert result.done == ()
    missing = result.failed["424242"]
    assert isinstance(missing, errors.NotFoundError)
    assert (missing.status, missing.provider) == (404, "messengeo")
    assert str(missing).endswith("contact 424242 does not exist")
    refused = result.failed[real[0]]
    assert isinstance(refused, errors.ValidationError)
    assert (refused.status, refused.provider) == (200, "messengeo")
    assert f"list 999999 did not take contact {real[0]}" in str(refused)


async def test_messente_adapter_creates_missing_contacts_unless_told_not_to() -> None:
    async with MessenteFake() as fake, fake.client() as client:
        assert MessenteMembership(client.groups, client.contacts).create_missing_contacts is True
        told = MessenteMembership(client.groups, client.contacts, create_missing_contacts=False)
        assert told.create_missing_contacts is False


async def test_messengeo_refuses_more_ids_than_its_chunk_naming_itself() -> None:
    async with (
        MessengeoFake() as fake,
        fake.client(max_add_per_call=2, max_remove_per_call=2) as client,
    ):
        for call in (client.membership.add, client.membership.remove):
            with pytest.raises(errors.InvalidRequestError, match="3 ids given") as info:
                await call("1", ["1", "2", "3"])
            assert info.value.provider == "messengeo"
        assert fake.requests == []


async def test_messageflow_names_its_limit_per_verb_and_a_bad_contact_id() -> None:
    async with (
        MessageFlowFake() as fake,
        fake.client(max_add_per_call=2, max_remove_per_call=2) as client,
    ):
        group = fake.seed_group("g")
        for verb, call in (("add", client.membership.add), ("remove", client.membership.remove)):
            with pytest.raises(errors.InvalidRequestError) as info:
                await call(group, ["1", "2", "3"])
            assert str(info.value).endswith(
                f"3 ids given; this adapter sends at most 2 per {verb} call"
            )
            assert info.value.provider == "messageflow"
        result = await client.membership.add(group, ["-5"])
        bad = result.failed["-5"]
        assert isinstance(bad, errors.InvalidRequestError)
        assert str(bad).startswith("contact id must be digits")
