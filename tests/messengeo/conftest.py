from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contactgroups.testing.messengeo import MessengeoFake


@pytest.fixture
async def fake() -> AsyncIterator[MessengeoFake]:
    async with MessengeoFake() as f:
        yield f
