"""Client-side checks: a call that breaks a documented limit fails before anything is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aioresponses import aioresponses

from contactgroups import messagebird
from contactgroups.errors import InvalidRequestError
from contactgroups.messagebird import MessageBirdMembership

KEY = "test_gshuPaZoeEG6ovbc8M79w0QyM"
GID = "61afc0531573b08ddbe36e1c85602827"
CID = "38afc3b2156e00498764d21c57738631"

Call = Callable[[messagebird.Client], Awaitable[Any]]


@pytest.fixture
async def mocked() -> AsyncIterator[tuple[messagebird.Client, aioresponses]]:
    with aioresponses() as m:
        async with messagebird.Client(access_key=KEY, retry=None) as client:
            yield client, m


async def expect_refused(
    mocked: tuple[messagebird.Client, aioresponses], call: Call, words: str
) -> None:
    client, m = mocked
    with pytest.raises(InvalidRequestError) as info:
        await call(client)
    assert words in str(info.value)
    assert info.value.provider == "messagebird"
    assert m.requests == {}


async def test_51_ids_are_refused_naming_the_limit(mocked: Any) -> None:
    ids = [f"{i:032x}" for i in range(51)]
    await expect_refused(mocked, lambda c: c.groups.add_contacts(GID, ids), "at most 50")


async def test_50_ids_pass_the_check(mocked: Any) -> None:
    client, m = mocked
    m.put(f"https://rest.messagebird.com/groups/{GID}/contacts", status=204)
    await client.groups.add_contacts(GID, [f"{i:032x}" for i in range(50)])
    assert len(m.requests) == 1


@pytest.mark.parametrize(
    ("ids", "words"),
    [([], "at least one"), ("abc", "not a single string"), (["a", ""], "must not be empty")],
)
async def test_bad_id_lists_are_refused(mocked: Any, ids: Any, words: str) -> None:
    await expect_refused(mocked, lambda c: c.groups.add_contacts(GID, ids), words)


@pytest.mark.parametrize(
    ("bad", "words"), [("", "empty"), ("..", "not a valid id"), ("a\nb", "control")]
)
async def test_ids_that_would_change_the_path_are_refused(
    mocked: Any, bad: str, words: str
) -> None:
    await expect_refused(mocked, lambda c: c.groups.get(bad), words)
    await expect_refused(mocked, lambda c: c.groups.remove_contact(GID, bad), words)
    await expect_refused(mocked, lambda c: c.contacts.delete(bad), words)


def test_pager_ids_are_checked_when_the_pager_is_built() -> None:
    client = messagebird.Client(access_key=KEY)
    with pytest.raises(InvalidRequestError):
        client.groups.list_contacts("..")
    with pytest.raises(InvalidRequestError):
        client.contacts.list_groups("")


@pytest.mark.parametrize("name", ["", "   ", 5, None])
async def test_group_names_must_be_text(mocked: Any, name: Any) -> None:
    await expect_refused(mocked, lambda c: c.groups.create(name), "group name")
    await expect_refused(mocked, lambda c: c.groups.update(GID, name=name), "group name")


@pytest.mark.parametrize(
    "msisdn", ["", "+", "abc", "+31 6 1234", "31-612", "٣١٦١٢٣٤٥٦٧٨", True, 3.5, None, -316]
)
async def test_msisdn_must_be_digits(mocked: Any, msisdn: Any) -> None:
    await expect_refused(mocked, lambda c: c.contacts.create(msisdn), "msisdn")
    if msisdn is not None:  # None means "unchanged" on update
        await expect_refused(mocked, lambda c: c.contacts.update(CID, msisdn=msisdn), "msisdn")


def test_msisdn_filter_is_checked_when_the_pager_is_built() -> None:
    client = messagebird.Client(access_key=KEY)
    with pytest.raises(InvalidRequestError):
        client.contacts.list(msisdn="not a number")


async def test_contact_text_fields_must_be_strings(mocked: Any) -> None:
    bad: Any = 5
    await expect_refused(
        mocked, lambda c: c.contacts.create("31612345678", first_name=bad), "first_name"
    )
    await expect_refused(mocked, lambda c: c.contacts.update(CID, custom3=bad), "custom3")


async def test_contact_update_needs_a_field(mocked: Any) -> None:
    await expect_refused(mocked, lambda c: c.contacts.update(CID), "at least one field")


@pytest.mark.parametrize(
    ("kwargs", "words"), [({"page_size": 0}, "page_size"), ({"max_items": -1}, "max_items")]
)
def test_pager_arguments_are_checked(kwargs: dict[str, Any], words: str) -> None:
    client = messagebird.Client(access_key=KEY)
    with pytest.raises(InvalidRequestError, match=words):
        client.groups.list(**kwargs)


@pytest.mark.parametrize("key", ["", "   ", None, 42])
def test_access_key_must_be_a_non_empty_string(key: Any) -> None:
    with pytest.raises(InvalidRequestError, match="access_key"):
        messagebird.Client(access_key=key)


def test_membership_chunk_size_can_go_lower_never_higher() -> None:
    client = messagebird.Client(access_key=KEY, max_add_per_call=10)
    assert client.membership.max_add_per_call == 10
    with pytest.raises(InvalidRequestError, match="50"):
        messagebird.Client(access_key=KEY, max_add_per_call=51)
    with pytest.raises(InvalidRequestError):
        MessageBirdMembership(client.groups, max_add_per_call=0)


async def test_membership_refuses_more_ids_than_its_limits(mocked: Any) -> None:
    await expect_refused(
        mocked,
        lambda c: c.membership.add(GID, [f"{i}" for i in range(51)]),
        "at most 50",
    )
    await expect_refused(mocked, lambda c: c.membership.remove(GID, ["a", "b"]), "at most 1")


def test_membership_options_use_the_shared_names() -> None:
    client = messagebird.Client(access_key=KEY, max_remove_per_call=1, membership_concurrency=4)
    assert client.membership.max_remove_per_call == 1
    assert client.membership.default_concurrency == 4
    view = client.with_options(timeout=5)
    assert view.membership.default_concurrency == 4
    with pytest.raises(InvalidRequestError, match=r"max_remove_per_call .* 1 to 1"):
        messagebird.Client(access_key=KEY, max_remove_per_call=2)
    with pytest.raises(InvalidRequestError, match="concurrency"):
        messagebird.Client(access_key=KEY, membership_concurrency=0)


def test_adapter_takes_the_groups_resource_and_a_client_only_with_a_warning() -> None:
    client = messagebird.Client(access_key=KEY)
    adapter = MessageBirdMembership(client.groups, max_add_per_call=5, concurrency=3)
    assert (adapter.max_add_per_call, adapter.default_concurrency) == (5, 3)
    with pytest.warns(DeprecationWarning, match="client.groups"):
        old = MessageBirdMembership(client)  # type: ignore[arg-type]
    assert old.max_add_per_call == messagebird.MAX_IDS_PER_ADD
    with pytest.raises(TypeError):
        MessageBirdMembership(object())  # type: ignore[arg-type]
