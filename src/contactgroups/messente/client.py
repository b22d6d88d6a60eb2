"""Messente Phonebook API: groups, contacts and group membership, one phone number per call."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import cattrs

from .._http import (
    BaseClient,
    BasicAuth,
    ClientOptions,
    Page,
    Pager,
    Response,
    Transport,
    id_list,
    require_credential,
    require_e164,
    require_text,
    to_camel,
)
from ..errors import ConflictError, InvalidRequestError
from .errors import parse_error
from .membership import MessenteMembership
from .models import Contact, Group, converter

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DEFAULT_BASE_URL", "Client", "Contacts", "Groups"]

DEFAULT_BASE_URL = "https://api.messente.com/v1"
PROVIDER = "messente"

# The vendor does not page: one request returns the whole collection. The pager still needs a
# page size; this one never limits anything.
_WHOLE = 2**31 - 1

T = TypeVar("T")


def _phone(phone: object) -> str:
    return require_e164(phone, provider=PROVIDER)


def _envelope(response: Response, key: str) -> Any:
    data = response.json()
    if not isinstance(data, dict) or key not in data:
        raise response.malformed(f"expected a JSON object with {key!r}")
    return data[key]


def _one(response: Response, key: str, cls: type[T]) -> T:
    value = _envelope(response, key)
    if not isinstance(value, dict):
        raise response.malformed(f"{key!r} is not an object")
    return response.structure(converter, value, cls)


def _many(response: Response, key: str, cls: type[T]) -> list[T]:
    values = _envelope(response, key)
    if not isinstance(values, list):
        raise response.malformed(f"{key!r} is not a list")
    return response.structure(converter, values, list[cls])  # type: ignore[valid-type]


def _whole_list(fetch_all: Callable[[], Awaitable[list[T]]], max_items: int | None) -> Pager[T]:
    async def fetch(offset: int, limit: int) -> Page[T]:
        items = await fetch_all()
        return Page(items=items[:limit], offset=0, limit=None, next_offset=None, total=len(items))

    return Pager(fetch, page_size=_WHOLE, max_items=max_items, provider=PROVIDER)


def _fields(**values: str | None) -> dict[str, str]:
    """Contact fields as wire names, leaving out the ones not given."""
    body: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidRequestError(
                f"{name} must be a string, not {type(value).__name__}", provider=PROVIDER
            )
        body[to_camel(name)] = value
    return body


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
            return _many(response, "groups", Group)

        return _whole_list(fetch_all, max_items)

    async def get(self, group_id: str) -> Group:
        """One group (404 ``NotFoundError`` if it does not exist)."""
        response = await self._transport.request(
            "GET", ("phonebook", "groups", group_id), idempotent=True
        )
        return _one(response, "group", Group)

    async def create(self, name: str) -> Group:
        """A new group (201). Messente allows several groups with the same name."""
        name = require_text(name, what="group name", provider=PROVIDER)
        response = await self._transport.request(
            "POST", ("phonebook", "groups"), json_body={"name": name}, idempotent=False
        )
        return _one(response, "group", Group)

    async def update(self, group_id: str, name: str) -> Group:
        """Rename a group (``PUT`` with the full body ``{"name": ...}``)."""
        name = require_text(name, what="group name", provider=PROVIDER)
        response = await self._transport.request(
            "PUT", ("phonebook", "groups", group_id), json_body={"name": name}, idempotent=True
        )
        return _one(response, "group", Group)

    async def delete(self, group_id: str) -> None:
        """Delete a group (204). Its contacts stay in the phonebook."""
        await self._transport.request("DELETE", ("phonebook", "groups", group_id), idempotent=True)

    async def add_contact(self, group_id: str, phone: str) -> None:
        """Put one existing contact into a group (201, no request body).

        The contact must exist (``contacts.create`` first): otherwise 404 ``NotFoundError``.
        A contact already in the group gives 409 ``ConflictError``.
        """
        phone = _phone(phone)
        await self._transport.request(
            "POST", ("phonebook", "groups", group_id, "contacts", phone), idempotent=True
        )

    async def remove_contact(self, group_id: str, phone: str) -> None:
        """Take one contact out of a group (204); the contact stays in the phonebook.

        404 ``NotFoundError`` if the group or the contact is missing, or the contact is not in
        the group.
        """
        phone = _phone(phone)
        await self._transport.request(
            "DELETE", ("phonebook", "groups", group_id, "contacts", phone), idempotent=True
        )

    def list_contacts(
        self, group_ids: Sequence[str], *, max_items: int | None = None
    ) -> Pager[Contact]:
        """The contacts in any of ``group_ids`` (``?groupIds=a&groupIds=b``), in one page."""
        ids = id_list(group_ids, what="group id", provider=PROVIDER)
        return _list_contacts(self._transport, ids, max_items)


def _list_contacts(
    transport: Transport, group_ids: Sequence[str] | None, max_items: int | None
) -> Pager[Contact]:
    params = [("groupIds", g) for g in group_ids] if group_ids else None

    async def fetch_all() -> list[Contact]:
        response = await transport.request(
            "GET", ("phonebook", "contacts"), params=params, idempotent=True
        )
        return _many(response, "contacts", Contact)

    return _whole_list(fetch_all, max_items)


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
        return _list_contacts(self._transport, ids, max_items)

    async def get(self, phone: str) -> Contact:
        """One contact (404 ``NotFoundError`` if there is none with this number)."""
        phone = _phone(phone)
        response = await self._transport.request(
            "GET", ("phonebook", "contacts", phone), idempotent=True
        )
        return _one(response, "contact", Contact)

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
        body = {"phoneNumber": _phone(phone_number)}
        body.update(
            _fields(
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
        return _one(response, "contact", Contact)

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
        phone = _phone(phone)
        body = _fields(
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
        return _one(response, "contact", Contact)

    async def delete(self, phone: str) -> None:
        """Delete a contact for good (204); it leaves every group."""
        phone = _phone(phone)
        await self._transport.request("DELETE", ("phonebook", "contacts", phone), idempotent=True)

    async def _ensure_exists(self, phone: str) -> None:
        """Create a bare contact unless one exists (409). Safe to repeat, hence retried."""
        with contextlib.suppress(ConflictError):
            await self._transport.request(
                "POST",
                ("phonebook", "contacts"),
                json_body={"phoneNumber": _phone(phone)},
                idempotent=True,
            )

    def list_groups(self, phone: str, *, max_items: int | None = None) -> Pager[Group]:
        """The groups a contact is in, in one page (404 if there is no such contact)."""
        phone = _phone(phone)

        async def fetch_all() -> list[Group]:
            response = await self._transport.request(
                "GET", ("phonebook", "contacts", phone, "groups"), idempotent=True
            )
            return _many(response, "groups", Group)

        return _whole_list(fetch_all, max_items)


class Client(BaseClient):
    """A Messente Phonebook client (HTTP basic auth with the API username and password).

    ``async with messente.Client(username=..., password=...) as client: ...``. Membership changes
    are one phone number per call; ``client.membership`` is the adapter ``multi`` uses.
    """

    provider: ClassVar[str] = PROVIDER

    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        username: str,
        password: str,
        create_missing_contacts: bool = True,
        membership_concurrency: int | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        # the API username and password from Messente's API settings, not the login
        username = require_credential(username, what="username", provider=PROVIDER)
        password = require_credential(password, what="password", provider=PROVIDER)
        self._create_missing_contacts = create_missing_contacts
        self._membership_concurrency = membership_concurrency
        super().__init__(BasicAuth(username, password), parse_error=parse_error, **options)

    def _bind(self, transport: Transport) -> None:
        self.groups = Groups(transport, converter)
        self.contacts = Contacts(transport, converter)
        self._membership = MessenteMembership(
            self,
            create_missing_contacts=self._create_missing_contacts,
            default_concurrency=self._membership_concurrency,
        )

    @property
    def membership(self) -> MessenteMembership:
        """The adapter ``multi`` uses: one phone per call, contacts created on demand."""
        return self._membership
