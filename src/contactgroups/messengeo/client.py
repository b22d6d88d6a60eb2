"""The Messengeo (Digitaleo) contacts API client: wires ``lists``, ``contacts`` and the ``multi``
adapter onto one transport authenticated with OAuth client credentials.

Resources live under ``https://contacts.messengeo.net/rest``; writes are form-encoded, structured
values travel as a JSON string in a ``metaData`` field, non-CRUD operations add ``?action=``, and
writes other than creates answer ``{"count": n}`` (see ``wire``, ``lists`` and ``contacts``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, ClassVar

from .._http import BaseClient, ClientOptions, CommonKeywords, Secret, Transport, require_credential
from .auth import ClientCredentials
from .contacts import Contacts
from .errors import is_error, parse_error
from .lists import Lists
from .membership import MessengeoMembership
from .wire import (
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    IMPORT_EXTENSIONS,
    MAX_IDS_IN_BODY,
    MAX_IDS_IN_QUERY,
    MAX_IMPORT_BYTES,
    MAX_NEW_CONTACTS,
    PROVIDER,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

# the constants and resources this module defined before they moved to wire/lists/contacts
__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TOKEN_URL",
    "IMPORT_EXTENSIONS",
    "MAX_IDS_IN_BODY",
    "MAX_IDS_IN_QUERY",
    "MAX_IMPORT_BYTES",
    "MAX_NEW_CONTACTS",
    "Client",
    "ClientKeywords",
    "Contacts",
    "Lists",
]


class ClientKeywords(CommonKeywords, total=False):
    """Every keyword ``messengeo.Client`` takes, for code that hands them on (a fake's client)."""

    client_id: str
    client_secret: str
    token_url: str
    membership_chunk_size: int | None


class Client(BaseClient):
    """Messengeo (Digitaleo) contacts API: ``client.lists`` and ``client.contacts``.

    Authenticates with OAuth client credentials: the bearer token is fetched on the first call,
    shared by concurrent calls, renewed before it expires and once on a 401; ``token_url`` points
    at another OAuth host.

    For ``multi`` (``client.membership``): ``max_add_per_call`` and ``max_remove_per_call`` are
    the contact ids per call (1..1000, default 500), ``membership_concurrency`` the calls at once
    (default 4). ``membership_chunk_size`` is a deprecated alias setting both per-call sizes.
    """

    provider: ClassVar[str] = PROVIDER
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_url: str = DEFAULT_TOKEN_URL,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        membership_concurrency: int | None = None,
        membership_chunk_size: int | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        # held as Secrets once checked: a later failure (a bad base_url) shows them in no frame
        cid = Secret(require_credential(client_id, what="client_id", provider=PROVIDER))
        del client_id
        key = Secret(require_credential(client_secret, what="client_secret", provider=PROVIDER))
        del client_secret
        if membership_chunk_size is not None:
            warnings.warn(
                "membership_chunk_size is deprecated; use max_add_per_call and max_remove_per_call",
                DeprecationWarning,
                stacklevel=2,
            )
            if max_add_per_call is not None or max_remove_per_call is not None:
                raise TypeError(
                    "give max_add_per_call/max_remove_per_call or membership_chunk_size, not both"
                )
            max_add_per_call = max_remove_per_call = membership_chunk_size
        self.auth = ClientCredentials(cid.reveal(), key.reveal(), token_url)
        self._max_add_per_call = max_add_per_call
        self._max_remove_per_call = max_remove_per_call
        self._membership_concurrency = membership_concurrency
        super().__init__(self.auth, parse_error=parse_error, is_error=is_error, **options)
        self.auth.bind(self._transport)

    def _bind(self, transport: Transport) -> None:
        self.lists = Lists(transport)
        self.contacts = Contacts(transport)
        self._membership = MessengeoMembership(
            self.lists,
            self.contacts,
            max_add_per_call=self._max_add_per_call,
            max_remove_per_call=self._max_remove_per_call,
            concurrency=self._membership_concurrency,
        )

    @property
    def membership(self) -> MessengeoMembership:
        """The adapter ``contactgroups.multi`` uses for this client."""
        return self._membership
