"""The Messente client: wires the resources and the membership adapter to one transport."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .._http import (
    BaseClient,
    BasicAuth,
    ClientOptions,
    CommonKeywords,
    Secret,
    Transport,
    require_credential,
)
from .errors import parse_error
from .membership import MessenteMembership
from .models import converter
from .resources import Contacts, Groups
from .wire import DEFAULT_BASE_URL, PROVIDER

if TYPE_CHECKING:
    from typing_extensions import Unpack

# Groups, Contacts and DEFAULT_BASE_URL were defined here before; still importable from here.
__all__ = [
    "DEFAULT_BASE_URL",
    "Client",
    "ClientKeywords",
    "Contacts",
    "Groups",
]


class ClientKeywords(CommonKeywords, total=False):
    """Every keyword ``messente.Client`` takes, for code that hands them on (a fake's client)."""

    username: str
    password: str
    create_missing_contacts: bool


class Client(BaseClient):
    """A Messente Phonebook client (HTTP basic auth with the API username and password).

    ``async with messente.Client(username=..., password=...) as client: ...``. Membership changes
    are one phone number per call; ``client.membership`` is the adapter ``multi`` uses.
    ``max_add_per_call`` / ``max_remove_per_call`` can only be 1, ``membership_concurrency``
    defaults to 16, and ``create_missing_contacts`` lets the adapter create a contact before
    adding it.
    """

    provider: ClassVar[str] = PROVIDER

    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        username: str,
        password: str,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        membership_concurrency: int | None = None,
        create_missing_contacts: bool = True,
        **options: Unpack[ClientOptions],
    ) -> None:
        # the API username and password from Messente's API settings, not the login
        # held as Secrets once checked: a later failure (a bad base_url) shows them in no frame
        user = Secret(require_credential(username, what="username", provider=PROVIDER))
        del username
        key = Secret(require_credential(password, what="password", provider=PROVIDER))
        del password
        self._max_add_per_call = max_add_per_call
        self._max_remove_per_call = max_remove_per_call
        self._membership_concurrency = membership_concurrency
        self._create_missing_contacts = create_missing_contacts
        super().__init__(BasicAuth(user.reveal(), key.reveal()), parse_error=parse_error, **options)

    def _bind(self, transport: Transport) -> None:
        self.groups = Groups(transport, converter)
        self.contacts = Contacts(transport, converter)
        self._membership = MessenteMembership(
            self.groups,
            self.contacts,
            max_add_per_call=self._max_add_per_call,
            max_remove_per_call=self._max_remove_per_call,
            concurrency=self._membership_concurrency,
            create_missing_contacts=self._create_missing_contacts,
        )

    @property
    def membership(self) -> MessenteMembership:
        """The adapter ``multi`` uses: one phone per call, contacts created on demand."""
        return self._membership
