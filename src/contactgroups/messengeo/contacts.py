"""``client.contacts``: create and find Messengeo contacts (list membership is by contact id).

Creates send ``contacts[i][field]=`` form keys and answer the created contacts; updates send the
fields as a ``metaData`` JSON string. The vendor creates a duplicate for an e-mail or mobile it
already knows, and one invalid e-mail fails the whole create with 417.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._http import Pager, Transport, require_e164, to_camel
from ..errors import InvalidRequestError
from .answers import contact_pager, read_envelope, structure_items
from .models import CONTACT_WRITABLE_PROPERTIES, PHONE_PROPERTIES, Contact, NewContact
from .wire import (
    DEFAULT_PAGE_SIZE,
    MAX_IDS_IN_QUERY,
    MAX_NEW_CONTACTS,
    PROVIDER,
    filter_values,
    id_filter,
    meta_data,
    one_id,
    read_count,
)

__all__ = ["Contacts", "contact_fields"]


def contact_fields(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Contact fields to send, by wire name (snake_case names are turned into camelCase).

    An unknown field, a phone number not in E.164, or a value that is not text or a number is
    refused (``where`` says which contact in the message); None values are left out.
    """
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise InvalidRequestError(f"{where}: field names must be strings", provider=PROVIDER)
        wire = to_camel(key)
        if wire not in CONTACT_WRITABLE_PROPERTIES:
            raise InvalidRequestError(f"{where}: unknown contact field {key!r}", provider=PROVIDER)
        if value is None:
            continue
        if wire in PHONE_PROPERTIES:
            value = require_e164(value, provider=PROVIDER)
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidRequestError(
                f"{where}: {key} must be text or a number, not {type(value).__name__}",
                provider=PROVIDER,
            )
        fields[wire] = value
    return fields


class Contacts:
    """``/rest/contacts``: create and find contacts (membership is by contact id)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self, contacts: Sequence[NewContact | Mapping[str, Any]]
    ) -> builtins.list[Contact]:
        """``POST /contacts``: create contacts (sent as ``contacts[i][field]=``); the created ones.

        The vendor creates a duplicate when the e-mail or mobile already exists: ``find`` first
        if that matters. One invalid e-mail fails the whole call with 417 (``ValidationError``).
        """
        if isinstance(contacts, (str, bytes, Mapping, NewContact)):
            raise InvalidRequestError("pass a list of contacts", provider=PROVIDER)
        items = builtins.list(contacts)
        if not items:
            raise InvalidRequestError("at least one contact is required", provider=PROVIDER)
        if len(items) > MAX_NEW_CONTACTS:
            raise InvalidRequestError(
                f"{len(items)} contacts given; at most {MAX_NEW_CONTACTS} per call",
                provider=PROVIDER,
            )
        form: builtins.list[tuple[str, Any]] = []
        for index, item in enumerate(items):
            if isinstance(item, NewContact):
                raw = item.to_wire()
            elif isinstance(item, Mapping):
                raw = dict(item)
            else:
                raise InvalidRequestError(
                    f"contact {index} must be a NewContact or a mapping", provider=PROVIDER
                )
            fields = contact_fields(raw, f"contact {index}")
            if not fields:
                raise InvalidRequestError(f"contact {index} has no fields", provider=PROVIDER)
            form.extend((f"contacts[{index}][{key}]", value) for key, value in fields.items())
        response = await self._transport.request("POST", ("contacts",), form=form, idempotent=False)
        data, _ = read_envelope(response)
        return structure_items(response, data, Contact)

    def list(
        self,
        *,
        ids: Iterable[str] | None = None,
        email: str | Iterable[str] | None = None,
        mobile: str | Iterable[str] | None = None,
        list_id: str | None = None,
        properties: Iterable[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        sort: str | None = None,
    ) -> Pager[Contact]:
        """``GET /contacts``: contacts matching every filter given (several values: any of)."""
        params: dict[str, Any] = {}
        if ids is not None:
            params["id"] = id_filter(ids, "contact id", MAX_IDS_IN_QUERY)
        if email is not None:
            params["email"] = filter_values(email, "email")
        if mobile is not None:
            mobiles = [mobile] if isinstance(mobile, str) else builtins.list(mobile)
            params["mobile"] = filter_values(
                [require_e164(m, provider=PROVIDER) for m in mobiles], "mobile"
            )
        if list_id is not None:
            params["listId"] = one_id(list_id, "list id")
        return contact_pager(
            self._transport,
            params,
            properties=properties,
            page_size=page_size,
            max_items=max_items,
            sort=sort,
        )

    def find(
        self,
        *,
        ids: Iterable[str] | None = None,
        email: str | Iterable[str] | None = None,
        mobile: str | Iterable[str] | None = None,
        properties: Iterable[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
    ) -> Pager[Contact]:
        """Contacts by id, e-mail or mobile (at least one filter): ``list`` that insists on one.

        ``[c.id async for c in client.contacts.find(email=emails)]`` turns e-mails into ids.
        """
        if ids is None and email is None and mobile is None:
            raise InvalidRequestError("find needs ids, email or mobile", provider=PROVIDER)
        return self.list(
            ids=ids,
            email=email,
            mobile=mobile,
            properties=properties,
            page_size=page_size,
            max_items=max_items,
        )

    async def update(self, ids: Iterable[str], **fields: Any) -> int:
        """``PUT /contacts?id=..``: set fields (snake_case or wire names); how many matched."""
        id_values = id_filter(ids, "contact id", MAX_IDS_IN_QUERY)
        meta = contact_fields(fields, "update")
        if not meta:
            raise InvalidRequestError("give at least one field to update", provider=PROVIDER)
        response = await self._transport.request(
            "PUT",
            ("contacts",),
            params={"id": id_values},
            form={"metaData": meta_data(meta)},
            idempotent=True,
        )
        return read_count(response)

    async def delete(self, ids: Iterable[str]) -> int:
        """``DELETE /contacts?id=..``: delete contacts; returns how many matched."""
        id_values = id_filter(ids, "contact id", MAX_IDS_IN_QUERY)
        response = await self._transport.request(
            "DELETE", ("contacts",), params={"id": id_values}, idempotent=True
        )
        return read_count(response)
