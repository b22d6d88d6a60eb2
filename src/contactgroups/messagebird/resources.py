"""MessageBird's resources: ``client.groups`` (``/groups``) and ``client.contacts``
(``/contacts``), one method per endpoint.

Add up to 50 contact ids per call, remove one per call; listings page by offset and limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from .._http import Page, Pager, Response, Transport, id_list, path_segment, require_text
from ..errors import InvalidRequestError
from .models import Contact, Group, ListEnvelope, converter
from .wire import (
    DEFAULT_PAGE_SIZE,
    MAX_IDS_PER_ADD,
    PROVIDER,
    has_no_body,
    ids_form,
    next_offset,
    normalize_msisdn,
    optional_text,
    read_envelope,
    read_object,
)

__all__ = ["Contacts", "Groups"]

T = TypeVar("T")


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
    listings; the next page starts after the items received while that is below
    ``totalCount``. The page's offset is the one the vendor echoes, so a vendor that ignores
    the offset asked is caught by the pager's checks."""
    query = list(extra)

    async def fetch(at: int, limit: int) -> Page[T]:
        response = await transport.request(
            "GET", segments, params=[("offset", at), ("limit", limit), *query], idempotent=True
        )
        page = response.structure(converter, read_envelope(response), envelope)
        return Page(
            items=page.items,
            offset=page.offset,
            limit=limit,
            next_offset=next_offset(at, len(page.items), page.total_count),
            total=page.total_count,
            request_id=response.request_id,
        )

    return Pager(fetch, page_size=page_size, max_items=max_items, offset=offset, provider=PROVIDER)


def _object(response: Response, cls: type[T]) -> T:
    return response.structure(converter, read_object(response, cls.__name__), cls)


def _name_body(name: str) -> dict[str, str]:
    return {"name": require_text(name, what="group name", provider=PROVIDER)}


class Groups:
    """``/groups``: contact groups and who is in them (add up to 50 ids per call, remove one)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(self, name: str) -> Group:
        """Create a group (``POST /groups``, not retried)."""
        response = await self._transport.request(
            "POST", ("groups",), json_body=_name_body(name), idempotent=False
        )
        return _object(response, Group)

    async def get(self, group_id: str) -> Group:
        """One group (``GET /groups/{id}``); an unknown id raises ``NotFoundError`` (code 20)."""
        response = await self._transport.request("GET", ("groups", group_id), idempotent=True)
        return _object(response, Group)

    async def update(self, group_id: str, *, name: str) -> Group:
        """Rename a group (``PATCH /groups/{id}``). MessageBird documents 200 + the group; on a
        204 without a body the group is fetched again."""
        response = await self._transport.request(
            "PATCH", ("groups", group_id), json_body=_name_body(name), idempotent=True
        )
        if has_no_body(response):
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
        await self._transport.request(
            "PUT",
            ("groups", group_id, "contacts"),
            content=ids_form(ids),
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
        if has_no_body(response):
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
            "firstName": optional_text(first_name, "first_name"),
            "lastName": optional_text(last_name, "last_name"),
            "custom1": optional_text(custom1, "custom1"),
            "custom2": optional_text(custom2, "custom2"),
            "custom3": optional_text(custom3, "custom3"),
            "custom4": optional_text(custom4, "custom4"),
        }
        return {k: v for k, v in fields.items() if v is not None}
