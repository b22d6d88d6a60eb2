"""Event loops and sessions: a client's own ``aiohttp.ClientSession`` is made in the running loop
and closed when that loop ends; a session of another loop is never used.

aiohttp ties a session's connections to the loop it was made in: once that loop is closed they
can no longer be closed cleanly (without aiohttp's private APIs), and using them raises a plain
``RuntimeError``. So an owned session is closed by the end of its loop (an async generator the
loop shuts down, see ``start_keeper``), and a client kept across two ``asyncio.run()`` calls makes
a new one in the second; what cannot be used is a ``ContactGroupsError`` that says what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence

import aiohttp

from ..errors import ContactGroupsError

__all__ = [
    "borrowed_session_error",
    "foreign_loop_error",
    "new_session",
    "running_loop",
]


def running_loop(provider: str) -> asyncio.AbstractEventLoop:
    """The running event loop; outside one, a ``ContactGroupsError``."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise ContactGroupsError(f"a {provider} call needs a running asyncio event loop") from None


async def _keeper(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Suspended at its ``yield`` for the life of an owned session; closing it closes the session.

    The loop it was started in tracks it as one of its async generators, so the end of that loop
    (``loop.shutdown_asyncgens()``, which ``asyncio.run()``, ``asyncio.Runner`` and ``anyio.run()``
    call) closes the session while its connections can still be closed cleanly.
    """
    try:
        yield
    finally:
        if not session.closed:
            await session.close()


def start_keeper(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Start the keeper of ``session`` in the running loop; ``await keeper.aclose()`` closes it."""
    keeper = _keeper(session)
    # its first step registers it with the running loop (the loop's firstiter hook) and runs it to
    # its `yield` without awaiting anything: driven here, synchronously (the coroutine protocol)
    step = keeper.asend(None)
    with contextlib.suppress(StopIteration):
        step.send(None)
    return keeper


def new_session(
    *, limit: int, verify_ssl: bool, trace_configs: Sequence[aiohttp.TraceConfig] = ()
) -> tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]:
    """A session with one pooled keep-alive connector, made in the running loop, and its keeper
    (``trace_configs``: the client's aiohttp request hooks)."""
    # one cap over every host the client talks to (a cap per host as large would change nothing
    # but cost aiohttp some bookkeeping on every request)
    connector = aiohttp.TCPConnector(limit=limit, ssl=verify_ssl)
    session = aiohttp.ClientSession(
        connector=connector, raise_for_status=False, trace_configs=list(trace_configs) or None
    )
    return session, start_keeper(session)


def foreign_loop_error(
    provider: str, *, owned: bool, loop: asyncio.AbstractEventLoop | None
) -> ContactGroupsError:
    """The error for a session used in another loop than its own (``loop``)."""
    if not owned:
        return ContactGroupsError(
            f"the aiohttp session given to this {provider} client belongs to another event "
            "loop; create the session and the client inside the loop that uses them"
        )
    state = "closed" if loop is None or loop.is_closed() else "still open"
    return ContactGroupsError(
        f"this {provider} client's connections belong to another event loop ({state}) and can "
        "only be closed there; create the client inside the event loop that uses it, or close "
        "it (`async with` or `aclose()`) before that loop ends"
    )


def borrowed_session_error(provider: str, why: str) -> ContactGroupsError:
    """The error for a borrowed session that cannot be used (closed, or of a closed loop)."""
    return ContactGroupsError(
        f"the aiohttp session given to this {provider} client cannot be used ({why}); pass an "
        "open session made inside the event loop that uses it, or none to let the client make "
        "its own"
    )
