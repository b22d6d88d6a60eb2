"""The ``multi`` adapter for Messente: one phone number per add or remove call.

Messente answers 409 when the contact is already in the group and 404 on remove when it is not
(or when the contact or the group is missing: the vendor does not tell these apart); both count
as ``already``. A contact must exist before it can join a group, so on a 404 the adapter creates
the contact (a 409 there means it exists) and tries the add once more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from typing import ClassVar

from .._http import GroupsSeen, MembershipBase, cheaper_per_id, check_whole, look_up_each
from ..errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    ValidationError,
)
from ..membership import BatchResult
from .models import Contact
from .resources import Contacts, Groups
from .wire import (
    DEFAULT_CONCURRENCY,
    LIMITS,
    PROVIDER,
    canonical_as_given,
    canonical_phone,
)

#: Requests a group read costs at Messente: the group (its ``contactsCount``), then its contacts.
GROUP_READ_REQUESTS = 2

__all__ = ["MessenteMembership"]


class MessenteMembership(MembershipBase):
    """Group membership at Messente as ``multi`` uses it: one phone number per call.

    Takes the client's ``groups`` and ``contacts``. ``max_add_per_call`` and
    ``max_remove_per_call`` can only be 1 (Messente has no bulk calls); ``concurrency`` is the
    calls ``multi`` runs at once (default 16). ``create_missing_contacts`` (default True) creates
    a contact that does not exist yet before adding it (two more calls for that phone).
    Per-phone rejections (invalid number, still 404) land in ``failed``; errors of the call
    itself (auth, 5xx after retries, transport) raise.

    ``canonical_id``: E.164 with ``+`` (E.123 spaces, hyphens and dots dropped; no ``+``,
    ``00`` or parentheses refused as ambiguous). ``members`` reads the group's
    ``contactsCount`` and then its contacts (2 requests: Messente does not page) and raises
    unless the answer holds them all. ``check_members`` costs min(k, 2) requests: for k <= 2
    one ``GET /phonebook/contacts/{phone}/groups`` per phone (404: no contact, so no member; a
    missing group has no members; the answer carries no count, so it is trusted whole), else
    the group read that ``members`` does.
    """

    DEFAULT_CONCURRENCY: ClassVar[int] = DEFAULT_CONCURRENCY

    def __init__(
        self,
        groups: Groups,
        contacts: Contacts,
        *,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        concurrency: int | None = None,
        create_missing_contacts: bool = True,
    ) -> None:
        super().__init__(
            LIMITS,
            max_add_per_call=max_add_per_call,
            max_remove_per_call=max_remove_per_call,
            concurrency=concurrency,
        )
        self._groups = groups
        self._contacts = contacts
        self._groups_seen = GroupsSeen(groups.get)
        self._create_missing = bool(create_missing_contacts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(concurrency={self.default_concurrency}, "
            f"create_missing_contacts={self._create_missing})"
        )

    @property
    def create_missing_contacts(self) -> bool:
        return self._create_missing

    async def add(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Add one phone number to the group (creating the contact first if needed)."""
        phone = self._single(ids, self.max_add_per_call)
        try:
            try:  # a phone that is not E.164 is refused by add_contact before anything is sent
                await self._groups.add_contact(group_id, phone)
            except NotFoundError:
                if not self._create_missing:
                    raise
                await self._contacts.ensure_exists(phone)
                await self._groups.add_contact(group_id, phone)
        except ConflictError:
            return BatchResult.all_already([phone])
        except (InvalidRequestError, NotFoundError, ValidationError) as exc:
            return BatchResult(failed={phone: exc})
        return BatchResult.all_done([phone])

    async def remove(self, group_id: str, ids: Sequence[str]) -> BatchResult:
        """Remove one phone number from the group; "not a member" (404) counts as already."""
        phone = self._single(ids, self.max_remove_per_call)
        try:
            await self._groups.remove_contact(group_id, phone)
        except NotFoundError:
            # the same 404 for "not in the group" and "no such group": tell them apart
            await self._groups_seen.confirm(group_id)
            return BatchResult.all_already([phone])
        except (InvalidRequestError, ValidationError) as exc:
            return BatchResult(failed={phone: exc})
        return BatchResult.all_done([phone])

    def canonical_id(self, value: str) -> str:
        """The phone number as Messente lists it (E.164); ambiguous forms are refused."""
        return canonical_phone(value)

    def canonical_as_given(self, ids: Sequence[str]) -> bool:
        """True when ``canonical_id`` returns every one of ``ids`` as it is (checked at once)."""
        return canonical_as_given(ids)

    async def members(self, group_id: str) -> AsyncIterator[str]:
        """The phone numbers in the group: its ``contactsCount``, then its contacts in one
        answer (Messente does not page), which must hold them all (else
        ``MalformedResponseError``: a truncated answer proves nothing)."""
        for contact in await self._read_group(group_id):
            yield canonical_phone(contact.phone_number)

    async def check_members(self, group_id: str, ids: Sequence[str]) -> Mapping[str, bool]:
        """Whether each phone is in the group now: one look-up of its groups per phone, or the
        group read (2 requests), whichever is fewer."""
        phones = list(ids)
        if not phones:
            return {}
        if cheaper_per_id(len(phones), 1, GROUP_READ_REQUESTS):
            look_up = partial(self._in_group, group_id)
            return await look_up_each(phones, look_up, concurrency=self.default_concurrency)
        listed = {canonical_phone(c.phone_number) for c in await self._read_group(group_id)}
        return {phone: phone in listed for phone in phones}

    async def _read_group(self, group_id: str) -> list[Contact]:
        group = await self._groups.get(group_id)
        contacts = await self._groups.list_contacts([group_id]).collect()
        check_whole(contacts, group.contacts_count, provider=PROVIDER)
        return contacts

    async def _in_group(self, group_id: str, phone: str) -> bool:
        try:
            groups = await self._contacts.list_groups(phone).collect()
        except NotFoundError:
            return False  # no such contact: in no group
        return any(group.id == group_id for group in groups)

    @staticmethod
    def _single(ids: Sequence[str], limit: int) -> str:
        if isinstance(ids, (str, bytes)):
            raise InvalidRequestError(
                "pass a list of phone numbers, not a single string", provider=PROVIDER
            )
        values = list(ids)
        if not 1 <= len(values) <= limit:
            raise InvalidRequestError(
                f"{len(values)} phone numbers given; Messente takes exactly {limit} per call",
                provider=PROVIDER,
            )
        return values[0]
