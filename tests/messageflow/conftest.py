from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contactgroups._http import RetryPolicy
from contactgroups.messageflow import Client
from contactgroups.testing.messageflow import MessageFlowFake

FAST_RETRY = RetryPolicy(backoff_base=0.01, backoff_max=0.05)


@pytest.fixture
async def fake() -> AsyncIterator[MessageFlowFake]:
    async with MessageFlowFake(retry_after=0.05) as f:
        yield f


@pytest.fixture
async def client(fake: MessageFlowFake) -> AsyncIterator[Client]:
    async with fake.client(retry=FAST_RETRY) as c:
        yield c
