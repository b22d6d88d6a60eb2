"""The four vendors in one table: each one's client, credentials, groups resource and fake.

- ``messagebird``: ``MESSAGEBIRD_ACCESS_KEY`` -> ``access_key``; ``client.groups``;
  ``MessageBirdFake``.
- ``messente``: ``MESSENTE_USERNAME`` -> ``username``, ``MESSENTE_PASSWORD`` -> ``password``;
  ``client.groups``; ``MessenteFake``.
- ``messageflow``: ``MESSAGEFLOW_AUTHORIZATION`` -> ``authorization``,
  ``MESSAGEFLOW_APPLICATION_KEY`` -> ``application_key``; ``client.groups``; ``MessageFlowFake``.
- ``messengeo``: ``MESSENGEO_CLIENT_ID`` -> ``client_id``, ``MESSENGEO_CLIENT_SECRET`` ->
  ``client_secret``; ``client.lists``; ``MessengeoFake``.

The command line, the pytest plugin and the benchmarks read this table; so can you::

    from contactgroups import providers

    for provider in providers.PROVIDERS:
        async with provider.client_from_env() as client:   # names any variable not set
            async for group in provider.groups(client).list():
                ...

Nothing is imported until it is used: importing this module imports no provider package, no
fake (``aiohttp.web``) and no ``rich``.
"""

from __future__ import annotations

import importlib
import os
import types
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

import attrs

from .errors import InvalidRequestError
from .membership import HasMembership

__all__ = [
    "MESSAGEBIRD",
    "MESSAGEFLOW",
    "MESSENGEO",
    "MESSENTE",
    "NAMES",
    "PROVIDERS",
    "Credential",
    "Provider",
    "ProviderClient",
    "get",
]

_PACKAGE = __name__.rpartition(".")[0]
_C = TypeVar("_C", bound="ProviderClient")


@runtime_checkable
class ProviderClient(HasMembership, Protocol):
    """What every provider's ``Client`` is, whatever the vendor: ``client.membership`` for
    ``multi``, and ``async with`` (or ``aclose()``) closes its session."""

    async def aclose(self) -> None: ...

    async def __aenter__(self: _C) -> _C: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None: ...


@attrs.frozen
class Credential:
    """One credential: the environment variable that holds it, the ``Client`` keyword it fills."""

    env: str
    keyword: str


@attrs.frozen
class Provider:
    """One vendor: where its client and fake live, and what its client needs.

    Attributes:
        name: the provider's name, as ``client.membership.provider`` and reports give it.
        credentials: the ``Client`` keywords that hold credentials, and their variables.
        fake_class_name: the fake's class in ``contactgroups.testing.<name>``.
        groups_attribute: the client's groups resource (``lists`` at Messengeo).
        options: the keywords this client takes beyond credentials and the shared options
            (``base_url=``, ``session=``, ``timeout=``, ``retry=``...) that a command line may
            want to set, such as Messengeo's ``token_url``.
    """

    name: str
    credentials: tuple[Credential, ...]
    fake_class_name: str
    groups_attribute: str = "groups"
    options: tuple[str, ...] = ()

    @property
    def client_module(self) -> str:
        """The package whose ``Client`` talks to this vendor (``contactgroups.messagebird``)."""
        return f"{_PACKAGE}.{self.name}"

    @property
    def fake_module(self) -> str:
        """The module of this vendor's fake (``contactgroups.testing.messagebird``)."""
        return f"{_PACKAGE}.testing.{self.name}"

    @property
    def env(self) -> tuple[str, ...]:
        """The environment variables that hold the credentials, in the constructor's order."""
        return tuple(credential.env for credential in self.credentials)

    @property
    def fixture_name(self) -> str:
        """The pytest fixture that yields a running fake (``messagebird_fake``)."""
        return f"{self.name}_fake"

    def client_class(self) -> type[ProviderClient]:
        """The vendor's ``Client`` class (its package is imported now, on first use)."""
        return cast("type[ProviderClient]", importlib.import_module(self.client_module).Client)

    def fake_class(self) -> type[Any]:
        """The fake's class (a ``contactgroups.testing.VendorFake``; imported now, with
        ``aiohttp.web``)."""
        return cast(
            "type[Any]", getattr(importlib.import_module(self.fake_module), self.fake_class_name)
        )

    def client(self, **kwargs: Any) -> ProviderClient:
        """``Client(**kwargs)``: credentials as keywords, and any option."""
        return self.client_class()(**kwargs)

    def missing_env(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The credential variables that are not set (or empty) in ``environ`` (``os.environ``)."""
        environ = os.environ if environ is None else environ
        return [name for name in self.env if not environ.get(name)]

    def credentials_from_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The credentials as ``Client`` keywords, read from ``environ`` (``os.environ``).

        Raises ``InvalidRequestError`` naming every variable that is missing (never a value).
        """
        environ = os.environ if environ is None else environ
        missing = self.missing_env(environ)
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise InvalidRequestError(
                f"{self.name} needs the environment variable{plural} {', '.join(missing)}",
                provider=self.name,
            )
        return {credential.keyword: environ[credential.env] for credential in self.credentials}

    def client_from_env(
        self, environ: Mapping[str, str] | None = None, **options: Any
    ) -> ProviderClient:
        """A ``Client`` with the credentials from the environment; ``options`` are passed on."""
        return self.client(**self.credentials_from_env(environ), **options)

    def groups(self, client: Any) -> Any:
        """The client's groups resource: ``client.groups``, or ``client.lists`` at Messengeo."""
        return getattr(client, self.groups_attribute)


MESSAGEBIRD = Provider(
    "messagebird",
    (Credential("MESSAGEBIRD_ACCESS_KEY", "access_key"),),
    fake_class_name="MessageBirdFake",
)
MESSENTE = Provider(
    "messente",
    (Credential("MESSENTE_USERNAME", "username"), Credential("MESSENTE_PASSWORD", "password")),
    fake_class_name="MessenteFake",
)
MESSAGEFLOW = Provider(
    "messageflow",
    (
        Credential("MESSAGEFLOW_AUTHORIZATION", "authorization"),
        Credential("MESSAGEFLOW_APPLICATION_KEY", "application_key"),
    ),
    fake_class_name="MessageFlowFake",
)
MESSENGEO = Provider(
    "messengeo",
    (
        Credential("MESSENGEO_CLIENT_ID", "client_id"),
        Credential("MESSENGEO_CLIENT_SECRET", "client_secret"),
    ),
    fake_class_name="MessengeoFake",
    groups_attribute="lists",
    options=("token_url",),
)

#: every vendor, in the order the SDK lists them
PROVIDERS: tuple[Provider, ...] = (MESSAGEBIRD, MESSENTE, MESSAGEFLOW, MESSENGEO)
#: their names
NAMES: tuple[str, ...] = tuple(provider.name for provider in PROVIDERS)


def get(name: str) -> Provider:
    """The provider called ``name``; ``LookupError`` naming the choices for any other name."""
    for provider in PROVIDERS:
        if provider.name == name:
            return provider
    raise LookupError(f"unknown provider {name!r}; choose one of {', '.join(NAMES)}")
