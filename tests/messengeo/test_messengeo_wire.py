"""Wire tests: each method's HTTP method, path, query (``action=``), form body and bearer header."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yarl
from aioresponses import aioresponses
from messengeo_support import (
    BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN,
    TOKEN_ANSWER,
    TOKEN_URL,
    form,
    meta,
)

from contactgroups import messengeo
from contactgroups.messengeo import NewContact

LISTS = re.compile(re.escape(BASE) + r"/lists(\?.*)?$")
CONTACTS = re.compile(re.escape(BASE) + r"/contacts(\?.*)?$")
ONE_LIST = {"list": [{"id": "7606", "name": "Ma liste de diffusion"}], "size": 1, "total": None}


@pytest.fixture
def mocked() -> Any:
    with aioresponses() as m:
        m.post(TOKEN_URL, payload=TOKEN_ANSWER)  # once: a second token request would fail
        yield m


@pytest.fixture
async def client() -> AsyncIterator[messengeo.Client]:
    async with messengeo.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, retry=None) as c:
        yield c


def sent(m: Any, method: str, path: str) -> list[tuple[yarl.URL, dict[str, Any]]]:
    """(url, kwargs) of every request with this method to ``BASE + path`` (any query)."""
    out = []
    for (verb, url), calls in m.requests.items():
        if verb == method and str(url.with_query(None)) == BASE + path:
            out.extend((url, call.kwargs) for call in calls)
    return out


def only(m: Any, method: str, path: str) -> tuple[yarl.URL, dict[str, Any]]:
    calls = sent(m, method, path)
    assert len(calls) == 1, calls
    return calls[0]


def query(url: yarl.URL) -> dict[str, str]:
    """The decoded query (aioresponses re-encodes and sorts it; the exact encoding is pinned
    against the fake in test_messengeo_fake.py)."""
    return dict(url.query)


def q(text: str) -> dict[str, str]:
    return dict(yarl.URL("http://x/?" + text).query) if text else {}


def assert_bearer(kwargs: dict[str, Any]) -> None:
    assert kwargs["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert kwargs["headers"]["Accept"] == "application/json"


def assert_form(kwargs: dict[str, Any]) -> None:
    assert kwargs["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def assert_no_body(kwargs: dict[str, Any]) -> None:
    assert kwargs["data"] is None
    assert "Content-Type" not in kwargs["headers"]


async def test_token_request(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(LISTS, payload={"list": [], "size": 0, "total": 0})
    await client.lists.list()
    (_, kwargs), *rest = [
        (u, c.kwargs)
        for (verb, u), calls in mocked.requests.items()
        for c in calls
        if verb == "POST" and str(u) == TOKEN_URL
    ]
    assert not rest
    assert form(kwargs["data"]) == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert_form(kwargs)
    assert "Authorization" not in kwargs["headers"]


async def test_lists_list(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(LISTS, payload={"list": [{"id": "12"}, {"id": "65"}], "size": 2, "total": 2})
    page = await client.lists.list(
        ids=["12", "65"], properties=["DEFAULT", "stats", "date_created"], sort="id DESC"
    )
    assert [i.id for i in page.items] == ["12", "65"]
    assert page.total == 2 and page.next_offset is None
    url, kwargs = only(mocked, "GET", "/lists")
    assert query(url) == q(
        "id=12,65&properties=DEFAULT,stats,dateCreated&sort=id%20DESC&limit=100&offset=0&total=1"
    )
    assert_bearer(kwargs)
    assert_no_body(kwargs)


async def test_lists_get(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(LISTS, payload={"list": [{"id": "133201", "name": "N"}], "size": 1, "total": 1})
    item = await client.lists.get("133201", properties=["DEFAULT", "stats"])
    assert item.id == "133201"
    url, kwargs = only(mocked, "GET", "/lists")
    assert query(url) == q("id=133201&properties=DEFAULT,stats&limit=1&offset=0&total=1")
    assert_bearer(kwargs)


async def test_lists_create(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(LISTS, payload=ONE_LIST)
    item = await client.lists.create("Clients Nantes", description="Fidélité 2025")
    assert item.id == "7606"
    url, kwargs = only(mocked, "POST", "/lists")
    assert query(url) == q("")
    assert kwargs["data"] == b"name=Clients%20Nantes&description=Fid%C3%A9lit%C3%A9%202025"
    assert_form(kwargs)
    assert_bearer(kwargs)


async def test_lists_update(mocked: Any, client: messengeo.Client) -> None:
    mocked.put(LISTS, payload={"count": 2})
    assert await client.lists.update(["133201", "133202"], name="Clients Nantes 2025") == 2
    url, kwargs = only(mocked, "PUT", "/lists")
    assert query(url) == q("id=133201,133202")
    assert list(form(kwargs["data"])) == ["metaData"]
    assert meta(kwargs["data"]) == {"name": "Clients Nantes 2025"}
    assert_form(kwargs)
    assert_bearer(kwargs)


async def test_lists_update_description_only(mocked: Any, client: messengeo.Client) -> None:
    mocked.put(LISTS, payload={"count": 1})
    await client.lists.update(["1"], description="")
    _, kwargs = only(mocked, "PUT", "/lists")
    assert meta(kwargs["data"]) == {"description": ""}


async def test_lists_delete(mocked: Any, client: messengeo.Client) -> None:
    mocked.delete(LISTS, payload={"count": 2})
    assert await client.lists.delete(["12", "78"]) == 2
    url, kwargs = only(mocked, "DELETE", "/lists")
    assert query(url) == q("id=12,78")
    assert_no_body(kwargs)
    assert_bearer(kwargs)


async def test_lists_merge(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(LISTS, payload={"size": 1, "total": None, "list": [{"id": "2671", "name": "M"}]})
    item = await client.lists.merge(["12", "78", "890"], "Ma liste fusionnée")
    assert item.id == "2671"
    url, kwargs = only(mocked, "POST", "/lists")
    assert query(url) == q("action=merge")
    assert form(kwargs["data"]) == {"listIds": "12,78,890", "name": "Ma liste fusionnée"}
    assert_form(kwargs)
    assert_bearer(kwargs)


async def test_lists_import_file(mocked: Any, client: messengeo.Client, tmp_path: Any) -> None:
    mocked.post(LISTS, payload={"size": 1, "total": None, "list": [{"id": "2671", "name": "I"}]})
    path = tmp_path / "liste.csv"
    path.write_bytes(b"email;mobile\njean@example.fr;+33612345678\n")
    item = await client.lists.import_file("Ma liste importée", path, ignore_first_line=True)
    assert item.id == "2671"
    url, kwargs = only(mocked, "POST", "/lists")
    assert query(url) == q("action=import&name=Ma%20liste%20import%C3%A9e&ignoreFirstLine=true")
    content_type = kwargs["headers"]["Content-Type"]
    boundary = content_type.removeprefix("multipart/form-data; boundary=")
    assert boundary and boundary != content_type
    body: bytes = kwargs["data"]
    assert (
        body
        == (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="contactFile"; filename="liste.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
            "email;mobile\njean@example.fr;+33612345678\n"
            f"\r\n--{boundary}--\r\n"
        ).encode()
    )
    assert body.count(b"Content-Disposition") == 1  # name/ignoreFirstLine only in the query
    assert_bearer(kwargs)


async def test_lists_import_bytes_default_first_line(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(LISTS, payload=ONE_LIST)
    await client.lists.import_file("L", b"PK\x03\x04zip", filename='a"b.zip')
    url, kwargs = only(mocked, "POST", "/lists")
    assert url.query["ignoreFirstLine"] == "false"
    assert b'filename="a_b.zip"\r\nContent-Type: application/zip' in kwargs["data"]


async def test_wait_for_import(mocked: Any, client: messengeo.Client) -> None:
    running = {"id": "2671", "importStatus": "on"}
    done = {
        "id": "2671",
        "importStatus": "ok",
        "importLines": "204586",
        "importInvalid": "50007",
        "importErrors": "https://contacts.messengeo.net/rest/list.csv",
    }
    mocked.get(LISTS, payload={"list": [running], "size": 1, "total": 1})
    mocked.get(LISTS, payload={"list": [{**running, "importStatus": "10"}], "size": 1})
    mocked.get(LISTS, payload={"list": [done], "size": 1, "total": 1})
    result = await client.lists.wait_for_import("2671", poll_interval=1, timeout=5)
    assert (result.lines, result.invalid, result.errors) == (
        204586,
        50007,
        "https://contacts.messengeo.net/rest/list.csv",
    )
    assert result.list.import_status == "ok"
    calls = sent(mocked, "GET", "/lists")
    assert len(calls) == 3
    assert query(calls[0][0]) == q(
        "id=2671&properties=DEFAULT,importStatus,importLines,importInvalid,importErrors"
        "&limit=1&offset=0&total=1"
    )


@pytest.mark.parametrize(
    ("action", "method"), [("contactadd", "add_contacts"), ("contactremove", "remove_contacts")]
)
async def test_membership_calls(
    mocked: Any, client: messengeo.Client, action: str, method: str
) -> None:
    mocked.post(LISTS, payload={"count": 3})
    count = await getattr(client.lists, method)("7606", ["81583724", "81583721", "81583720"])
    assert count == 3
    url, kwargs = only(mocked, "POST", "/lists")
    assert query(url) == q(f"action={action}")
    body = form(kwargs["data"])
    assert body["id"] == "7606"
    assert json.loads(body["metaData"]) == {"contactIds": "81583724,81583721,81583720"}
    assert list(body) == ["id", "metaData"]
    assert_form(kwargs)
    assert_bearer(kwargs)


async def test_membership_dedupes_ids(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(LISTS, payload={"count": 1})
    await client.lists.add_contacts("7606", ["1", "1", 2])  # type: ignore[list-item]
    _, kwargs = only(mocked, "POST", "/lists")
    assert meta(kwargs["data"]) == {"contactIds": "1,2"}


async def test_list_contacts(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(CONTACTS, payload={"list": [{"id": "81583724"}], "size": 1, "total": 1})
    page = await client.lists.list_contacts("7606", properties=["id"], page_size=500)
    assert [c.id for c in page.items] == ["81583724"]
    url, kwargs = only(mocked, "GET", "/contacts")
    assert query(url) == q("listId=7606&properties=id&limit=500&offset=0&total=1")
    assert_bearer(kwargs)
    assert_no_body(kwargs)


async def test_contacts_create(mocked: Any, client: messengeo.Client) -> None:
    mocked.post(
        CONTACTS,
        payload={"list": [{"id": "1", "email": "jean.dupont@example.fr"}, {"id": "2"}], "size": 2},
    )
    created = await client.contacts.create(
        [
            NewContact(
                first_name="Jean",
                last_name="Dupont",
                email="jean.dupont@example.fr",
                mobile="+33612345678",
                fields={"field01": "gold"},
            ),
            {"mobile": "+33605040302", "firstName": "Michel"},
        ]
    )
    assert [c.id for c in created] == ["1", "2"]
    url, kwargs = only(mocked, "POST", "/contacts")
    assert query(url) == q("")
    assert kwargs["data"] == (
        b"contacts%5B0%5D%5Bemail%5D=jean.dupont%40example.fr"
        b"&contacts%5B0%5D%5Bmobile%5D=%2B33612345678"
        b"&contacts%5B0%5D%5BfirstName%5D=Jean"
        b"&contacts%5B0%5D%5BlastName%5D=Dupont"
        b"&contacts%5B0%5D%5Bfield01%5D=gold"
        b"&contacts%5B1%5D%5Bmobile%5D=%2B33605040302"
        b"&contacts%5B1%5D%5BfirstName%5D=Michel"
    )
    assert_form(kwargs)
    assert_bearer(kwargs)


async def test_contacts_find_by_email_and_mobile(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(CONTACTS, payload={"list": [{"id": "9"}], "size": 1, "total": 1})
    found = await client.contacts.find(
        email=["jean.dupont@example.fr", "a@b.fr"], mobile="+33612345678", properties=["id"]
    )
    assert [c.id for c in found.items] == ["9"]
    url, kwargs = only(mocked, "GET", "/contacts")
    assert query(url) == q(
        "email=jean.dupont%40example.fr,a%40b.fr&mobile=%2B33612345678&properties=id"
        "&limit=100&offset=0&total=1"
    )
    assert url.query["email"] == "jean.dupont@example.fr,a@b.fr"
    assert_bearer(kwargs)


async def test_contacts_list_by_ids(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(CONTACTS, payload={"list": [], "size": 0, "total": 0})
    await client.contacts.list(ids=["1", "2"], list_id="7606", page_size=10)
    url, _ = only(mocked, "GET", "/contacts")
    assert query(url) == q("id=1,2&listId=7606&limit=10&offset=0&total=1")


async def test_contacts_update(mocked: Any, client: messengeo.Client) -> None:
    mocked.put(CONTACTS, payload={"count": 2})
    assert await client.contacts.update(["1", "2"], last_name="Durand", city="Nantes") == 2
    url, kwargs = only(mocked, "PUT", "/contacts")
    assert query(url) == q("id=1,2")
    assert meta(kwargs["data"]) == {"lastName": "Durand", "city": "Nantes"}
    assert_form(kwargs)
    assert_bearer(kwargs)


async def test_contacts_delete(mocked: Any, client: messengeo.Client) -> None:
    mocked.delete(CONTACTS, payload={"count": 3})
    assert await client.contacts.delete(["1", "2", "3"]) == 3
    url, kwargs = only(mocked, "DELETE", "/contacts")
    assert query(url) == q("id=1,2,3")
    assert_no_body(kwargs)
    assert_bearer(kwargs)


async def test_pager_walks_to_total(mocked: Any, client: messengeo.Client) -> None:
    # the server caps each page at 2 though 3 were asked: the pager goes on until total
    mocked.get(LISTS, payload={"list": [{"id": "1"}, {"id": "2"}], "size": 2, "total": 5})
    mocked.get(LISTS, payload={"list": [{"id": "3"}, {"id": "4"}], "size": 2, "total": 5})
    mocked.get(LISTS, payload={"list": [{"id": "5"}], "size": 1, "total": 5})
    ids = [item.id async for item in client.lists.list(page_size=3)]
    assert ids == ["1", "2", "3", "4", "5"]
    offsets = [url.query["offset"] for url, _ in sent(mocked, "GET", "/lists")]
    assert offsets == ["0", "2", "4"]


async def test_pager_without_total_stops_on_empty_page(
    mocked: Any, client: messengeo.Client
) -> None:
    mocked.get(LISTS, payload={"list": [{"id": "1"}], "size": 1, "total": None})
    mocked.get(LISTS, payload={"list": [], "size": 0, "total": None})
    ids = [item.id async for item in client.lists.list(page_size=1)]
    assert ids == ["1"]
    assert len(sent(mocked, "GET", "/lists")) == 2


async def test_read_404_is_empty(mocked: Any, client: messengeo.Client) -> None:
    mocked.get(CONTACTS, status=404, payload={"status": 404, "message": "No contact found"})
    page = await client.contacts.find(email="nobody@example.fr")
    assert page.items == () and page.next_offset is None


async def test_html_404_on_read_raises(mocked: Any, client: messengeo.Client) -> None:
    from contactgroups import NotFoundError

    mocked.get(CONTACTS, status=404, body="<html>404 Not Found</html>", content_type="text/html")
    with pytest.raises(NotFoundError):
        await client.contacts.find(email="nobody@example.fr")


async def test_200_with_404_body_on_read_raises(mocked: Any, client: messengeo.Client) -> None:
    from contactgroups import NotFoundError

    mocked.get(LISTS, status=200, payload={"status": 404, "message": "not found"})
    with pytest.raises(NotFoundError) as info:
        await client.lists.list()
    assert info.value.status == 200 and info.value.code == 404
