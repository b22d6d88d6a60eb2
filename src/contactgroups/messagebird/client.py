"""The MessageBird client: wires the resources and the membership adapter to one transport."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .._http import (
    BaseClient,
    ClientOptions,
    CommonKeywords,
    HeaderAuth,
    Secret,
    Transport,
    require_credential,
)
from .errors import parse_error
from .membership import MessageBirdMembership
from .resources import Contacts, Groups
from .wire import DEFAULT_BASE_URL, MAX_IDS_PER_ADD, PROVIDER

if TYPE_CHECKING:
    from typing_extensions import Unpack

# Contacts, Groups and the constants live in resources.py and wire.py; still importable from here.
__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_IDS_PER_ADD",
    "Client",
    "ClientKeywords",
    "Contacts",
    "Groups",
]


class ClientKeywords(CommonKeywords, total=False):
    """Every keyword ``messagebird.Client`` takes, for code that hands them on (a fake's client)."""

    access_key: str


class Client(BaseClient):
    """MessageBird's legacy REST API (``Authorization: AccessKey <key>``).

    ``async with messagebird.Client(access_key=...) as mb:`` then ``mb.groups``, ``mb.contacts``
    and ``mb.membership`` (for ``multi``). Membership options: ``max_add_per_call`` may lower the
    50 ids per add, ``max_remove_per_call`` can only be 1 (no bulk remove),
    ``membership_concurrency`` defaults to 16; None means the vendor's default.
    """

    provider: ClassVar[str] = PROVIDER

    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        access_key: str,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        membership_concurrency: int | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        # held as a Secret once checked: a later failure (a bad base_url) shows it in no frame
        key = Secret(require_credential(access_key, what="access_key", provider=PROVIDER))
        del access_key
        self._max_add_per_call = max_add_per_call
        self._max_remove_per_call = max_remove_per_call
        self._membership_concurrency = membership_concurrency
        auth = HeaderAuth({"Authorization": f"AccessKey {key.reveal()}"}, secrets=(key.reveal(),))
        super().__init__(auth, parse_error=parse_error, **options)

    def _bind(self, transport: Transport) -> None:
        self.groups = Groups(transport)
        self.contacts = Contacts(transport)
        self._membership = MessageBirdMembership(
            self.groups,
            contacts=self.contacts,
            max_add_per_call=self._max_add_per_call,
            max_remove_per_call=self._max_remove_per_call,
            concurrency=self._membership_concurrency,
        )

    @property
    def membership(self) -> MessageBirdMembership:
        """The adapter ``multi`` uses: add up to 50 ids per call, remove one per call."""
        return self._membership
