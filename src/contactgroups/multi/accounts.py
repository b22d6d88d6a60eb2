"""Where a worker gets each vendor account's client: from the caller, or from its own environment.

The rule for the environment: account ``acme`` of provider ``messagebird`` takes each credential
variable of that provider with ``__`` and the account's name in upper case (anything but a letter
or a digit as ``_``) after it: ``MESSAGEBIRD_ACCESS_KEY__ACME``; an account named after its
provider (``messagebird``, the default name) takes the plain ones. ``CONTACTGROUPS_BASE_URL__ACME``
(optional) points the client elsewhere (a proxy, a fake), ``CONTACTGROUPS_TOKEN_URL__ACME``
likewise for Messengeo's token endpoint. Credentials never leave the worker's process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from .. import providers
from ..errors import InvalidRequestError
from ..membership import HasMembership

__all__ = ["ClientSource", "account_env", "client_from_env"]

#: Clients per account name, or a function of (account, provider) that builds one.
ClientSource = Mapping[str, HasMembership] | Callable[[str, str], HasMembership]


def account_env(name: str, account: str) -> str:
    """The variable that holds ``name`` (``MESSAGEBIRD_ACCESS_KEY``) for ``account``."""
    if name.startswith(f"{account.upper()}_"):
        return name  # the account named after its provider
    return f"{name}__{re.sub(r'[^A-Za-z0-9]', '_', account).upper()}"


def client_from_env(
    account: str, provider: str, environ: Mapping[str, str] | None = None
) -> HasMembership:
    """The client of ``account`` (a ``provider`` account) built from the environment (module
    docstring); ``InvalidRequestError`` names every variable missing, never a value."""
    environ = os.environ if environ is None else environ
    vendor = providers.get(provider)
    names = {
        credential.env: account_env(credential.env, account) for credential in vendor.credentials
    }
    missing = [suffixed for suffixed in names.values() if not environ.get(suffixed)]
    if missing:
        raise InvalidRequestError(
            f"account {account} ({provider}) needs {', '.join(missing)}", provider=provider
        )
    options: dict[str, str] = {}
    for option, variable in (
        ("base_url", "CONTACTGROUPS_BASE_URL"),
        ("token_url", "CONTACTGROUPS_TOKEN_URL"),
    ):
        value = environ.get(account_env(variable, account))
        if value and (option == "base_url" or option in vendor.options):
            options[option] = value
    return vendor.client_from_env(
        {plain: environ[suffixed] for plain, suffixed in names.items()}, **options
    )
