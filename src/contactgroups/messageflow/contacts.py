"""``client.contacts``: MessageFlow's ``GET /contact`` search, to turn customer keys into ids.

Membership is managed by contact id; contacts are keyed on the customer's unique ``externalId``.
"""

from __future__ import annotations

import datetime as dt

from .._http import Pager, Transport
from ..errors import InvalidRequestError
from .listing import listing
from .models import Contact, converter
from .wire import DEFAULT_PAGE_SIZE, PROVIDER, numeric_id, optional_text, vendor_datetime

__all__ = ["Contacts"]


class Contacts:
    """``/contact``: search contacts by the documented filters, to turn customer keys into ids.

    Creating, updating and deleting contacts are not wrapped: their paths and bodies are not in
    any readable copy of the vendor docs.
    """

    def __init__(self, transport: Transport, *, compress: bool = False) -> None:
        self._transport = transport
        self._compress = compress
        self.converter = converter

    def list(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        external_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        group_id: str | int | None = None,
        contact_id: str | int | None = None,
        in_archive: bool | None = None,
        archive_date_from: dt.datetime | str | None = None,
        archive_date_to: dt.datetime | str | None = None,
        is_unsubscribe_sms: bool | None = None,
        is_unsubscribe_email: bool | None = None,
        is_unsubscribe_push: bool | None = None,
    ) -> Pager[Contact]:
        """``GET /contact``: contacts matching every filter given, ``page_size`` up to 1000.
        ``group_id`` and ``contact_id`` are sent as ``group`` and ``id``; dates as
        ``YYYY-MM-DD hh:mm:ss``. No match is an empty listing."""
        params: list[tuple[str, str]] = []
        for key, text in (
            ("externalId", external_id),
            ("email", email),
            ("phoneNumber", phone_number),
        ):
            if optional_text(text, what=key) is not None:
                params.append((key, str(text)))
        if group_id is not None:
            params.append(("group", str(numeric_id(group_id, what="group id"))))
        if contact_id is not None:
            params.append(("id", str(numeric_id(contact_id, what="contact id"))))
        for key, stamp in (
            ("archiveDateFrom", archive_date_from),
            ("archiveDateTo", archive_date_to),
        ):
            formatted = vendor_datetime(stamp, what=key)
            if formatted is not None:
                params.append((key, formatted))
        for key, flag in (
            ("inArchive", in_archive),
            ("isUnsubscribeSms", is_unsubscribe_sms),
            ("isUnsubscribeEmail", is_unsubscribe_email),
            ("isUnsubscribePush", is_unsubscribe_push),
        ):
            if flag is not None:
                if not isinstance(flag, bool):
                    raise InvalidRequestError(f"{key} must be a bool", provider=PROVIDER)
                params.append((key, "true" if flag else "false"))
        return listing(
            self._transport, ("contact",), params, Contact, page_size=page_size, max_items=max_items
        )

    async def find(
        self,
        *,
        external_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
    ) -> Contact | None:
        """The first contact with this ``external_id`` (the customer's unique key), ``email`` or
        ``phone_number``, or None."""
        if external_id is None and email is None and phone_number is None:
            raise InvalidRequestError(
                "find needs external_id, email or phone_number", provider=PROVIDER
            )
        page = await self.list(
            page_size=1, external_id=external_id, email=email, phone_number=phone_number
        )
        return page.items[0] if page.items else None
