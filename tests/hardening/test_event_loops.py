"""One client, several event loops: a module-level client used by two ``asyncio.run()`` calls
works in both (its own pool is closed by the end of the first loop and a new one made in the
second), never raises a plain ``RuntimeError`` and leaks no socket; what cannot be used (a pool
or a borrowed session still tied to another loop) is a ``ContactGroupsError`` that says what to
do."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import textwrap
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import aiohttp
import pytest
from aiohttp import web

from contactgroups import errors
from contactgroups._http import HeaderAuth, Transport
from contactgroups.testing import FakeServer

T = TypeVar("T")


class Ok(FakeServer):
    def __init__(self) -> None:
        super().__init__()

        async def ok(request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        self.app.router.add_get("/{tail:.*}", ok)


@pytest.fixture
def vendor_url() -> Iterator[str]:
    """A vendor in a thread of its own, so that the test's own loops can come and go."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = Ok()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server.url
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def ping(t: Transport) -> Callable[[], Awaitable[int]]:
    async def go() -> int:
        return (await t.request("GET", ("ping",), idempotent=True)).status

    return go


def run_in(loop: asyncio.AbstractEventLoop, step: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await step()

    return loop.run_until_complete(main())


def end(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run()`` does when its coroutine is done."""
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def no_resource_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_one_transport_across_two_asyncio_runs(vendor_url: str) -> None:
    t = Transport(provider="p", base_url=vendor_url, auth=HeaderAuth({}, secrets=()))
    assert asyncio.run(ping(t)()) == 200
    first = t._session
    assert first is not None and first.closed  # closed by the end of its loop, cleanly
    assert asyncio.run(ping(t)()) == 200  # not "RuntimeError: Event loop is closed"
    assert t._session is not first
    asyncio.run(t.aclose())
    assert t._session is None and first.closed
    del first
    no_resource_warnings()


def test_a_pool_still_open_in_another_loop_is_a_clear_error(vendor_url: str) -> None:
    t = Transport(provider="p", base_url=vendor_url, auth=HeaderAuth({}, secrets=()))
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert run_in(first, ping(t)) == 200
        with pytest.raises(errors.ContactGroupsError, match=r"another event loop \(still open\)"):
            run_in(second, ping(t))
        end(first)  # its end closes the pool there...
        assert run_in(second, ping(t)) == 200  # ...and the next call makes one in this loop
        run_in(second, t.aclose)
    finally:
        for loop in (first, second):
            if not loop.is_closed():
                end(loop)
    no_resource_warnings()


def test_a_borrowed_session_of_another_loop_is_a_clear_error_and_is_kept(vendor_url: str) -> None:
    home, other = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:

        async def make() -> aiohttp.ClientSession:
            return aiohttp.ClientSession()

        session = run_in(home, make)
        used = Transport(
            provider="p", base_url=vendor_url, auth=HeaderAuth({}, secrets=()), session=session
        )
        unused = Transport(
            provider="p", base_url=vendor_url, auth=HeaderAuth({}, secrets=()), session=session
        )
        assert run_in(home, ping(used)) == 200
        for t in (used, unused):  # one seen in its loop before, one never used
            with pytest.raises(errors.ContactGroupsError, match="session given to this p client"):
                run_in(other, ping(t))
            assert t._session is session  # never replaced: it is the user's
        assert not session.closed
        assert run_in(home, ping(unused)) == 200  # and still works in its own loop
        run_in(home, session.close)
    finally:
        end(home)
        end(other)
    no_resource_warnings()


async def test_a_closed_borrowed_session_is_a_clear_error(vendor_url: str) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    t = Transport(
        provider="p", base_url=vendor_url, auth=HeaderAuth({}, secrets=()), session=session
    )
    with pytest.raises(errors.ContactGroupsError, match="closed"):
        await ping(t)()


TWO_RUNS = textwrap.dedent(
    """
    import asyncio, gc, os, sys, threading, time
    from contactgroups.testing.pytest_plugin import start_fake

    server_loop = asyncio.new_event_loop()
    threading.Thread(target=server_loop.run_forever, daemon=True).start()
    fake = start_fake("messagebird_fake")
    asyncio.run_coroutine_threadsafe(fake.start(), server_loop).result(10)

    client = fake.client()  # module level, outside any loop

    def sockets_now():
        count = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
            except OSError:
                pass  # the descriptor listdir itself used
        return count

    def sockets(baseline=None):
        # the fake (in this process too) closes its side a moment after the client: wait for it
        for _ in range(50):
            if sockets_now() == baseline:
                break
            time.sleep(0.1)
        return sockets_now()

    async def main(name):
        group = await client.groups.create(name=name)
        print("created", name, group.id is not None)

    before = sockets_now()
    asyncio.run(main("first"))
    gc.collect()
    print("sockets left after the first run:", sockets(before) - before)
    asyncio.run(main("second"))
    if sys.argv[1] == "manual":
        loop = asyncio.new_event_loop()
        loop.run_until_complete(main("third"))
        loop.close()  # without shutting down its async generators: the pool cannot be closed
        try:
            asyncio.run(main("fourth"))
        except Exception as exc:
            print(type(exc).__name__, exc)
        sys.exit(0)
    asyncio.run(client.aclose())
    gc.collect()
    print("sockets left at the end:", sockets(before) - before)
    """
)


def two_runs(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", TWO_RUNS, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts sockets in /proc")
def test_a_module_level_client_in_two_asyncio_runs_leaks_nothing() -> None:
    run = two_runs("runs")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "created first True",
        "sockets left after the first run: 0",
        "created second True",
        "sockets left at the end: 0",
    ]
    assert run.stderr == ""  # no "Unclosed ..." warning, nothing ignored in a __del__


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts sockets in /proc")
def test_a_loop_closed_without_its_shutdown_gives_a_clear_error_not_a_runtime_error() -> None:
    run = two_runs("manual")
    assert run.returncode == 0, run.stderr
    last = run.stdout.splitlines()[-1]
    assert last.startswith("ContactGroupsError this messagebird client's connections belong to")
    assert "(closed)" in last and "RuntimeError" not in run.stdout


def test_a_call_outside_any_loop_is_a_clear_error(vendor_url: str) -> None:
    t = Transport(provider="p", base_url=vendor_url, auth=HeaderAuth({}, secrets=()))
    with pytest.raises(errors.ContactGroupsError, match="running asyncio event loop"):
        _ = t.session
