"""Wire tests: each method's HTTP method, path, query, auth header and body, pinned."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yarl
from aioresponses import aioresponses
from aioresponses.core import normalize_url  # type: ignore[attr-defined]

from contactgroups import messagebird
from contactgroups.errors import MalformedResponseError
from contactgroups.messagebird import Contact, Group

BASE = "https://rest.messagebird.com"
KEY = "test_gshuPaZoeEG6ovbc8M79w0QyM"
GID = "61afc0531573b08ddbe36e1c85602827"
CID = "38afc3b2156e00498764d21c57738631"
CID2 = "9a0ca1f2156e0028f511af2c13800145"

GROUP = {
    "id": GID,
    "href": f"{BASE}/groups/{GID}",
    "name": "Home",
    "contacts": {"totalCount": 0, "href": f"{BASE}/groups/{GID}/contacts"},
    "createdDatetime": "2016-04-29T09:42:26+00:00",
    "updatedDatetime": "2016-04-29T09:42:26+00:00",
}
CONTACT = {
    "id": CID,
    "href": f"{BASE}/contacts/{CID}",
    "msisdn": 31612345678,
    "firstName": "Foo",
    "lastName": "Bar",
    "customDetails": {"custom1": None, "custom2": None, "custom3": None, "custom4": None},
    "groups": {"totalCount": 0, "href": f"{BASE}/contacts/{CID}/groups"},
    "messages": {"totalCount": 0, "href": f"{BASE}/contacts/{CID}/messages"},
    "createdDatetime": "2016-04-29T09:42:26+00:00",
    "updatedDatetime": "2016-04-29T09:42:26+00:00",
}


def envelope(items: list[Any], offset: int, limit: int, total: int) -> dict[str, Any]:
    return {
        "offset": offset,
        "limit": limit,
        "count": len(items),
        "totalCount": total,
        "links": {"first": None, "previous": None, "next": None, "last": None},
        "items": items,
    }


@pytest.fixture
async def client() -> AsyncIterator[messagebird.Client]:
    async with messagebird.Client(access_key=KEY, retry=None) as c:
        yield c


def only_request(m: aioresponses, method: str, url: str) -> dict[str, Any]:
    """The single request sent, asserted to be ``method url`` and nothing else."""
    key = (method, normalize_url(yarl.URL(url)))  # aioresponses keys sort the query
    assert list(m.requests) == [key]
    (call,) = m.requests[key]
    kwargs: dict[str, Any] = call.kwargs
    assert kwargs["headers"]["Authorization"] == f"AccessKey {KEY}"
    assert kwargs["headers"]["Accept"] == "application/json"
    return kwargs


def json_body(kwargs: dict[str, Any]) -> Any:
    assert kwargs["headers"]["Content-Type"] == "application/json"
    return json.loads(kwargs["data"])


def no_body(kwargs: dict[str, Any]) -> None:
    assert kwargs["data"] is None
    assert "Content-Type" not in kwargs["headers"]


# -- groups ----------------------------------------------------------------------------------


async def test_groups_create_posts_json_name(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/groups", status=201, payload=GROUP)
        group = await client.groups.create("Home")
        sent = only_request(m, "POST", f"{BASE}/groups")
    assert json_body(sent) == {"name": "Home"}
    assert sent["data"] == b'{"name":"Home"}'
    assert group.id == GID
    assert isinstance(group, Group)


async def test_groups_get(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/groups/{GID}", payload=GROUP)
        group = await client.groups.get(GID)
        no_body(only_request(m, "GET", f"{BASE}/groups/{GID}"))
    assert group.name == "Home"


async def test_groups_update_patches_json_and_reads_200_group(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.patch(f"{BASE}/groups/{GID}", payload={**GROUP, "name": "Work"})
        group = await client.groups.update(GID, name="Work")
        sent = only_request(m, "PATCH", f"{BASE}/groups/{GID}")
    assert json_body(sent) == {"name": "Work"}
    assert group.name == "Work"


async def test_groups_update_on_204_fetches_the_group(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.patch(f"{BASE}/groups/{GID}", status=204)
        m.get(f"{BASE}/groups/{GID}", payload={**GROUP, "name": "Work"})
        group = await client.groups.update(GID, name="Work")
        assert len(m.requests[("PATCH", yarl.URL(f"{BASE}/groups/{GID}"))]) == 1
        assert len(m.requests[("GET", yarl.URL(f"{BASE}/groups/{GID}"))]) == 1
    assert group.name == "Work"


async def test_groups_delete(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.delete(f"{BASE}/groups/{GID}", status=204)
        await client.groups.delete(GID)
        no_body(only_request(m, "DELETE", f"{BASE}/groups/{GID}"))


async def test_groups_list_sends_offset_and_limit_and_walks_pages(
    client: messagebird.Client,
) -> None:
    g2 = {**GROUP, "id": "b" * 32, "name": "Two"}
    g3 = {**GROUP, "id": "c" * 32, "name": "Three"}
    with aioresponses() as m:
        m.get(f"{BASE}/groups?offset=0&limit=2", payload=envelope([GROUP, g2], 0, 2, 3))
        m.get(f"{BASE}/groups?offset=2&limit=2", payload=envelope([g3], 2, 2, 3))
        names = [g.name async for g in client.groups.list(page_size=2)]
        assert set(m.requests) == {
            ("GET", normalize_url(yarl.URL(f"{BASE}/groups?offset=0&limit=2"))),
            ("GET", normalize_url(yarl.URL(f"{BASE}/groups?offset=2&limit=2"))),
        }
    assert names == ["Home", "Two", "Three"]


async def test_groups_list_default_page_size_is_20_and_await_gives_first_page(
    client: messagebird.Client,
) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/groups?offset=0&limit=20", payload=envelope([GROUP], 0, 20, 41))
        page = await client.groups.list()
        no_body(only_request(m, "GET", f"{BASE}/groups?offset=0&limit=20"))
    assert page.total == 41
    assert page.next_offset == 1
    assert [g.id for g in page.items] == [GID]


async def test_groups_list_contacts(client: messagebird.Client) -> None:
    url = f"{BASE}/groups/{GID}/contacts?offset=0&limit=20"
    with aioresponses() as m:
        m.get(url, payload=envelope([CONTACT], 0, 20, 1))
        page = await client.groups.list_contacts(GID)
        no_body(only_request(m, "GET", url))
    assert page.next_offset is None
    assert page.items == [messagebird.converter.structure(CONTACT, Contact)]


async def test_groups_add_contacts_puts_form_ids_on_the_documented_path(
    client: messagebird.Client,
) -> None:
    """The official Python SDK sends PUT /groups/{id}?ids[]=.. (no /contacts); we must not."""
    with aioresponses() as m:
        m.put(f"{BASE}/groups/{GID}/contacts", status=204)
        await client.groups.add_contacts(GID, [CID, CID2])
        sent = only_request(m, "PUT", f"{BASE}/groups/{GID}/contacts")
    assert sent["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent["data"] == f"ids[]={CID}&ids[]={CID2}".encode()
    # and nothing went to the SDK's broken shape
    assert ("PUT", yarl.URL(f"{BASE}/groups/{GID}")) not in m.requests


async def test_groups_add_contacts_quotes_odd_ids_in_the_form(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.put(f"{BASE}/groups/{GID}/contacts", status=204)
        await client.groups.add_contacts(GID, ["a&b=c", "x y"])
        sent = only_request(m, "PUT", f"{BASE}/groups/{GID}/contacts")
    assert sent["data"] == b"ids[]=a%26b%3Dc&ids[]=x%20y"


async def test_groups_remove_contact(client: messagebird.Client) -> None:
    url = f"{BASE}/groups/{GID}/contacts/{CID}"
    with aioresponses() as m:
        m.delete(url, status=204)
        await client.groups.remove_contact(GID, CID)
        no_body(only_request(m, "DELETE", url))


async def test_ids_with_slashes_stay_in_one_path_segment(client: messagebird.Client) -> None:
    url = f"{BASE}/groups/a%2Fb/contacts/c%3Fd"
    with aioresponses() as m:
        m.delete(yarl.URL(url, encoded=True), status=204)
        await client.groups.remove_contact("a/b", "c?d")
        (key,) = m.requests
    assert key[1].raw_path == "/groups/a%2Fb/contacts/c%3Fd"


# -- contacts --------------------------------------------------------------------------------


async def test_contacts_create_posts_json_with_flat_custom_fields(
    client: messagebird.Client,
) -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/contacts", status=201, payload=CONTACT)
        contact = await client.contacts.create(
            "+31612345678", first_name="Foo", last_name="Bar", custom1="a", custom4="d"
        )
        sent = only_request(m, "POST", f"{BASE}/contacts")
    assert json_body(sent) == {
        "msisdn": "31612345678",
        "firstName": "Foo",
        "lastName": "Bar",
        "custom1": "a",
        "custom4": "d",
    }
    assert contact.msisdn == 31612345678


async def test_contacts_create_accepts_an_int_msisdn(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/contacts", status=201, payload=CONTACT)
        await client.contacts.create(31612345678)
        sent = only_request(m, "POST", f"{BASE}/contacts")
    assert json_body(sent) == {"msisdn": "31612345678"}


async def test_contacts_get(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/contacts/{CID}", payload=CONTACT)
        contact = await client.contacts.get(CID)
        no_body(only_request(m, "GET", f"{BASE}/contacts/{CID}"))
    assert contact.first_name == "Foo"


async def test_contacts_list_with_msisdn_filter(client: messagebird.Client) -> None:
    url = f"{BASE}/contacts?offset=0&limit=20&msisdn=31612345678"
    with aioresponses() as m:
        m.get(url, payload=envelope([CONTACT], 0, 20, 1))
        ids = [c.id async for c in client.contacts.list(msisdn="+31612345678")]
        no_body(only_request(m, "GET", url))
    assert ids == [CID]


async def test_contacts_list_without_filter(client: messagebird.Client) -> None:
    url = f"{BASE}/contacts?offset=40&limit=5"
    with aioresponses() as m:
        m.get(url, payload=envelope([CONTACT], 40, 5, 41))
        page = await client.contacts.list(page_size=5, offset=40)
        only_request(m, "GET", url)
    assert page.offset == 40
    assert page.next_offset is None


async def test_contacts_update_patches_only_given_fields_200(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.patch(f"{BASE}/contacts/{CID}", payload={**CONTACT, "firstName": "New"})
        contact = await client.contacts.update(CID, first_name="New", custom2="")
        sent = only_request(m, "PATCH", f"{BASE}/contacts/{CID}")
    assert json_body(sent) == {"firstName": "New", "custom2": ""}
    assert contact.first_name == "New"


async def test_contacts_update_on_204_fetches_the_contact(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.patch(f"{BASE}/contacts/{CID}", status=204)
        m.get(f"{BASE}/contacts/{CID}", payload={**CONTACT, "msisdn": 31699999999})
        contact = await client.contacts.update(CID, msisdn=31699999999)
        (patch,) = m.requests[("PATCH", yarl.URL(f"{BASE}/contacts/{CID}"))]
        assert len(m.requests[("GET", yarl.URL(f"{BASE}/contacts/{CID}"))]) == 1
    assert json_body(patch.kwargs) == {"msisdn": "31699999999"}
    assert contact.msisdn == 31699999999


async def test_contacts_delete(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.delete(f"{BASE}/contacts/{CID}", status=204)
        await client.contacts.delete(CID)
        no_body(only_request(m, "DELETE", f"{BASE}/contacts/{CID}"))


async def test_contacts_list_groups(client: messagebird.Client) -> None:
    url = f"{BASE}/contacts/{CID}/groups?offset=0&limit=20"
    with aioresponses() as m:
        m.get(url, payload=envelope([GROUP], 0, 20, 1))
        groups = await client.contacts.list_groups(CID).collect()
        no_body(only_request(m, "GET", url))
    assert [g.id for g in groups] == [GID]


# -- odd answers -----------------------------------------------------------------------------


async def test_list_without_items_is_malformed(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/groups?offset=0&limit=20", payload={"offset": 0, "items": None})
        with pytest.raises(MalformedResponseError) as info:
            await client.groups.list()
    assert "items" in str(info.value)
    assert info.value.body is not None


async def test_group_with_wrong_types_is_malformed(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/groups/{GID}", payload={**GROUP, "createdDatetime": "yesterday"})
        with pytest.raises(MalformedResponseError):
            await client.groups.get(GID)


async def test_create_with_empty_body_is_malformed(client: messagebird.Client) -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/groups", status=201, body=b"")
        with pytest.raises(MalformedResponseError):
            await client.groups.create("Home")
