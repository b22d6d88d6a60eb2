"""Messente's Phonebook resources: ``client.groups`` and ``client.contacts``.

Messente does not page: every listing is one request returning the whole collection, and
membership changes take one phone number per call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import cattrs

from .._http import Pager, Transport, id_list, require_text
from ..errors import ConflictError, InvalidRequestError
from .models import Contact, Group
from .wire import PROVIDER, check_phone, contact_fields, many, one, whole_collection

__all__ = ["Contacts", "Groups"]


class Groups:
    """``/phonebook/groups``: groups, and adding or removing one contact at a time."""

    def __init__(self, transport: Transport, converter: cattrs.Converter) -> None:
        self._transport = transport
        self._converter = converter

    def list(self, *, max_items: int | None = None) -> Pager[Group]:
        """Every group. Messente does not page: the pager has one page with all of them."""

        async def fetch_all() -> list[Group]:
            response = await self._transport.request(
                "GET", ("phonebook", "groups"), idempotent=True
            )
            return many(response, "groups", Group, self._converter)

        return whole_collection(fetch_all, max_items)

    async def get(self, group_id: str) -> Group:
        """One group (404 ``NotFoundError`` if it does not exist)."""
        response = await self._transport.request(
            "GET", ("phonebook", "groups", group_id), idempotent=True
        )
        return one(response, "group", Group, self._converter)

    async def create(self, name: str) -> Group:
        """A new group (201). Messente allows several groups with the same name."""
        name = require_text(name, what="group name", provider=PROVIDER)
        response = await self._transport.request(
            "POST", ("phonebook", "groups"), json_body={"name": name}, idempotent=False
        )
        return one(response, "group", Group, self._converter)

    async def update(self, group_id: str, name: str) -> Group:
        """Rename a group (``PUT`` with the full body ``{"name": ...}``)."""
        name = require_text(name, what="group name", provider=PROVIDER)
        response = await self._transport.request(
            "PUT", ("phonebook", "groups", group_id), json_body={"name": name}, idempotent=True
        )
        return one(response, "group", Group, self._converter)

    async def delete(self, group_id: str) -> None:
        """Delete a group (204). Its contacts stay in the phonebook."""
        await self._transport.request("DELETE", ("phonebook", "groups", group_id), idempotent=True)

    async def add_contact(self, group_id: str, phone: str) -> None:
        """Put one existing contact into a group (201, no request body).

        The contact must exist (``contacts.create`` first): otherwise 404 ``NotFoundError``.
        A contact already in the group gives 409 ``ConflictError``.
        """
        phone = check_phone(phone)
        await self._transport.request(
            "POST", ("phonebook", "groups", group_id, "contacts", phone), idempotent=True
        )

    async def remove_contact(self, group_id: str, phone: str) -> None:
        """Take one contact out of a group (204); the contact stays in the phonebook.

        404 ``NotFoundError`` if the group or the contact is missing, or the contact is not in
        the group.
        """
        phone = check_phone(phone)
        await self._transport.request(
            "DELETE", ("phonebook", "groups", group_id, "contacts", phone), idempotent=True
        )

    def list_contacts(
        self, group_ids: Sequence[str], *, max_items: int | None = None
    ) -> Pager[Contact]:
        """The contacts in any of ``group_ids`` (``?groupIds=a&groupIds=b``), in one page."""
        ids = id_list(group_ids, what="group id", provider=PROVIDER)
        return _list_contacts(self._transport, self._converter, ids, max_items)


def _list_contacts(
    transport: Transport,
    converter: cattrs.Converter,
    group_ids: Sequence[str] | None,
    max_items: int | None,
) -> Pager[Contact]:
    """``GET /phonebook/contacts``, filtered by ``groupIds`` (repeated, once per id) if given."""
    params = [("groupIds", g) for g in group_ids] if group_ids else None

    async def fetch_all() -> list[Contact]:
        response = await transport.request(
            "GET", ("phonebook", "contacts"), params=params, idempotent=True
        )
        return many(response, "contacts", Contact, converter)

    return whole_collection(fetch_all, max_items)


class Contacts:
    """``/phonebook/contacts``: contacts, keyed by their E.164 phone number."""

    def __init__(self, transport: Transport, converter: cattrs.Converter) -> None:
        self._transport = transport
        self._converter = converter

    def list(
        self, *, group_ids: Sequence[str] | None = None, max_items: int | None = None
    ) -> Pager[Contact]:
        """Every contact, or those in any of ``group_ids``. Messente does not page."""
        ids = None if group_ids is None else id_list(group_ids, what="group id", provider=PROVIDER)
        return _list_contacts(self._transport, self._converter, ids, max_items)

    async def get(self, phone: str) -> Contact:
        """One contact (404 ``NotFoundError`` if there is none with this number)."""
        phone = check_phone(phone)
        response = await self._transport.request(
            "GET", ("phonebook", "contacts", phone), idempotent=True
        )
        return one(response, "contact", Contact, self._converter)

    async def create(
        self,
        phone_number: str,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        company: str | None = None,
        title: str | None = None,
        custom: str | None = None,
        custom2: str | None = None,
        custom3: str | None = None,
        custom4: str | None = None,
    ) -> Contact:
        """A new contact (201); 409 ``ConflictError`` if the number is already a contact.

        A contact cannot be put into a group on creation: use ``groups.add_contact``.
        """
        body = {"phoneNumber": check_phone(phone_number)}
        body.update(
            contact_fields(
                email=email,
                first_name=first_name,
                last_name=last_name,
                company=company,
                title=title,
                custom=custom,
                custom2=custom2,
                custom3=custom3,
                custom4=custom4,
            )
        )
        response = await self._transport.request(
            "POST", ("phonebook", "contacts"), json_body=body, idempotent=False
        )
        return one(response, "contact", Contact, self._converter)

    async def update(
        self,
        phone: str,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        company: str | None = None,
        title: str | None = None,
        custom: str | None = None,
        custom2: str | None = None,
        custom3: str | None = None,
        custom4: str | None = None,
    ) -> Contact:
        """Change the given fields (``PATCH``); the others stay. At least one field is needed.

        The phone number is the contact's key and cannot be changed.
        """
        phone = check_phone(phone)
        body = contact_fields(
            email=email,
            first_name=first_name,
            last_name=last_name,
            company=company,
            title=title,
            custom=custom,
            custom2=custom2,
            custom3=custom3,
            custom4=custom4,
        )
        if not body:
            raise InvalidRequestError(
                "give at least one field to update (Messente rejects an empty update)",
                provider=PROVIDER,
            )
        response = await self._transport.request(
            "PATCH", ("phonebook", "contacts", phone), json_body=body, idempotent=True
        )
        return one(response, "contact", Contact, self._converter)

    async def delete(self, phone: str) -> None:
        """Delete a contact for good (204); it leaves every group."""
        phone = check_phone(phone)
        await self._transport.request("DELETE", ("phonebook", "contacts", phone), idempotent=True)

    async def ensure_exists(self, phone: str) -> None:
        """Create a contact with only its phone number unless one exists (409 is fine).

        Messente puts only existing contacts into groups. Unlike ``create`` this is safe to
        repeat, hence retried.
        """
        with contextlib.suppress(ConflictError):
            await self._transport.request(
                "POST",
                ("phonebook", "contacts"),
                json_body={"phoneNumber": check_phone(phone)},
                idempotent=True,
            )

    def list_groups(self, phone: str, *, max_items: int | None = None) -> Pager[Group]:
        """The groups a contact is in, in one page (404 if there is no such contact)."""
        phone = check_phone(phone)

        async def fetch_all() -> list[Group]:
            response = await self._transport.request(
                "GET", ("phonebook", "contacts", phone, "groups"), idempotent=True
            )
            return many(response, "groups", Group, self._converter)

        return whole_collection(fetch_all, max_items)
