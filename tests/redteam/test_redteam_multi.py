"""Red team of multi's integrity promises (issue 15): hostile adapters, hostile ids, hostile
journals. Each test names the promise it attacks; a finding not fixed yet is a strict xfail."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from contactgroups import errors, multi
from contactgroups.membership import BatchResult
from contactgroups.multi import Outcome, Report, Target


class Hostile:
    """An in-memory vendor whose answers the test chooses. ``answer(ids)``: what ``add``/``remove``
    return (default: every id done); ``hang``: calls never return; ``listed``: what ``members``
    yields; ``checked``: if set, ``check_members`` returns ``checked(ids)``."""

    def __init__(
        self,
        provider: str = "hostile",
        *,
        answer: Callable[[Sequence[str]], Any] | None = None,
        hang: bool = False,
        listed: Sequence[object] = (),
        size: int = 50,
    ) -> None:
        self.provider = provider
        self.max_add_per_call = size
        self.max_remove_per_call = size
        self.default_concurrency = 1
        self.answer = answer
        self.hang = hang
        self.listed = list(listed)
        self.calls: list[list[str]] = []
        self.called = anyio.Event() if hang else None  # set by the first (hanging) call

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        self.calls.append(list(ids))
        if self.called is not None:
            self.called.set()
            await anyio.sleep_forever()
        if self.answer is not None:
            return self.answer(ids)  # type: ignore[no-any-return]
        return BatchResult.all_done(ids)

    remove = add

    async def members(self, group_id: str) -> AsyncIterator[str]:
        for member in self.listed:
            yield member  # type: ignore[misc]


class Checking(Hostile):
    """A hostile vendor with ``check_members`` answering ``checked(ids)``."""

    def __init__(self, checked: Callable[[Sequence[str]], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checked = checked

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Any:
        return self.checked(ids)


class Client:
    def __init__(self, adapter: Hostile) -> None:
        self.membership = adapter


def lost(ids: Sequence[str]) -> BatchResult:
    raise errors.TransportError("connection lost after sending", provider="hostile")


def ids_of(count: int) -> list[str]:
    return [str(n) for n in range(count)]


# -- journal: what it says about ids it never sent ------------------------------------------------


async def test_journal_never_reports_unsent_ids_as_added(tmp_path: Path) -> None:
    """A journaled job stopped by its deadline reports the ids it never sent NOT_ATTEMPTED, in
    the report it returns and in the one loaded from disk (not ADDED: no call carried them)."""
    vendor = Hostile(hang=True, size=2)
    journal = tmp_path / "job.db"
    report = await multi.add(
        [Target(Client(vendor), "g", ids_of(6))], journal=journal, deadline=0.2, verify_grace=0
    )
    sent = {i for call in vendor.calls for i in call}
    assert len(sent) == 2
    for loaded in (report, Report.load(journal)):
        outcomes = {i: o for _, i, o, _ in loaded.outcomes()}
        assert {i for i, o in outcomes.items() if o is Outcome.ADDED} == set()
        assert {i for i, o in outcomes.items() if o is Outcome.NOT_ATTEMPTED} == set(
            ids_of(6)
        ) - sent
        assert loaded.counts()[Outcome.ADDED] == 0


async def test_journal_rerun_of_a_finished_job_sends_nothing(tmp_path: Path) -> None:
    """The same job run again on the journal of a finished run sends no id again (ids with a
    final outcome are not sent again)."""
    vendor = Hostile()
    journal = tmp_path / "job.db"
    target = Target(Client(vendor), "g", ids_of(5))
    first = await multi.add([target], journal=journal)
    assert first.ok
    vendor.calls.clear()
    again = await multi.add([Target(Client(vendor), "g", ids_of(5))], journal=journal)
    assert again.ok
    assert vendor.calls == []


async def test_journal_knows_ids_split_by_a_newline_from_one_id(tmp_path: Path) -> None:
    """A journal refuses another job: ids ``["1", "2"]`` are not the job of ``["1\\n2"]`` (the
    id digest must not let a newline inside an id pass for the separator)."""
    vendor = Hostile()
    journal = tmp_path / "job.db"
    await multi.add([Target(Client(vendor), "g", ["1\n2"])], journal=journal)
    with pytest.raises(errors.JournalError):
        await multi.add([Target(Client(vendor), "g", ["1", "2"])], journal=journal)


async def test_journal_path_with_url_characters_reads_back(tmp_path: Path) -> None:
    """A journal whose path holds ``#`` or ``?`` (legal file names) works: the report reads the
    ids back from that file, not from a name cut at the ``#``."""
    vendor = Hostile()
    journal = tmp_path / "job #1?.db"
    report = await multi.add([Target(Client(vendor), "g", ["1", "2"])], journal=journal)
    assert [(i, o) for _, i, o, _ in report.outcomes()] == [
        ("1", Outcome.ADDED),
        ("2", Outcome.ADDED),
    ]


async def test_journal_refuses_another_programs_database(tmp_path: Path) -> None:
    """A SQLite file that is not a journal (another program's data) is refused with
    ``JournalError`` and left as it was: no tables of ours written into it."""
    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(errors.JournalError):
        await multi.add([Target(Client(Hostile()), "g", ["1"])], journal=path)
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert tables == {"users"}


async def test_an_id_sqlite_cannot_store_is_refused_not_a_crash(tmp_path: Path) -> None:
    """An id holding a lone surrogate (bad text from a decoder) is failed with
    ``InvalidRequestError``; the journaled job still runs the other ids."""
    vendor = Hostile()
    report = await multi.add(
        [Target(Client(vendor), "g", ["1", "\ud800"])], journal=tmp_path / "job.db"
    )
    outcomes = {i: o for _, i, o, _ in report.outcomes()}
    assert outcomes["1"] is Outcome.ADDED
    assert [o for i, o in outcomes.items() if i != "1"] == [Outcome.FAILED]
    assert vendor.calls == [["1"]]


def test_an_integer_too_long_to_print_is_refused_not_a_crash() -> None:
    """An int id of more digits than Python prints (``10**5000``) is refused like any id that
    can never be sent, not a ``ValueError`` out of ``Target``."""
    target = Target(Client(Hostile()), "g", [10**5000, "1"])
    assert len(target.refused) == 1
    assert "1" in target.ids


async def test_a_second_run_on_a_journal_in_use_is_refused(tmp_path: Path) -> None:
    """While a job runs on a journal, the same job started again on it (an overlapping cron run)
    is refused with ``JournalError``, not run side by side (it would mark the first run's calls
    interrupted and send them again)."""
    first_vendor = Hostile(hang=True)
    second_vendor = Hostile()
    journal = tmp_path / "job.db"
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(
                lambda: multi.add(
                    [Target(Client(first_vendor), "g", ids_of(3))], journal=journal, deadline=2
                )
            )
            assert first_vendor.called is not None
            await first_vendor.called.wait()
            try:
                with pytest.raises(errors.JournalError):
                    await multi.add(
                        [Target(Client(second_vendor), "g", ids_of(3))], journal=journal
                    )
            finally:
                group.cancel_scope.cancel()
    assert second_vendor.calls == []


# -- fault isolation: an adapter that answers garbage ---------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        BatchResult(failed=None),  # type: ignore[arg-type]
        BatchResult(done=5),  # type: ignore[arg-type]
        BatchResult(failed=["1"]),  # type: ignore[arg-type]
        BatchResult(already=(["1"],)),  # type: ignore[arg-type]
    ],
    ids=["failed-None", "done-int", "failed-list", "already-unhashable"],
)
async def test_a_malformed_batch_result_fails_only_its_chunk(garbage: BatchResult) -> None:
    """An adapter returning a ``BatchResult`` of the wrong shape fails its own chunk with
    ``UnexpectedError``; the healthy vendor's ids still land and the job returns its report."""
    healthy = Hostile("healthy")
    broken = Hostile("broken", answer=lambda ids: garbage)
    report = await multi.add(
        [Target(Client(healthy), "g", ["1", "2"]), Target(Client(broken), "g", ["1"])], rounds=1
    )
    assert report.outcome(0, "1") is Outcome.ADDED
    assert report.outcome(1, "1") is Outcome.FAILED
    assert isinstance(report.error(1, "1"), errors.UnexpectedError | errors.OutcomeUnknownError)


async def test_done_given_as_one_string_is_not_read_as_its_characters() -> None:
    """``BatchResult(done="12")`` (a string, not a tuple of ids) does not mark ids ``"1"`` and
    ``"2"`` added: nothing said either landed."""
    vendor = Hostile(answer=lambda ids: BatchResult(done="12"))  # type: ignore[arg-type]
    report = await multi.add([Target(Client(vendor), "g", ["1", "2"])], rounds=1, verify=False)
    assert report.counts()[Outcome.ADDED] == 0


# -- verification: never claim without a clear answer ---------------------------------------------


@pytest.mark.parametrize("garbage", ["false", "no", 0.5, None])
async def test_check_members_answering_non_booleans_claims_nothing(garbage: object) -> None:
    """``check_members`` answering ``{"1": "false"}`` (not a bool) settles nothing: the id stays
    failed with ``OutcomeUnknownError``, never ADDED because ``bool("false")`` is True."""
    vendor = Checking(lambda ids: {i: garbage for i in ids}, answer=lost)
    report = await multi.add([Target(Client(vendor), "g", ["1"])], rounds=1)
    assert report.outcome(0, "1") is Outcome.FAILED
    assert isinstance(report.error(0, "1"), errors.OutcomeUnknownError)


async def test_a_listing_of_non_strings_proves_no_removal() -> None:
    """A ``members()`` that yields ints (``7``, not ``"7"``) proves nothing about id ``"7"``: a
    remove whose answer was lost stays unknown, not REMOVED."""
    vendor = Hostile(answer=lost, listed=[7])
    report = await multi.remove([Target(Client(vendor), "g", ["7"])], rounds=1)
    assert report.outcome(0, "7") is Outcome.FAILED
    assert isinstance(report.error(0, "7"), errors.OutcomeUnknownError)


# -- a saved report read back ----------------------------------------------------------------------


def _saved(ids: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": 1,
        "action": "add",
        "targets": [{"provider": "hostile", "group_id": "g", "ids": ids}],
    }


@pytest.mark.parametrize(
    "data",
    [
        {"format": 1, "action": "add"},
        _saved([{"id": "1", "outcome": "bogus", "error": None}]),
        _saved([{"id": "1", "outcome": "failed", "error": None}]),
        _saved(
            [{"id": "1", "outcome": "failed", "error": {"error": "ServerError", "status": "abc"}}]
        ),
        _saved([{"id": "1", "outcome": "added"}, {"id": "1", "outcome": "added"}]),
        [1, 2],
    ],
    ids=["no-targets", "bad-outcome", "failed-no-error", "bad-status", "duplicate-id", "a-list"],
)
def test_report_from_hostile_json_is_refused(data: Any) -> None:
    """``Report.from_dict`` on data it did not write raises ``InvalidRequestError`` (never a
    ``KeyError``/``AttributeError``, never a report whose counts disagree with its ids)."""
    with pytest.raises(errors.InvalidRequestError):
        Report.from_dict(data)


async def test_a_journaled_job_whose_vendor_is_down_holds_no_per_id_memory(tmp_path: Path) -> None:
    """A journaled job keeps its per-id record on disk (bounded memory): when every call fails
    (the vendor is down), the ledger does not keep an in-memory entry per failed id."""
    vendor = Hostile(
        answer=lambda ids: BatchResult(
            failed={
                i: errors.ValidationError("refused", status=422, provider="hostile") for i in ids
            }
        )
    )
    report = await multi.add(
        [Target(Client(vendor), "g", ids_of(2000))], journal=tmp_path / "job.db", rounds=1
    )
    assert report.counts()[Outcome.FAILED] == 2000
    assert sum(h.held() for h in report.ledger._handed) < 100  # type: ignore[attr-defined]
