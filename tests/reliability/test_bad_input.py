"""Hostile input against every provider: each call succeeds against the fake, raises
InvalidRequestError before sending, or gets a typed vendor error — and a path part never leaves
its segment. Nothing crashes with a raw KeyError/TypeError."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactgroups import errors
from contactgroups._http import RetryPolicy
from contactgroups.testing.pytest_plugin import start_fake

NASTY = st.sampled_from(
    [
        "",
        " ",
        ".",
        "..",
        "../x",
        "../../groups",
        "a/b",
        "/",
        "?",
        "?x=1",
        "#frag",
        "%",
        "%2F",
        "%00",
        "+37251000000",
        "\x00",
        "a\nb",
        "\t",
        "é",
        "名前",
        "💥",
        "x" * 3000,
        "0",
        "-1",
    ]
)
TEXT = st.one_of(NASTY, st.text(max_size=40))
ANY_VALUE = st.one_of(TEXT, st.integers(-5, 10**12), st.none(), st.floats(), st.booleans())

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# provider -> operation name -> (call, path segment index of the value or None)
Op = Callable[[Any, Any], Awaitable[Any]]


def _ops(provider: str) -> dict[str, tuple[Op, int | None]]:
    if provider == "messagebird":
        return {
            "get group": (lambda c, v: c.groups.get(v), 1),
            "add": (lambda c, v: c.groups.add_contacts("g", [v]), None),
            "add to": (lambda c, v: c.groups.add_contacts(v, ["c"]), 1),
            "remove": (lambda c, v: c.groups.remove_contact("g", v), 3),
            "create": (lambda c, v: c.groups.create(v), None),
            "get contact": (lambda c, v: c.contacts.get(v), 1),
        }
    if provider == "messente":
        return {
            "get group": (lambda c, v: c.groups.get(v), 2),
            "add": (lambda c, v: c.groups.add_contact("g", v), 4),
            "add to": (lambda c, v: c.groups.add_contact(v, "+37251000000"), 2),
            "create": (lambda c, v: c.groups.create(v), None),
            "get contact": (lambda c, v: c.contacts.get(v), 2),
        }
    if provider == "messageflow":
        return {
            "add": (lambda c, v: c.groups.add_contacts("1", [v]), None),
            "add to": (lambda c, v: c.groups.add_contacts(v, ["1"]), 1),
            "count": (lambda c, v: c.groups.count_contacts(v), 1),
            "create": (lambda c, v: c.groups.create(name=v), None),
        }
    return {
        "add": (lambda c, v: c.lists.add_contacts("1", [v]), None),
        "add to": (lambda c, v: c.lists.add_contacts(v, ["1"]), None),
        "create": (lambda c, v: c.lists.create(v), None),
        "delete": (lambda c, v: c.lists.delete([v]), None),
    }


@pytest.fixture(params=["messagebird", "messente", "messageflow", "messengeo"])
async def vendor(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Any, Any]]:
    async with (
        start_fake(f"{request.param}_fake") as fake,
        fake.client(retry=RetryPolicy(max_attempts=1)) as client,
    ):
        yield request.param, fake, client


def _prefix_len(fake: Any) -> int:
    return len([p for p in fake.prefix.split("/") if p])


@SETTINGS
@given(value=ANY_VALUE, op_index=st.integers(0, 5))
async def test_hostile_values_never_crash_or_escape_their_segment(
    vendor: tuple[str, Any, Any], value: Any, op_index: int
) -> None:
    provider, fake, client = vendor
    ops = list(_ops(provider).items())
    name, (op, segment) = ops[op_index % len(ops)]
    before = len(fake.requests)
    try:
        await op(client, value)
    except errors.InvalidRequestError:
        # refused client-side: nothing at all reached the vendor
        assert len(fake.requests) == before, (provider, name, value)
        return
    except errors.MalformedResponseError:  # pragma: no cover - would be a fake/client bug
        raise
    except errors.APIError:
        pass  # the vendor (fake) answered with a typed error: fine
    sent = [r for r in fake.requests[before:] if not r.path.endswith("/token")]
    assert sent, (provider, name, value)
    if segment is not None:
        raw_parts = sent[-1].raw_path.split("/")[1:]
        index = _prefix_len(fake) + segment
        assert raw_parts[index] == quote(str(value), safe=""), (provider, name, value, raw_parts)


@pytest.mark.parametrize("value", [None, 1.5, True, b"bytes", ["list"], {"a": 1}, object()])
async def test_wrong_types_are_refused_before_sending(
    vendor: tuple[str, Any, Any], value: Any
) -> None:
    provider, fake, client = vendor
    for name, (op, _) in _ops(provider).items():
        before = len(fake.requests)
        with pytest.raises(errors.InvalidRequestError):
            await op(client, value)
        assert len(fake.requests) == before, (provider, name)


async def test_empty_and_oversized_id_lists_are_refused_before_sending(
    vendor: tuple[str, Any, Any],
) -> None:
    provider, fake, client = vendor
    adapter = client.membership
    group = fake.seed_group("g")
    too_many = [str(i) for i in range(adapter.max_add_per_call + 1)]
    calls: list[Callable[[], Awaitable[Any]]]
    if provider == "messagebird":
        calls = [
            lambda: client.groups.add_contacts(group, []),
            lambda: client.groups.add_contacts(group, too_many),
        ]
    elif provider == "messente":
        calls = [
            lambda: client.groups.add_contact(group, ""),
            lambda: client.groups.add_contact(group, "37251"),
        ]
    elif provider == "messageflow":  # no documented cap on ids per call; pages cap at 1000
        calls = [
            lambda: client.groups.add_contacts(group, []),
            lambda: client.groups.list_contacts(group, page_size=1001).first_page(),
        ]
    else:
        calls = [
            lambda: client.lists.add_contacts(group, []),
            lambda: client.lists.add_contacts(group, "1,2"),
        ]
    before = len(fake.requests)
    for call in calls:
        with pytest.raises(errors.InvalidRequestError):
            await call()
    assert len(fake.requests) == before
