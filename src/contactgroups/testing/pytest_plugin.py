"""pytest fixtures for the fake vendors (registered through the ``pytest11`` entry point).

Each fixture starts a fresh fake on 127.0.0.1 and a free port, yields it, and stops it::

    async def test_my_sync(messagebird_fake):
        group = messagebird_fake.seed_group("VIP")
        async with messagebird_fake.client() as client:
            await client.groups.add_contacts(group, messagebird_fake.seed_contacts(3))
        assert len(messagebird_fake.member_ids(group)) == 3

The fixtures need pytest-asyncio (``pip install contactgroups[test]``); without it none are
registered and nothing else changes.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import Any

try:
    import pytest_asyncio

    _HAVE_PYTEST_ASYNCIO = True
except ImportError:  # pragma: no cover - the plugin stays inert without pytest-asyncio
    _HAVE_PYTEST_ASYNCIO = False

__all__ = ["FAKES", "start_fake"]

#: fixture name -> (module, class) of each fake, imported only when a test asks for it.
FAKES = {
    "messagebird_fake": ("contactgroups.testing.messagebird", "MessageBirdFake"),
    "messente_fake": ("contactgroups.testing.messente", "MessenteFake"),
    "messageflow_fake": ("contactgroups.testing.messageflow", "MessageFlowFake"),
    "messengeo_fake": ("contactgroups.testing.messengeo", "MessengeoFake"),
}


def start_fake(fixture_name: str, **kwargs: Any) -> Any:
    """A new (not yet started) fake by fixture name; ``async with`` it to run it."""
    module_name, class_name = FAKES[fixture_name]
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**kwargs)


if _HAVE_PYTEST_ASYNCIO:

    def _make_fixture(name: str) -> Any:
        async def fixture() -> AsyncIterator[Any]:
            async with start_fake(name) as fake:
                yield fake

        fixture.__name__ = name
        fixture.__doc__ = f"A fresh {FAKES[name][1]} on 127.0.0.1 (stopped after the test)."
        return pytest_asyncio.fixture(name=name)(fixture)

    messagebird_fake = _make_fixture("messagebird_fake")
    messente_fake = _make_fixture("messente_fake")
    messageflow_fake = _make_fixture("messageflow_fake")
    messengeo_fake = _make_fixture("messengeo_fake")
