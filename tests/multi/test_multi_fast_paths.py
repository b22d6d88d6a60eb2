"""The per-call fast paths give what the general paths give: a Target read without an entry per
id, a Ledger built from a Target's own tables, a call answered "all done" recorded in one write,
chunks handed out without a lock, ids and paths checked as a whole, fixed auth headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from contactgroups import errors, multi
from contactgroups._http import HeaderAuth, path_segment
from contactgroups._http.auth import static_headers
from contactgroups._http.urls import join_path, path_segments
from contactgroups.membership import BatchResult
from contactgroups.multi import Outcome, Target
from contactgroups.multi import ledger as ledger_module
from contactgroups.multi.ledger import Ledger
from contactgroups.multi.targets import IdDigest

Answer = Callable[[Sequence[str]], BatchResult]


class Scripted:
    """A vendor whose answer to each call is ``answer(ids)``; ``canonical_id`` strips zeros."""

    provider = "mem"
    max_remove_per_call = 1
    default_concurrency = 4

    def __init__(self, answer: Answer, max_add: int = 3) -> None:
        self.answer = answer
        self.max_add_per_call = max_add
        self.calls: list[list[str]] = []

    def canonical_id(self, value: str) -> str:
        text = value.strip()
        if not text.isdigit():
            raise errors.InvalidRequestError("digits only", provider=self.provider)
        return text.lstrip("0") or "0"

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        self.calls.append(list(ids))
        return self.answer(ids)

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        return await self.add(group_id, ids)


class Client:
    def __init__(self, adapter: Scripted) -> None:
        self.membership = adapter


def target(ids: list[object], answer: Answer = BatchResult.all_done, max_add: int = 3) -> Target:
    return Target(Client(Scripted(answer, max_add)), "g", ids)


def test_a_target_keeps_what_the_first_occurrence_of_each_key_passed() -> None:
    t = target(["5", "007", "7", "x", "  ", "5 ", "0005", "x", 9, None, "9"])
    assert t.ids == ("5", "7", "x", "  ", "9", "<NoneType None>")
    assert dict(t.given) == {"7": "007"}  # "5" came plain first, "5 " and "0005" later
    assert set(t.refused) == {"x", "  ", "<NoneType None>"}
    digest = IdDigest()
    for key in ["5", "7", "7", "x", "  ", "5", "5", "x", "9", "<NoneType None>", "9"]:
        digest.add(key)
    assert t.digest == digest.hexdigest()


class AtOnce(Scripted):
    """``Scripted`` with a check of a whole list at once (no leading zeros), counting ids asked
    one by one."""

    def __init__(self) -> None:
        super().__init__(BatchResult.all_done)
        self.asked_one_by_one = 0

    def canonical_id(self, value: str) -> str:
        self.asked_one_by_one += 1
        return super().canonical_id(value)

    def canonical_as_given(self, ids: Sequence[str]) -> bool:
        return all(i.isdigit() and not i.startswith("0") for i in ids)


def test_a_bulk_list_canonical_as_given_is_taken_without_asking_each_id() -> None:
    adapter = AtOnce()
    t = Target(Client(adapter), "g", ["5", "12", "7", "12"])
    assert t.ids == ("5", "12", "7")
    assert adapter.asked_one_by_one == 0
    odd = Target(Client(adapter), "g", ["5", "007", "7"])  # not as given: each id asked
    assert odd.ids == ("5", "7")
    assert dict(odd.given) == {"7": "007"}
    assert adapter.asked_one_by_one > 0


def test_a_ledger_built_from_a_target_matches_one_built_from_its_entries() -> None:
    t = target(["5", "007", "7", "x", "", 3.5, "12"])
    fast = Ledger([t])
    slow = Ledger([t], [list(t.entries())])
    assert list(fast.items(0)) == list(slow.items(0))
    assert fast.counts() == slow.counts()
    assert fast.outcome(0, "x") is Outcome.FAILED
    assert fast.given(0, "7") == "007"


async def test_a_target_run_twice_finds_each_id_where_it_is_both_times() -> None:
    """The positions a target made while looking for repeats go to its first ledger; the second
    job's ledger makes its own and finds every id as the first did."""
    for ids in (["3", "1", "2", "5"], ["3", "1", "3", "2", "1", "5"]):
        t = target(list(ids), max_add=1)
        for _ in range(2):
            report = await multi.add([t])
            assert report.counts() == {Outcome.ADDED: 4}
            assert [item[0] for item in report.ledger.items(0)] == ["3", "1", "2", "5"]
            assert report.ledger.outcome(0, "5") is Outcome.ADDED


async def test_an_answer_listing_the_chunk_reordered_and_repeated_counts_each_id_once() -> None:
    def answer(ids: Sequence[str]) -> BatchResult:
        return BatchResult(done=(*reversed(ids), *ids), already=tuple(ids[:1]))

    report = await multi.add([target([str(i) for i in range(1, 8)], answer)])
    assert report.counts() == {Outcome.ADDED: 7}


async def test_an_answer_of_the_chunk_both_done_and_already_gives_done_first() -> None:
    report = await multi.add([target(["1", "2", "3"], lambda ids: BatchResult(tuple(ids), ids))])
    assert report.counts() == {Outcome.ADDED: 3}
    report = await multi.add([target(["1", "2"], lambda ids: BatchResult(ids[:1], tuple(ids)))])
    assert report.ledger.outcome(0, "1") is Outcome.ADDED
    assert report.ledger.outcome(0, "2") is Outcome.ALREADY


@pytest.mark.parametrize(
    "answer",
    [
        lambda ids: BatchResult(done="".join(ids)),
        lambda ids: BatchResult(done=tuple(int(i) for i in ids)),
        lambda ids: BatchResult(done=tuple(ids), failed=[]),
        lambda ids: {"done": tuple(ids)},
    ],
)
async def test_an_answer_not_shaped_as_a_batch_result_of_string_ids_fails_its_chunk(
    answer: Answer,
) -> None:
    """An answer that is not the chunk sent back is still checked in full: a string of the ids,
    ids that are numbers, ``failed`` that is no mapping, no ``BatchResult`` at all."""
    report = await multi.add([target(["12"], answer, max_add=1)])
    assert report.counts() == {Outcome.FAILED: 1}
    assert "unexpected TypeError" in str(report.ledger.error(0, "12"))


async def test_an_answer_of_the_chunk_all_already_is_already() -> None:
    report = await multi.add([target(["1", "2", "3", "4"], BatchResult.all_already)])
    assert report.counts() == {Outcome.ALREADY: 4}


async def test_an_answer_that_leaves_out_an_id_fails_that_id() -> None:
    report = await multi.add([target(["1", "2", "3"], lambda ids: BatchResult(tuple(ids[1:])))])
    assert report.ledger.outcome(0, "1") is Outcome.FAILED
    assert report.counts() == {Outcome.ADDED: 2, Outcome.FAILED: 1}


async def test_an_answer_as_long_as_the_chunk_naming_another_id_fails_the_one_left_out() -> None:
    def answer(ids: Sequence[str]) -> BatchResult:
        return BatchResult(done=(*ids[1:], "999"))

    report = await multi.add([target(["1", "2", "3"], answer)])
    assert report.ledger.outcome(0, "1") is Outcome.FAILED
    assert report.counts() == {Outcome.ADDED: 2, Outcome.FAILED: 1}


async def test_chunks_from_many_pending_slices_are_each_sent_once_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ledger_module, "PENDING_SLICE", 5)  # 23 ids: five slices, cut by 2
    ids = [str(i) for i in range(1, 24)]
    t = target(ids, max_add=2)
    report = await multi.add([t], concurrency=3)
    calls = t.adapter.calls  # type: ignore[attr-defined]
    assert [i for call in calls for i in call] == ids
    assert [len(call) for call in calls] == [2, 2, 1] * 4 + [2, 1]
    assert report.counts() == {Outcome.ADDED: 23}


def test_ids_checked_at_once_give_what_each_checked_alone_gives() -> None:
    cases: list[list[object]] = [
        ["a", "b-c", "7"],
        ["a", ""],
        ["..", "a"],
        ["a", "b\x00"],
        ["a", 7],
        ["a", True],
        [],
    ]
    for values in cases:
        try:
            expected: object = [path_segment(v) for v in values]
        except errors.InvalidRequestError as error:
            expected = str(error)
        try:
            got: object = path_segments(values)
        except errors.InvalidRequestError as error:
            got = str(error)
        assert got == expected, values
    plain = ["a", "b"]
    assert path_segments(plain) is not plain


def test_a_path_joined_at_once_is_the_path_joined_segment_by_segment() -> None:
    base = "https://api.example.com/v1"
    assert str(join_path(base, ("group", "12", "contact"), provider="x")) == (
        base + "/group/12/contact"
    )
    assert str(join_path(base, ("groups", "a/b", "+372 5"), provider="x")) == (
        base + "/groups/a%2Fb/%2B372%205"
    )
    assert str(join_path(base, ("a", 7), provider="x")) == base + "/a/7"
    for bad in (("a", ""), ("a", ".."), ("a\n",)):
        with pytest.raises(errors.InvalidRequestError):
            join_path(base, bad, provider="x")


def test_only_headers_that_never_change_are_sent_without_the_hook() -> None:
    plain = HeaderAuth({"Authorization": "k"}, secrets=("k",))
    assert dict(static_headers(plain) or {}) == {"Authorization": "k"}

    class Rotating(HeaderAuth):
        async def headers(self) -> HeaderAuth:  # type: ignore[override]
            raise AssertionError("not called here")

    assert static_headers(Rotating({"Authorization": "k"}, secrets=("k",))) is None
    patched = HeaderAuth({"Authorization": "k"}, secrets=("k",))
    patched.headers = plain.headers  # type: ignore[method-assign]
    assert static_headers(patched) is None
    assert static_headers(object()) is None
