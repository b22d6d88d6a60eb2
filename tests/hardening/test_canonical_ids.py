"""``canonical_id`` per vendor: the form the vendor stores and lists, refusals for ids it can
never take, idempotence, and ``members()`` output fixed under it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactgroups import errors, messagebird, messageflow, messengeo, messente
from contactgroups.messageflow.wire import listed_ids
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake

_URL = "http://127.0.0.1:9"  # never called: canonical_id is pure
_CLIENTS = {
    "messagebird": lambda: messagebird.Client(access_key="k" * 25, base_url=_URL),
    "messente": lambda: messente.Client(username="user", password="password", base_url=_URL),
    "messageflow": lambda: messageflow.Client(
        authorization="a" * 20, application_key="b" * 20, base_url=_URL
    ),
    "messengeo": lambda: messengeo.Client(
        client_id="id", client_secret="secret", base_url=_URL, token_url=_URL + "/token"
    ),
}


def adapter(vendor: str) -> Any:
    return _CLIENTS[vendor]().membership


FORMS = [
    ("messageflow", "007", "7"),
    ("messageflow", " 7 ", "7"),
    ("messageflow", "0", "0"),
    ("messageflow", "000", "0"),
    ("messageflow", str(123456789), "123456789"),
    ("messageflow", "0" * 5000 + "12", "12"),
    ("messente", "+37251000000", "+37251000000"),
    ("messente", " +372 5100 0000 ", "+37251000000"),
    ("messente", "+372-5100-0000", "+37251000000"),
    ("messente", "+372.5100.0000", "+37251000000"),
    ("messagebird", " 61afc0531573b08ddbe36e1c85602827\n", "61afc0531573b08ddbe36e1c85602827"),
    ("messagebird", "61AFC0531573B08DDBE36E1C85602827", "61AFC0531573B08DDBE36E1C85602827"),
    ("messagebird", str(42), "42"),
    ("messengeo", " 133201 ", "133201"),
    ("messengeo", "007", "007"),  # nothing says Messengeo reads "007" as "7"
]


@pytest.mark.parametrize(("vendor", "given_id", "canonical"), FORMS)
def test_canonical_forms(vendor: str, given_id: str, canonical: str) -> None:
    assert adapter(vendor).canonical_id(given_id) == canonical


REFUSED = [
    ("messageflow", "7a"),
    ("messageflow", "-7"),
    ("messageflow", "٣"),  # a non-ASCII digit
    ("messageflow", "   "),
    ("messente", "37251000000"),  # no +: a national or an international number?
    ("messente", "0037251000000"),  # 00 is not the international prefix everywhere
    ("messente", "+44 (0)20 7946 0000"),  # the trunk 0 in parentheses
    ("messente", "+372510000a0"),
    ("messente", "+٣٧٢٥١٠٠٠٠٠٠"),
    ("messente", "+37251000000\n+1"),
    ("messente", "+0123456789"),
    ("messagebird", "   "),
    ("messagebird", ".."),
    ("messagebird", "a\x00b"),
    ("messengeo", "12,13"),
    ("messengeo", " "),
]


@pytest.mark.parametrize(("vendor", "given_id"), REFUSED)
def test_ids_the_vendor_can_never_take_are_refused(vendor: str, given_id: str) -> None:
    with pytest.raises(errors.InvalidRequestError) as caught:
        adapter(vendor).canonical_id(given_id)
    assert caught.value.provider == vendor


ids = st.text(
    alphabet=st.sampled_from("0123456789 +-.,()abcdefABCDEF\t\n٣"), min_size=1, max_size=20
)


@pytest.mark.parametrize("vendor", ["messagebird", "messente", "messageflow", "messengeo"])
@pytest.mark.parametrize("separator", ["\n", ",", " ", ""])
def test_canonical_as_given_refuses_two_usual_ids_in_one(vendor: str, separator: str) -> None:
    """One id holding two usual ids and a separator (what a check of the ids joined might
    split on) is not passed as given when ``canonical_id`` would change or refuse it."""
    membership = adapter(vendor)
    first, second = USUAL[vendor]
    value = first + separator + second
    try:
        same = membership.canonical_id(value) == value
    except errors.InvalidRequestError:
        same = False
    if not same:
        assert not membership.canonical_as_given([value])
        assert not membership.canonical_as_given([first, value])


@pytest.mark.parametrize("vendor", ["messagebird", "messente", "messageflow", "messengeo"])
@settings(max_examples=300, deadline=None)
@given(value=ids)
def test_canonical_id_is_idempotent(vendor: str, value: str) -> None:
    membership = adapter(vendor)
    try:
        once = membership.canonical_id(value)
    except errors.InvalidRequestError:
        return
    assert membership.canonical_id(once) == once


async def _members_fixed(fake: Any, ids: list[str], group: str) -> None:
    async with fake, fake.client(retry=None) as client:
        membership = client.membership
        listed = [m async for m in membership.members(group)]
        assert sorted(listed) == sorted(ids)
        assert [membership.canonical_id(m) for m in listed] == listed


@pytest.mark.parametrize("vendor", ["messagebird", "messente", "messageflow", "messengeo"])
async def test_members_yield_canonical_ids(vendor: str) -> None:
    fake: Any = {
        "messagebird": MessageBirdFake,
        "messente": MessenteFake,
        "messageflow": MessageFlowFake,
        "messengeo": MessengeoFake,
    }[vendor]()
    group = fake.seed_group()
    contacts = fake.seed_contacts(25)
    fake.seed_members(group, contacts)
    await _members_fixed(fake, contacts, group)


class _Answer:
    """What ``listed_ids`` needs of a response: its ``malformed`` error."""

    def malformed(self, why: str) -> Exception:
        return ValueError(why)


@settings(max_examples=200, deadline=None)
@given(
    contact=st.integers(min_value=0, max_value=10**12),
    padding=st.integers(min_value=0, max_value=4),
    spaces=st.booleans(),
    as_number=st.booleans(),
)
def test_messageflow_listed_ids_are_fixed_under_canonical_id(
    contact: int, padding: int, spaces: bool, as_number: bool
) -> None:
    """However the vendor writes an id on a member page (zero-padded, spaced, a number), the
    listing yields the canonical form, which ``canonical_id`` leaves as it is."""
    pad = " " if spaces else ""
    raw: object = contact if as_number else f"{pad}{'0' * padding}{contact}{pad}"
    (listed,) = listed_ids(_Answer(), [{"id": raw}])  # type: ignore[arg-type]
    assert listed == str(contact)
    assert adapter("messageflow").canonical_id(listed) == listed


USUAL = {
    "messagebird": ["61afc0531573b08ddbe36e1c85602827", "61AFC0531573B08DDBE36E1C85602827"],
    "messente": ["+37251000000", "+15551234567"],
    "messageflow": ["100001", "7"],
    "messengeo": ["81583701", "007"],
}


@pytest.mark.parametrize("vendor", ["messagebird", "messente", "messageflow", "messengeo"])
def test_a_bulk_list_of_usual_ids_is_canonical_as_given_at_once(vendor: str) -> None:
    assert adapter(vendor).canonical_as_given(USUAL[vendor] * 3)


@pytest.mark.parametrize("vendor", ["messagebird", "messente", "messageflow", "messengeo"])
@settings(max_examples=300, deadline=None)
@given(values=st.lists(ids, min_size=1, max_size=4))
def test_canonical_as_given_never_passes_an_id_canonical_id_would_change(
    vendor: str, values: list[str]
) -> None:
    """The check at once is never looser than ``canonical_id``, id by id; and it holds for the
    list exactly when it holds for each id alone (ids joined do not hide a bad one)."""
    membership = adapter(vendor)
    each = [membership.canonical_as_given([value]) for value in values]
    for value, as_given in zip(values, each, strict=True):
        if as_given:  # what multi then takes as it is: canonical, non-empty ASCII, no whitespace
            assert membership.canonical_id(value) == value
            assert value and value.isascii() and not any(c.isspace() for c in value)
    assert membership.canonical_as_given(values) == all(each)
    usual = USUAL[vendor][0]
    assert membership.canonical_as_given([usual, *values]) == all(each)
