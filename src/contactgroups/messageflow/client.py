"""The MessageFlow (Vercom) REST API v2.1 client: groups, group members, contact search.

Two raw keys authenticate every call (``Authorization`` and ``Application-Key``, no scheme). Bodies
are JSON, bulk writes take arrays and may answer 207 (partial success, returned as a
``BulkResult``), listings page by offset/limit (at most 1000) and answer 404 when a page is empty,
and some reads answer 202 + ``Retry-After`` until the result is ready.

This module only wires the parts together: ``groups`` (``groups.py``), ``contacts``
(``contacts.py``) and the ``membership`` adapter (``membership.py``) on one transport.
"""

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
from .contacts import Contacts
from .errors import parse_error
from .groups import Groups
from .membership import MessageFlowMembership
from .wire import DEFAULT_BASE_URL, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PROVIDER

if TYPE_CHECKING:
    from typing_extensions import Unpack

# the constants and resources stay importable from here, where they used to be defined
__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Client",
    "ClientKeywords",
    "Contacts",
    "Groups",
]


class ClientKeywords(CommonKeywords, total=False):
    """Every keyword ``messageflow.Client`` takes, for code that hands them on (a fake's client)."""

    authorization: str
    application_key: str
    compress: bool


class Client(BaseClient):
    """MessageFlow (Vercom) API v2.1. ``async with messageflow.Client(authorization=...,
    application_key=...) as mf: ...``

    ``compress=True`` gzips request bodies (``Content-Encoding: gzip``, the vendor's "input
    compression"); off by default. ``max_add_per_call`` / ``max_remove_per_call`` (1..1000) and
    ``membership_concurrency`` (default 4) size the ``membership`` adapter's calls for ``multi``.
    """

    provider: ClassVar[str] = PROVIDER

    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        authorization: str,
        application_key: str,
        compress: bool = False,
        max_add_per_call: int | None = None,
        max_remove_per_call: int | None = None,
        membership_concurrency: int | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        # held as Secrets once checked: a later failure (a bad base_url) shows them in no frame
        authz = Secret(require_credential(authorization, what="authorization", provider=PROVIDER))
        del authorization
        app_key = Secret(
            require_credential(application_key, what="application_key", provider=PROVIDER)
        )
        del application_key
        auth = HeaderAuth(
            {"Authorization": authz.reveal(), "Application-Key": app_key.reveal()},
            secrets=(authz.reveal(), app_key.reveal()),
        )
        self._compress = bool(compress)
        self._max_add_per_call = max_add_per_call
        self._max_remove_per_call = max_remove_per_call
        self._membership_concurrency = membership_concurrency
        super().__init__(auth, parse_error=parse_error, **options)

    def _bind(self, transport: Transport) -> None:
        self.groups = Groups(transport, compress=self._compress)
        self.contacts = Contacts(transport, compress=self._compress)
        self._membership = MessageFlowMembership(
            self.groups,
            contacts=self.contacts,
            max_add_per_call=self._max_add_per_call,
            max_remove_per_call=self._max_remove_per_call,
            concurrency=self._membership_concurrency,
        )

    @property
    def membership(self) -> MessageFlowMembership:
        """The adapter ``multi`` uses: up to 1000 ids per call, 207 items reported per id."""
        return self._membership
