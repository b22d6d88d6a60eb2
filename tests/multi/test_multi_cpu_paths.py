"""The paths that keep a bulk job's CPU per request low give what the general paths give: ids and
paths checked on their bytes, text quoted in C, a target's ids taken at once, its digest worked
out late, a chunk recorded in the ledger by one slice, pending ids found in C."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactgroups import errors, messagebird, messageflow, messengeo, messente
from contactgroups._http.body import encode_body
from contactgroups._http.urls import has_control, plain_text, quote_text
from contactgroups.membership import BatchResult
from contactgroups.multi import Ledger, Outcome, Target
from contactgroups.multi.targets import IdDigest, canonical_entries

TEXT = st.text(
    alphabet=st.sampled_from([*map(chr, range(128)), "é", "€", "\u0661", "\U0001f600"]),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_text_checked_on_its_bytes_as_the_unicode_checks_say(text: str) -> None:
    assert plain_text(text) == (text.isascii() and text.isalnum())
    assert has_control(text) == bool(re.search(r"[\x00-\x1f\x7f]", text))
    assert quote_text(text) == quote(text, safe="")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), max_size=4))
def test_a_form_is_what_urlencode_with_quote_writes(pairs: list[tuple[str, str]]) -> None:
    body, headers = encode_body(None, pairs, None, None, False)
    assert body is not None and headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert body.reveal() == urlencode(pairs, quote_via=quote).encode("ascii")


def clients() -> list[object]:
    return [
        messagebird.Client(access_key="k" * 25),
        messente.Client(username="u", password="p"),
        messageflow.Client(authorization="a", application_key="b"),
        messengeo.Client(client_id="i", client_secret="s"),
    ]


IDS = st.lists(
    st.one_of(
        st.sampled_from(["17", "007", " 17", "+37251000000", "+372 5100 0000", "ab12", "a,b"]),
        st.sampled_from(["", " ", "x\ty", "\u0661", 5, None, 2.5]),
        st.text(alphabet="0123456789abc+", min_size=1, max_size=10),
    ),
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(IDS)
def test_a_target_taken_at_once_holds_what_taking_each_id_gives(ids: list[object]) -> None:
    for client in clients():
        target = Target(client, "g", ids)  # type: ignore[arg-type]
        entries = list(canonical_entries(target.adapter, ids))
        assert target.ids == tuple(e.key for e in entries)
        assert dict(target.given) == {e.key: e.given for e in entries if e.given is not None}
        refused = {e.key: str(e.refused) for e in entries if e.refused is not None}
        assert {k: str(v) for k, v in target.refused.items()} == refused
        digest = IdDigest()
        for entry in canonical_entries(target.adapter, ids, repeats=True):
            digest.add(entry.key)
        assert target.digest == target.id_digest() == digest.hexdigest()


@pytest.mark.parametrize(
    "keys",
    [
        [f"{i:08d}" for i in range(100)],  # one length
        [str(i) for i in range(5, 150)],  # ASCII of several lengths
        ["a", "é", "日本", "b"],  # not ASCII
    ],
    ids=["one-length", "ascii", "unicode"],
)
def test_the_digest_of_ids_taken_at_once_is_the_one_taken_id_by_id(keys: list[str]) -> None:
    at_once, each = IdDigest(), IdDigest()
    at_once.add_all(keys)
    for key in keys:
        each.add(key)
    assert at_once.hexdigest() == each.hexdigest()


class Adapter:
    provider = "mem"
    max_add_per_call = 3
    max_remove_per_call = 3
    default_concurrency = 1

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_done(ids)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return BatchResult.all_done(ids)


class Client:
    membership = Adapter()


ERROR = errors.ContactGroupsError("no")


def test_a_run_of_a_targets_ids_is_counted_from_what_each_id_had() -> None:
    target = Target(Client(), "g", [str(i) for i in range(10)])
    ledger = Ledger([target])
    ledger.set(0, ["3"], Outcome.FAILED, ERROR)
    ledger.set(0, ["4", "5"], Outcome.ALREADY)
    ledger.set(0, ["2", "3", "4", "5", "6"], Outcome.ADDED)  # a run over three outcomes
    assert ledger.counts() == Counter({Outcome.ADDED: 5, Outcome.NOT_ATTEMPTED: 5})
    assert ledger.error(0, "3") is None
    ledger.set(0, ("7", "8"), Outcome.FAILED, ERROR)  # a tuple is a run too
    ledger.set(0, ["1", "0"], Outcome.ALREADY)  # not in the target's order: one by one
    assert dict(ledger.outcomes_of(0)) == {
        **dict.fromkeys(["0", "1"], Outcome.ALREADY),
        **dict.fromkeys(["2", "3", "4", "5", "6"], Outcome.ADDED),
        **dict.fromkeys(["7", "8"], Outcome.FAILED),
        "9": Outcome.NOT_ATTEMPTED,
    }
    assert set(ledger.errors_of(0)) == {"7", "8"}
    with pytest.raises(KeyError):
        ledger.set(0, ["9", "nope"], Outcome.ADDED)  # the ids before the unknown one are set
    assert ledger.outcome(0, "9") is Outcome.ADDED
    assert ledger.counts()[Outcome.NOT_ATTEMPTED] == 0


async def test_pending_ids_are_the_ones_not_attempted_in_the_targets_order() -> None:
    target = Target(Client(), "g", [str(i) for i in range(6)])
    ledger = Ledger([target])
    assert [ids async for ids in ledger.pending(0, first=True)] == [list(target.ids)]
    ledger.set(0, ["1", "2"], Outcome.ADDED)
    ledger.set(0, ["4"], Outcome.FAILED, ERROR)
    assert [ids async for ids in ledger.pending(0, first=True)] == [["0", "3", "5"]]
