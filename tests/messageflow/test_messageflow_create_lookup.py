"""The vendor's documented 200 for ``POST /group`` carries only ``meta``: the client then finds
the new groups itself, and never fails a create that landed."""

from __future__ import annotations

import re

from aioresponses import aioresponses

from contactgroups import messageflow
from contactgroups.messageflow import GroupInput

BASE = "https://api.messageflow.com/v2.1"
SEED_200 = {"meta": {"numberOfErrors": 0, "numberOfData": 1, "status": 200, "uniqId": "00d928f759"}}
LISTING = re.compile(r"^https://api\.messageflow\.com/v2\.1/group\?.*$")


def client() -> messageflow.Client:
    return messageflow.Client(authorization="auth-123456", application_key="app-123456")


async def test_a_meta_only_answer_is_followed_by_a_lookup_on_external_id() -> None:
    listing = {
        "meta": {"numberOfErrors": 0, "numberOfData": 2, "status": 200, "uniqId": "1"},
        "data": [
            {"id": 1235, "name": "test", "externalId": "OTHER", "createdAt": 2},
            {"id": 1234, "name": "test", "externalId": "XXXXX-XXXX-XXXX", "createdAt": 1},
        ],
    }
    async with client() as mf:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/group", status=200, payload=SEED_200)
            mocked.get(LISTING, status=200, payload=listing)
            result = await mf.groups.create(
                GroupInput(name="test", description="Test descr", external_id="XXXXX-XXXX-XXXX")
            )
            (lookup,) = [url for (verb, url) in mocked.requests if verb == "GET"]
    assert result.ok
    assert [g.id for g in result.data] == ["1234"]
    assert lookup.query["orderBy"] == "createdAt"
    assert lookup.query["orderDirection"] == "DESC"


async def test_a_failed_lookup_does_not_fail_the_create() -> None:
    async with client() as mf:
        with aioresponses() as mocked:
            mocked.post(f"{BASE}/group", status=200, payload=SEED_200)
            mocked.get(LISTING, status=500, body="<html>down</html>", repeat=True)
            result = await mf.groups.create(name="test")
            posts = [key for key in mocked.requests if key[0] == "POST"]
    assert result.ok
    assert result.data == ()
    assert len(posts) == 1  # the create was sent once, never repeated


async def test_objects_or_keywords_never_both_and_nothing_sent_on_a_mistake() -> None:
    import pytest

    from contactgroups import errors
    from contactgroups.messageflow import GroupUpdate

    async with client() as mf:
        with aioresponses() as mocked:
            with pytest.raises(errors.InvalidRequestError, match="not both"):
                await mf.groups.create(GroupInput(name="a"), name="b")
            with pytest.raises(errors.InvalidRequestError, match="name="):
                await mf.groups.create()
            with pytest.raises(errors.InvalidRequestError, match="must be a string"):
                await mf.groups.create(name=5)  # type: ignore[arg-type]
            with pytest.raises(errors.InvalidRequestError, match="not both"):
                await mf.groups.update(GroupUpdate(id="1", name="a"), group_id="2")
            with pytest.raises(errors.InvalidRequestError, match="group_id="):
                await mf.groups.update(name="a")
            assert mocked.requests == {}
