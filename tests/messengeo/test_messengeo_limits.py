"""Client-side checks: every bad call raises InvalidRequestError before anything is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from contactgroups import InvalidRequestError, messengeo
from contactgroups.messengeo import MAX_IDS_IN_BODY, MAX_IDS_IN_QUERY, MAX_IMPORT_BYTES
from contactgroups.testing.messengeo import MessengeoFake

Call = Callable[[messengeo.Client], Awaitable[Any]]


@pytest.fixture
async def client(fake: MessengeoFake) -> AsyncIterator[messengeo.Client]:
    async with fake.client() as c:
        yield c


def ids(n: int) -> list[str]:
    return [str(i) for i in range(1, n + 1)]


async def first_page(pager: Any) -> Any:
    return await pager


BAD_CALLS: dict[str, Call] = {
    "add: a bare string": lambda c: c.lists.add_contacts("1", "81583724"),
    "add: no ids": lambda c: c.lists.add_contacts("1", []),
    "add: over the body limit": lambda c: c.lists.add_contacts("1", ids(MAX_IDS_IN_BODY + 1)),
    "add: an id with a comma": lambda c: c.lists.add_contacts("1", ["1,2"]),
    "add: an empty id": lambda c: c.lists.add_contacts("1", [""]),
    "add: a bad list id": lambda c: c.lists.add_contacts("", ["1"]),
    "add: a control character": lambda c: c.lists.add_contacts("1", ["1\n2"]),
    "remove: over the limit": lambda c: c.lists.remove_contacts("1", ids(MAX_IDS_IN_BODY + 1)),
    "remove: a list id with a comma": lambda c: c.lists.remove_contacts("1,2", ["1"]),
    "delete: over the query limit": lambda c: c.lists.delete(ids(MAX_IDS_IN_QUERY + 1)),
    "delete: no ids": lambda c: c.lists.delete([]),
    "update: nothing to set": lambda c: c.lists.update(["1"]),
    "update: blank name": lambda c: c.lists.update(["1"], name=" "),
    "create: blank name": lambda c: c.lists.create(""),
    "create: name not text": lambda c: c.lists.create(5),  # type: ignore[arg-type]
    "merge: one list": lambda c: c.lists.merge(["1"], "M"),
    "merge: duplicate ids": lambda c: c.lists.merge(["1", "1"], "M"),
    "merge: no name": lambda c: c.lists.merge(["1", "2"], ""),
    "list: page_size 0": lambda c: first_page(c.lists.list(page_size=0)),
    "list: too many ids": lambda c: first_page(c.lists.list(ids=ids(MAX_IDS_IN_QUERY + 1))),
    "list: empty properties": lambda c: first_page(c.lists.list(properties=[])),
    "list: blank sort": lambda c: first_page(c.lists.list(sort="")),
    "contacts: find without filter": lambda c: first_page(c.contacts.find()),
    "contacts: local mobile": lambda c: first_page(c.contacts.find(mobile="0612345678")),
    "contacts: email with comma": lambda c: first_page(c.contacts.find(email="a@b.fr,c@d.fr")),
    "contacts: no emails": lambda c: first_page(c.contacts.list(email=[])),
    "create contacts: none": lambda c: c.contacts.create([]),
    "create contacts: a single mapping": lambda c: c.contacts.create({"email": "a@b.fr"}),  # type: ignore[arg-type]
    "create contacts: too many": lambda c: c.contacts.create(
        [{"email": f"{i}@b.fr"} for i in range(messengeo.MAX_NEW_CONTACTS + 1)]
    ),
    "create contacts: unknown field": lambda c: c.contacts.create([{"nickname": "x"}]),
    "create contacts: local mobile": lambda c: c.contacts.create([{"mobile": "0612345678"}]),
    "create contacts: empty": lambda c: c.contacts.create([{"email": None}]),
    "create contacts: a list value": lambda c: c.contacts.create([{"email": ["a@b.fr"]}]),
    "update contacts: no fields": lambda c: c.contacts.update(["1"]),
    "update contacts: bad phone": lambda c: c.contacts.update(["1"], mobile="+0"),
    "delete contacts: over the limit": lambda c: c.contacts.delete(ids(MAX_IDS_IN_QUERY + 1)),
    "import: wrong type": lambda c: c.lists.import_file("L", b"x", filename="contacts.txt"),
    "import: bytes without name": lambda c: c.lists.import_file("L", b"x"),
    "import: empty file": lambda c: c.lists.import_file("L", b"", filename="a.csv"),
    "import: over 20 MB": lambda c: c.lists.import_file(
        "L", b"x" * (MAX_IMPORT_BYTES + 1), filename="big.csv"
    ),
    "import: no name": lambda c: c.lists.import_file("", b"a", filename="a.csv"),
    "import: flag not bool": lambda c: c.lists.import_file(
        "L",
        b"a",
        filename="a.csv",
        ignore_first_line="yes",  # type: ignore[arg-type]
    ),
    "import: missing path": lambda c: c.lists.import_file("L", "/nonexistent/contacts.csv"),
    "wait: negative timeout": lambda c: c.lists.wait_for_import("1", timeout=-1),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
async def test_rejected_before_sending(
    name: str, fake: MessengeoFake, client: messengeo.Client
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await BAD_CALLS[name](client)
    assert info.value.provider == "messengeo"
    assert fake.requests == []  # not even a token request


async def test_big_file_on_disk_checked_by_size(
    tmp_path: Path, fake: MessengeoFake, client: messengeo.Client
) -> None:
    path = tmp_path / "big.xlsx"
    with path.open("wb") as handle:
        handle.truncate(MAX_IMPORT_BYTES + 1)  # sparse: no 20 MB written
    with pytest.raises(InvalidRequestError, match="20 MB"):
        await client.lists.import_file("L", path)
    assert fake.requests == []


async def test_limits_are_inclusive(fake: MessengeoFake, client: messengeo.Client) -> None:
    list_id = fake.seed_group()
    contact_ids = fake.seed_contacts(MAX_IDS_IN_BODY)
    assert await client.lists.add_contacts(list_id, contact_ids) == MAX_IDS_IN_BODY
    assert await client.lists.delete([list_id, *ids(MAX_IDS_IN_QUERY - 1)]) == 1


def test_membership_chunk_size_bounds() -> None:
    for bad in (0, 1001, True, "500"):
        for keyword in ("max_add_per_call", "max_remove_per_call"):
            with pytest.raises(InvalidRequestError, match=keyword):
                messengeo.Client(client_id="a", client_secret="b", **{keyword: bad})
        with (
            pytest.warns(DeprecationWarning, match="membership_chunk_size"),
            pytest.raises(InvalidRequestError),
        ):
            messengeo.Client(
                client_id="a",
                client_secret="b",
                membership_chunk_size=bad,  # type: ignore[arg-type]
            )
    for bad in (0, True, "4"):
        with pytest.raises(InvalidRequestError):
            messengeo.Client(client_id="a", client_secret="b", membership_concurrency=bad)  # type: ignore[arg-type]
    client = messengeo.Client(
        client_id="a", client_secret="b", max_add_per_call=1000, max_remove_per_call=1000
    )
    assert client.membership.max_add_per_call == client.membership.max_remove_per_call == 1000
