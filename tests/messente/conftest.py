from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contactgroups.testing.messente import MessenteFake


@pytest.fixture
async def fake() -> AsyncIterator[MessenteFake]:
    async with MessenteFake() as f:
        yield f
