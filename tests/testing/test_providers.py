"""The provider registry: every entry's client and fake import and match, credentials come from
the environment variables DESIGN.md documents, and importing the registry imports nothing heavy."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from contactgroups import providers
from contactgroups.errors import InvalidRequestError
from contactgroups.providers import PROVIDERS, ProviderClient
from contactgroups.testing import FakeServer
from contactgroups.testing.pytest_plugin import FAKES, start_fake

#: the environment variables of DESIGN.md ("CLI"), and the constructor keywords of its
#: "Public surface", per provider
DOCUMENTED = {
    "messagebird": {"MESSAGEBIRD_ACCESS_KEY": "access_key"},
    "messente": {"MESSENTE_USERNAME": "username", "MESSENTE_PASSWORD": "password"},
    "messageflow": {
        "MESSAGEFLOW_AUTHORIZATION": "authorization",
        "MESSAGEFLOW_APPLICATION_KEY": "application_key",
    },
    "messengeo": {"MESSENGEO_CLIENT_ID": "client_id", "MESSENGEO_CLIENT_SECRET": "client_secret"},
}
FAKE_CLASSES = {
    "messagebird": "MessageBirdFake",
    "messente": "MessenteFake",
    "messageflow": "MessageFlowFake",
    "messengeo": "MessengeoFake",
}
GROUPS = {
    "messagebird": "groups",
    "messente": "groups",
    "messageflow": "groups",
    "messengeo": "lists",
}

CANARY = "canary-SECRET-4f9a1c"


def test_the_registry_lists_the_four_vendors_in_order() -> None:
    assert providers.NAMES == ("messagebird", "messente", "messageflow", "messengeo")
    assert tuple(p.name for p in PROVIDERS) == providers.NAMES
    assert [providers.get(name) for name in providers.NAMES] == list(PROVIDERS)
    with pytest.raises(LookupError, match="choose one of messagebird, messente"):
        providers.get("twilio")


@pytest.mark.parametrize("provider", PROVIDERS, ids=providers.NAMES)
def test_client_class_is_the_packages_client(provider: providers.Provider) -> None:
    package = importlib.import_module(f"contactgroups.{provider.name}")
    assert provider.client_module == package.__name__
    assert provider.client_class() is package.Client
    assert package.Client.provider == provider.name


@pytest.mark.parametrize("provider", PROVIDERS, ids=providers.NAMES)
def test_fake_class_is_the_vendors_fake(provider: providers.Provider) -> None:
    module = importlib.import_module(f"contactgroups.testing.{provider.name}")
    assert provider.fake_module == module.__name__
    assert provider.fake_class_name == FAKE_CLASSES[provider.name]
    assert provider.fake_class() is getattr(module, FAKE_CLASSES[provider.name])
    assert issubclass(provider.fake_class(), FakeServer)


@pytest.mark.parametrize("provider", PROVIDERS, ids=providers.NAMES)
def test_credentials_are_the_documented_variables(provider: providers.Provider) -> None:
    documented = DOCUMENTED[provider.name]
    assert {c.env: c.keyword for c in provider.credentials} == documented
    assert provider.env == tuple(documented)
    assert CANARY not in repr(provider)


@pytest.mark.parametrize("provider", PROVIDERS, ids=providers.NAMES)
async def test_client_from_env_builds_the_client_with_its_groups(
    provider: providers.Provider,
) -> None:
    environ = dict.fromkeys(provider.env, CANARY)
    client = provider.client_from_env(environ, base_url="https://vendor.example/api")
    try:
        assert isinstance(client, provider.client_class())
        assert isinstance(client, ProviderClient)
        assert client.membership.provider == provider.name
        assert provider.groups_attribute == GROUPS[provider.name]
        assert provider.groups(client) is getattr(client, GROUPS[provider.name])
    finally:
        await client.aclose()


@pytest.mark.parametrize("provider", PROVIDERS, ids=providers.NAMES)
def test_missing_credentials_are_named_never_shown(provider: providers.Provider) -> None:
    first, *rest = provider.env
    environ = dict.fromkeys(rest, CANARY)
    assert provider.missing_env(environ) == [first]
    with pytest.raises(InvalidRequestError) as info:
        provider.credentials_from_env(environ)
    assert first in str(info.value)
    assert CANARY not in str(info.value)
    for other in rest:
        assert other not in str(info.value)
    assert info.value.provider == provider.name
    assert provider.missing_env({}) == list(provider.env)


def test_only_messengeo_takes_a_token_url() -> None:
    assert {p.name for p in PROVIDERS if "token_url" in p.options} == {"messengeo"}


def test_the_pytest_plugin_derives_its_fakes_from_the_registry() -> None:
    assert FAKES == {
        "messagebird_fake": ("contactgroups.testing.messagebird", "MessageBirdFake"),
        "messente_fake": ("contactgroups.testing.messente", "MessenteFake"),
        "messageflow_fake": ("contactgroups.testing.messageflow", "MessageFlowFake"),
        "messengeo_fake": ("contactgroups.testing.messengeo", "MessengeoFake"),
    }
    for provider in PROVIDERS:
        fake = start_fake(provider.fixture_name, record=False)
        assert type(fake) is provider.fake_class()
        assert fake.record is False


def test_importing_the_registry_imports_no_provider_fake_or_rich() -> None:
    code = (
        "import sys\n"
        "from contactgroups import providers\n"
        "assert providers.MESSENGEO.env\n"
        "heavy = [m for m in sys.modules if m in ('rich', 'aiohttp.web', 'contactgroups.cli')\n"
        "         or m.startswith(('contactgroups.testing', 'contactgroups.multi'))\n"
        "         or m.split('.')[:2] in [['contactgroups', n] for n in providers.NAMES]]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
