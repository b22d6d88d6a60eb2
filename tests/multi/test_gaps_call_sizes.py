"""How many calls a bulk job makes at each vendor, and how many ids the largest one carries, read
from the fakes' request logs. A chunk one id over a vendor's limit is refused and split by
``multi``, so the job still ends well and only these counts show it."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest

from contactgroups import multi
from contactgroups.multi import Outcome, Target
from contactgroups.testing import RecordedRequest
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake


def ids_in(provider: str, request: RecordedRequest) -> list[str]:
    """The member ids one recorded membership call carried (none for any other request)."""
    if request.method == "GET":
        return []
    if provider == "messagebird":
        if request.method == "PUT":
            return parse_qs(request.body.decode())["ids[]"]
        return [unquote(request.path.rsplit("/", 1)[-1])] if "/contacts/" in request.path else []
    if provider == "messente":
        if "/contacts/" not in request.path or "/groups/" not in request.path:
            return []
        return [unquote(request.path.rsplit("/", 1)[-1])]
    if provider == "messageflow":
        if not request.path.endswith("/contact"):
            return []
        return [str(i) for i in json.loads(request.body)["id"]]
    if "action=contact" not in request.query:
        return []
    meta = json.loads(parse_qs(request.body.decode())["metaData"][0])
    return str(meta["contactIds"]).split(",")


def fake_for(provider: str) -> Any:
    if provider == "messagebird":
        return MessageBirdFake()
    if provider == "messente":
        return MessenteFake()
    if provider == "messageflow":
        return MessageFlowFake()
    return MessengeoFake(max_ids_per_call=500)  # the vendor's own limit is not documented


# provider, ids, client options, ids per add call, ids per remove call
CASES = [
    ("messagebird", 120, {}, 50, 1),
    ("messente", 30, {}, 1, 1),
    ("messageflow", 2500, {}, 1000, 1000),
    ("messengeo", 1200, {}, 500, 500),
    ("messengeo", 1200, {"max_add_per_call": 200, "max_remove_per_call": 300}, 200, 300),
    ("messagebird", 120, {"max_add_per_call": 40}, 40, 1),
]


@pytest.mark.parametrize(
    ("provider", "count", "options", "per_add", "per_remove"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" + ("-configured" if c[2] else "") for c in CASES],
)
async def test_a_bulk_job_makes_the_fewest_calls_none_over_the_limit(
    provider: str, count: int, options: dict[str, int], per_add: int, per_remove: int
) -> None:
    async with fake_for(provider) as fake, fake.client(**options) as client:
        group = fake.seed_group("sizes")
        ids = fake.seed_contacts(count)
        for action, per_call in (("add", per_add), ("remove", per_remove)):
            before = len(fake.requests)
            job = multi.add if action == "add" else multi.remove
            report = await job([Target(client, group, ids)])
            assert report.ok
            assert set(report.counts()) == {Outcome.ADDED if action == "add" else Outcome.REMOVED}
            requests = fake.requests[before:]
            sent = [chunk for chunk in (ids_in(provider, r) for r in requests) if chunk]
            others = [r.path for r in requests if not ids_in(provider, r)]
            assert all(path.endswith("/token") for path in others), others  # no reads, no splits
            calls = math.ceil(count / per_call)
            assert len(sent) == calls, (action, [len(chunk) for chunk in sent])
            assert max(len(chunk) for chunk in sent) == min(per_call, count)
            assert sorted(i for chunk in sent for i in chunk) == sorted(ids)  # each id once
            assert report.providers[provider].calls == calls
            assert report.providers[provider].retries == 0
        assert fake.member_ids(group) == set()
