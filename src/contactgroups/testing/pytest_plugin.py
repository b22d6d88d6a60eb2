"""pytest fixtures for the fake vendors (registered through the ``pytest11`` entry point).

One fixture per provider in ``contactgroups.providers`` (``messagebird_fake``, ``messente_fake``,
``messageflow_fake``, ``messengeo_fake``). Each starts a fresh fake on 127.0.0.1 and a free port,
yields it, and stops it::

    async def test_my_sync(messagebird_fake):
        group = messagebird_fake.seed_group("VIP")
        async with messagebird_fake.client() as client:
            await client.groups.add_contacts(group, messagebird_fake.seed_contacts(3))
        assert len(messagebird_fake.member_ids(group)) == 3

The fixtures need pytest-asyncio (``pip install contactgroups[test]``); without it none are
registered and nothing else changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..providers import PROVIDERS, Provider

try:
    import pytest_asyncio

    _HAVE_PYTEST_ASYNCIO = True
except ImportError:  # pragma: no cover - the plugin stays inert without pytest-asyncio
    _HAVE_PYTEST_ASYNCIO = False

__all__ = ["FAKES", "start_fake"]

_BY_FIXTURE = {provider.fixture_name: provider for provider in PROVIDERS}

#: fixture name -> (module, class) of each fake, imported only when a test asks for it.
FAKES = {name: (p.fake_module, p.fake_class_name) for name, p in _BY_FIXTURE.items()}


def start_fake(fixture_name: str, **kwargs: Any) -> Any:
    """A new (not yet started) fake by fixture name; ``async with`` it to run it."""
    return _BY_FIXTURE[fixture_name].fake_class()(**kwargs)


if _HAVE_PYTEST_ASYNCIO:

    def _make_fixture(provider: Provider) -> Any:
        async def fixture() -> AsyncIterator[Any]:
            async with start_fake(provider.fixture_name) as fake:
                yield fake

        fixture.__name__ = provider.fixture_name
        fixture.__doc__ = (
            f"A fresh {provider.fake_class_name} on 127.0.0.1 (stopped after the test)."
        )
        return pytest_asyncio.fixture(name=provider.fixture_name)(fixture)

    # pytest finds fixtures among the module's names
    globals().update({p.fixture_name: _make_fixture(p) for p in PROVIDERS})
