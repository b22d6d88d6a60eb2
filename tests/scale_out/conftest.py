"""The scale-out tests run against a real PostgreSQL, each test in a schema of its own, dropped
afterwards.

The server: ``CONTACTGROUPS_TEST_POSTGRES`` (a URL), else ``postgresql://postgres@127.0.0.1:5432/
test``. A server that does not answer fails the tests that need it, naming the variable: these
tests are never skipped quietly.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

ENV = "CONTACTGROUPS_TEST_POSTGRES"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    return os.environ.get(ENV) or DEFAULT_URL


async def _answers(url: str) -> str | None:
    """None if the server answers, else why not."""
    try:
        db = await asyncpg.connect(url, timeout=5)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    await db.close()
    return None


async def _drop(url: str, schema: str) -> None:
    db = await asyncpg.connect(url, timeout=5)
    try:
        await db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await db.close()


@pytest.fixture
def pg_server() -> str:
    """The server's URL, once it answers (the test fails, naming the variable, if it does not)."""
    url = server_url()
    why = asyncio.run(_answers(url))
    if why is not None:
        pytest.fail(
            f"PostgreSQL does not answer at {url} ({why}): the scale-out tests need one; "
            f"set {ENV} to its URL (postgresql://user@host:port/database)",
            pytrace=False,
        )
    return url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A journal URL naming a schema of this test's own (dropped when the test ends)."""
    schema = f"cg_test_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in pg_server else "?"
    try:
        yield f"{pg_server}{separator}schema={schema}"
    finally:
        asyncio.run(_drop(pg_server, schema))
