"""The MessageBird client: groups, contacts and group membership on the legacy REST API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote

from .._http import (
    BaseClient,
    ClientOptions,
    HeaderAuth,
    Page,
    Pager,
    Response,
    Transport,
    id_list,
    path_segment,
    require_credential,
    require_text,
)
from ..errors import InvalidRequestError
from .errors import parse_error
from .membership import MessageBirdMembership
from .models import Contact, Group, ListEnvelope, converter

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DEFAULT_BASE_URL", "MAX_IDS_PER_ADD", "Client", "Contacts", "Groups"]

T = TypeVar("T")

PROVIDER = "messagebird"
DEFAULT_BASE_URL = "https://rest.messagebird.com"
#: The documented maximum of contact ids per ``PUT /groups/{id}/contacts``.
MAX_IDS_PER_ADD = 50
DEFAULT_PAGE_SIZE = 20


def normalize_msisdn(value: object, *, what: str = "msisdn") -> str:
    """A phone number as MessageBird wants it: digits with the country code, no ``+``."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidRequestError(
            f"{what} must be a string or an integer, not {type(value).__name__}",
            provider=PROVIDER,
        )
    text = str(value).strip()
    if text.startswith("+"):
        text = text[1:]
    if not text or not text.isascii() or not text.isdigit():
        raise InvalidRequestError(
            f"{what} must be digits with the country code (an optional leading + is dropped)",
            provider=PROVIDER,
        )
    return text


def _optional_text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidRequestError(
        f"{what} must be a string, not {type(value).__name__}", provider=PROVIDER
    )


def _listing(
    transport: Transport,
    segments: tuple[str, ...],
    envelope: type[ListEnvelope[T]],
    *,
    page_size: int,
    max_items: int | None,
    offset: int,
    extra: Iterable[tuple[str, Any]] = (),
) -> Pager[T]:
    """A pager over one of MessageBird's ``{offset, limit, count, totalCount, links, items}``
    listings; the next page starts at ``offset + count`` while that is below ``totalCount``."""
    query = list(extra)

    async def fetch(at: int, limit: int) -> Page[T]:
        response = await transport.request(
            "GET", segments, params=[("offset", at), ("limit", limit), *query], idempotent=True
        )
        data = response.json()
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise response.malformed("expected a list envelope with an items list")
        page = response.structure(converter, data, envelope)
        end = at + page.count
        return Page(
            items=page.items,
            offset=at,
            limit=limit,
            next_offset=end if page.count > 0 and end < page.total_count else None,
            total=page.total_count,
            request_id=response.request_id,
        )

    return Pager(fetch, page_size=page_size, max_items=max_items, offset=offset, provider=PROVIDER)


def _object(response: Response, cls: type[T]) -> T:
    data = response.json()
    if not isinstance(data, dict):
        raise response.malformed(f"expected a {cls.__name__} object")
    return response.structure(converter, data, cls)


class Groups:
    """``/groups``: contact groups and who is in them (add up to 50 ids per call, remove one)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(self, name: str) -> Group:
        """Create a group (``POST /groups``, not retried)."""
        body = {"name": require_text(name, what="group name", provider=PROVIDER)}
        response = await self._transport.request(
            "POST", ("groups",), json_body=body, idempotent=False
        )
        return _object(response, Group)

    async def get(self, group_id: str) -> Group:
        """One group (``GET /groups/{id}``); an unknown id raises ``NotFoundError`` (code 20)."""
        response = await self._transport.request("GET", ("groups", group_id), idempotent=True)
        return _object(response, Group)

    async def update(self, group_id: str, *, name: str) -> Group:
        """Rename a group (``PATCH /groups/{id}``). MessageBird documents 200 + the group; on a
        204 without a body the group is fetched again."""
        body = {"name": require_text(name, what="group name", provider=PROVIDER)}
        response = await self._transport.request(
            "PATCH", ("groups", group_id), json_body=body, idempotent=True
        )
        if response.status == 204 or not response.body.strip():
            return await self.get(group_id)
        return _object(response, Group)

    async def delete(self, group_id: str) -> None:
        """Delete a group (``DELETE /groups/{id}``); its contacts stay."""
        await self._transport.request("DELETE", ("groups", group_id), idempotent=True)

    def list(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_items: int | None = None, offset: int = 0
    ) -> Pager[Group]:
        """Every group (``GET /groups?offset=&limit=``)."""
        return _listing(
            self._transport,
            ("groups",),
            ListEnvelope[Group],
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    def list_contacts(
        self,
        group_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Pager[Contact]:
        """The contacts in a group (``GET /groups/{id}/contacts?offset=&limit=``)."""
        group = path_segment(group_id, what="group id", provider=PROVIDER)
        return _listing(
            self._transport,
            ("groups", group, "contacts"),
            ListEnvelope[Contact],
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    async def add_contacts(self, group_id: str, contact_ids: Iterable[str]) -> None:
        """Add 1..50 contacts (``PUT /groups/{id}/contacts``, form ``ids[]=..``).

        More than 50 ids, or none, raises ``InvalidRequestError`` before anything is sent. Unlike
        the official Python SDK, the path keeps its ``/contacts``.
        """
        ids = id_list(contact_ids, what="contact id", max_items=MAX_IDS_PER_ADD, provider=PROVIDER)
        # The seed's curl form, brackets literal: ids[]=ID1&ids[]=ID2
        body = "&".join(
            "ids[]=" + (i if i.isascii() and i.isalnum() else quote(i, safe="")) for i in ids
        ).encode("ascii")
        await self._transport.request(
            "PUT",
            ("groups", group_id, "contacts"),
            content=body,
            content_type="application/x-www-form-urlencoded",
            idempotent=True,
        )

    async def remove_contact(self, group_id: str, contact_id: str) -> None:
        """Remove one contact from a group (``DELETE /groups/{id}/contacts/{contactId}``); the
        contact itself stays. MessageBird has no bulk remove."""
        await self._transport.request(
            "DELETE", ("groups", group_id, "contacts", contact_id), idempotent=True
        )


class Contacts:
    """``/contacts``: the people groups hold; ``list(msisdn=)`` turns a phone number into ids."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self,
        msisdn: str | int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        custom1: str | None = None,
        custom2: str | None = None,
        custom3: str | None = None,
        custom4: str | None = None,
    ) -> Contact:
        """Create a contact (``POST /contacts``, not retried). ``msisdn`` is digits with the
        country code; a leading ``+`` is dropped. Numbers need not be unique."""
        body = self._body(
            msisdn=normalize_msisdn(msisdn),
            first_name=first_name,
            last_name=last_name,
            custom1=custom1,
            custom2=custom2,
            custom3=custom3,
            custom4=custom4,
        )
        response = await self._transport.request(
            "POST", ("contacts",), json_body=body, idempotent=False
        )
        return _object(response, Contact)

    async def get(self, contact_id: str) -> Contact:
        """One contact (``GET /contacts/{id}``)."""
        response = await self._transport.request("GET", ("contacts", contact_id), idempotent=True)
        return _object(response, Contact)

    def list(
        self,
        *,
        msisdn: str | int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Pager[Contact]:
        """Every contact, or those with one phone number (``GET /contacts?msisdn=``)."""
        extra = [] if msisdn is None else [("msisdn", normalize_msisdn(msisdn))]
        return _listing(
            self._transport,
            ("contacts",),
            ListEnvelope[Contact],
            page_size=page_size,
            max_items=max_items,
            offset=offset,
            extra=extra,
        )

    async def update(
        self,
        contact_id: str,
        *,
        msisdn: str | int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        custom1: str | None = None,
        custom2: str | None = None,
        custom3: str | None = None,
        custom4: str | None = None,
    ) -> Contact:
        """Change the given fields (``PATCH /contacts/{id}``); None leaves a field as it is.
        Answers 200 + the contact or 204 (then the contact is fetched again)."""
        body = self._body(
            msisdn=None if msisdn is None else normalize_msisdn(msisdn),
            first_name=first_name,
            last_name=last_name,
            custom1=custom1,
            custom2=custom2,
            custom3=custom3,
            custom4=custom4,
        )
        if not body:
            raise InvalidRequestError(
                "update needs at least one field to change", provider=PROVIDER
            )
        response = await self._transport.request(
            "PATCH", ("contacts", contact_id), json_body=body, idempotent=True
        )
        if response.status == 204 or not response.body.strip():
            return await self.get(contact_id)
        return _object(response, Contact)

    async def delete(self, contact_id: str) -> None:
        """Delete a contact (``DELETE /contacts/{id}``); it leaves every group."""
        await self._transport.request("DELETE", ("contacts", contact_id), idempotent=True)

    def list_groups(
        self,
        contact_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Pager[Group]:
        """The groups a contact is in (``GET /contacts/{id}/groups``)."""
        contact = path_segment(contact_id, what="contact id", provider=PROVIDER)
        return _listing(
            self._transport,
            ("contacts", contact, "groups"),
            ListEnvelope[Group],
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    @staticmethod
    def _body(
        *,
        msisdn: str | None,
        first_name: str | None,
        last_name: str | None,
        custom1: str | None,
        custom2: str | None,
        custom3: str | None,
        custom4: str | None,
    ) -> dict[str, str]:
        fields = {
            "msisdn": msisdn,
            "firstName": _optional_text(first_name, "first_name"),
            "lastName": _optional_text(last_name, "last_name"),
            "custom1": _optional_text(custom1, "custom1"),
            "custom2": _optional_text(custom2, "custom2"),
            "custom3": _optional_text(custom3, "custom3"),
            "custom4": _optional_text(custom4, "custom4"),
        }
        return {k: v for k, v in fields.items() if v is not None}


class Client(BaseClient):
    """MessageBird's legacy REST API (``Authorization: AccessKey <key>``).

    ``async with messagebird.Client(access_key=...) as mb:`` then ``mb.groups``, ``mb.contacts``
    and ``mb.membership`` (for ``multi``; ``max_add_per_call`` may lower the 50 ids per add).
    """

    provider: ClassVar[str] = PROVIDER

    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        access_key: str,
        max_add_per_call: int | None = None,
        membership_concurrency: int | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        access_key = require_credential(access_key, what="access_key", provider=PROVIDER)
        self._max_add_per_call = max_add_per_call
        self._membership_concurrency = membership_concurrency
        auth = HeaderAuth({"Authorization": f"AccessKey {access_key}"}, secrets=(access_key,))
        super().__init__(auth, parse_error=parse_error, **options)

    def _bind(self, transport: Transport) -> None:
        self.groups = Groups(transport)
        self.contacts = Contacts(transport)
        self._membership = MessageBirdMembership(
            self,
            max_add_per_call=self._max_add_per_call,
            concurrency=self._membership_concurrency,
        )

    @property
    def membership(self) -> MessageBirdMembership:
        """The adapter ``multi`` uses: add up to 50 ids per call, remove one per call."""
        return self._membership
