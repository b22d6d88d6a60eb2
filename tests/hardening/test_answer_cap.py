"""Every answer is size-capped: read as a stream, counted after decompression, and past the cap
(16 MiB unless ``max_response_bytes`` says otherwise) the connection is dropped and the call
raises ``MalformedResponseError`` ("answer too large")."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import pytest
from transport_hostile import CHUNK, RawServer, chunk, head

from contactgroups import errors
from contactgroups._http import HeaderAuth, RetryPolicy, Transport
from contactgroups.testing import FakeServer

MiB = 2**20
DEFAULT_CAP = 16 * MiB
KEY = "canary-SECRET-4f9a1c"


def transport(url: str, **kwargs: Any) -> Transport:
    kwargs.setdefault("retry", None)
    return Transport(
        provider="hostile",
        base_url=url,
        auth=HeaderAuth({"Authorization": f"Key {KEY}"}, secrets=(KEY,)),
        **kwargs,
    )


async def call(t: Transport, method: str = "GET", **kwargs: Any) -> Any:
    try:
        return await t.request(method, ("g",), idempotent=method != "POST", **kwargs)
    finally:
        await t.aclose()


async def streaming_forever(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
) -> None:
    """An endless chunked answer (it stops only when the client hangs up)."""
    await server.read_request(reader)
    await server.send(writer, head(chunked=True))
    while True:
        await server.send(writer, chunk(CHUNK))


async def test_a_64_mib_answer_fails_before_reading_on_its_content_length() -> None:
    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer) -> None:
        await s.read_request(reader)
        await s.send(writer, head(length=64 * MiB) + b'{"data": "' + f"{KEY} ".encode())
        for _ in range(64 * MiB // len(CHUNK)):
            await s.send(writer, CHUNK)

    async with RawServer(big) as server:
        with pytest.raises(errors.MalformedResponseError) as info:
            await call(transport(server.url))
        await asyncio.wait_for(server.hung_up.wait(), 5)  # the connection was dropped
    error = info.value
    assert str(DEFAULT_CAP) in error.message and "too large" in error.message
    assert error.status == 200 and error.provider == "hostile"
    assert error.maybe_landed is False  # a read
    assert server.written < 64 * MiB


async def test_a_64_mib_stream_without_a_length_is_cut_at_the_cap() -> None:
    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer) -> None:
        await s.read_request(reader)
        await s.send(
            writer, head(chunked=True) + chunk(b'{"echo": "' + KEY.encode() + b'", "x": "')
        )
        for _ in range(64 * MiB // len(CHUNK)):
            await s.send(writer, chunk(CHUNK))

    async with RawServer(big) as server:
        with pytest.raises(errors.MalformedResponseError, match="too large") as info:
            await call(transport(server.url))
        await asyncio.wait_for(server.hung_up.wait(), 5)
    assert server.written < 64 * MiB  # it stopped reading at the cap (plus socket buffers)
    body = info.value.body or ""
    assert body.startswith('{"echo": "') and len(body) <= 200  # a short excerpt...
    assert KEY not in body and KEY not in str(info.value)  # ...without the credential


async def test_the_excerpt_never_keeps_part_of_a_credential() -> None:
    async def echo(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        await s.read_request(reader)
        # the key straddles the point where the excerpt is cut
        start = (b" " * 195 + KEY.encode()).ljust(4096)
        await s.send(writer, head(chunked=True) + chunk(start) + chunk(CHUNK) + b"0\r\n\r\n")

    async with RawServer(echo) as server:
        with pytest.raises(errors.MalformedResponseError) as info:
            await call(transport(server.url, max_response_bytes=1024))
    body = info.value.body or ""
    assert body.startswith(" " * 195) and KEY[:5] not in body  # not even "canar"


async def test_a_gzip_bomb_is_counted_as_decoded() -> None:
    bomb = gzip.compress(b" " * (64 * MiB), compresslevel=9)
    assert len(bomb) < 128 * 1024  # a small answer on the wire

    async def serve(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        await s.read_request(reader)
        await s.send(writer, head(length=len(bomb), extra="Content-Encoding: gzip") + bomb)
        await asyncio.sleep(5)

    async with RawServer(serve) as server:
        with pytest.raises(errors.MalformedResponseError, match=f"more than {DEFAULT_CAP} bytes"):
            await call(transport(server.url))


async def test_a_deflate_answer_under_the_cap_is_read_whole() -> None:
    document = json.dumps({"data": ["x" * 1000] * 1000}).encode()
    packed = zlib.compress(document)

    async def serve(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        await s.read_request(reader)
        await s.send(writer, head(length=len(packed), extra="Content-Encoding: deflate") + packed)

    async with RawServer(serve) as server:
        response = await call(transport(server.url, max_response_bytes=len(document)))
    assert response.body == document  # exactly at the cap is fine


@pytest.mark.parametrize("timeout", [None, 30])
async def test_an_endless_stream_ends_at_the_cap(timeout: float | None) -> None:
    async with RawServer(streaming_forever) as server:
        with pytest.raises(errors.MalformedResponseError, match=f"more than {MiB} bytes"):
            await call(transport(server.url, max_response_bytes=MiB, timeout=timeout))
        await asyncio.wait_for(server.hung_up.wait(), 5)


async def test_an_endless_stream_ends_at_the_time_budget_when_that_comes_first() -> None:
    async def trickle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        await s.read_request(reader)
        await s.send(writer, head(chunked=True))
        while True:
            await s.send(writer, chunk(b" "))
            await asyncio.sleep(0.01)

    async with RawServer(trickle) as server:
        with pytest.raises(errors.TimeoutError):
            await call(transport(server.url, timeout=0.5))


async def test_a_content_length_larger_than_what_comes_is_a_cut_off_answer() -> None:
    async def liar(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        await s.read_request(reader)
        await s.send(writer, head(length=1000) + b'{"data": []}')
        # and hangs up

    async with RawServer(liar) as server:
        with pytest.raises(errors.TransportError, match="cut off"):
            await call(transport(server.url))


async def test_a_content_length_over_the_cap_fails_without_waiting_for_the_body() -> None:
    async def liar(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        await s.read_request(reader)
        await s.send(writer, head(length=DEFAULT_CAP + 1) + b"{")
        await asyncio.sleep(30)  # the rest never comes

    async with RawServer(liar) as server:
        with pytest.raises(errors.MalformedResponseError, match="too large"):
            # fails long before the attempt's 20 s would run out
            await asyncio.wait_for(call(transport(server.url, timeout=20)), 5)


async def test_a_content_length_shorter_than_the_body_never_smuggles_an_answer() -> None:
    async def liar(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        while True:
            await s.read_request(reader)
            smuggled = b'HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{"smuggled": true}'
            await s.send(writer, head(length=2) + b"{}" + smuggled * 100)

    async with RawServer(liar) as server:
        t = transport(server.url, retry=RetryPolicy(max_attempts=2, backoff_base=0))
        try:
            for _ in range(4):
                # each call gets the declared two bytes or a typed error, never what followed
                outcome: object
                try:
                    outcome = (await t.request("GET", ("g",), idempotent=True)).body
                except errors.TransportError as exc:
                    outcome = exc
                assert outcome == b"{}" or (
                    isinstance(outcome, errors.TransportError) and "smuggled" not in str(outcome)
                )
        finally:
            await t.aclose()


@pytest.mark.parametrize(
    ("method", "status", "landed"),
    [("POST", "200 OK", True), ("PUT", "503 Service Unavailable", True), ("GET", "200 OK", False),
     ("POST", "400 Bad Request", False)],
)  # fmt: skip
async def test_maybe_landed_says_whether_a_write_was_answered(
    method: str, status: str, landed: bool
) -> None:
    async def serve(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        while True:
            await s.read_request(reader)
            await s.send(writer, head(status, length=2048) + b" " * 2048)

    async with RawServer(serve) as server:
        with pytest.raises(errors.MalformedResponseError) as info:
            await call(transport(server.url, max_response_bytes=1024), method, json_body={})
    assert info.value.maybe_landed is landed
    assert info.value.status == int(status.split()[0])
    assert len(server.requests) == 1  # retry=None


async def test_an_oversized_503_is_retried_like_any_503_and_each_connection_dropped() -> None:
    async def serve(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: RawServer
    ) -> None:
        while True:
            await s.read_request(reader)
            await s.send(writer, head("503 Service Unavailable", length=4 * MiB))
            for _ in range(4 * MiB // len(CHUNK)):
                await s.send(writer, CHUNK)

    async with RawServer(serve) as server:
        t = transport(server.url, max_response_bytes=1024, retry=RetryPolicy(max_attempts=3,
                      backoff_base=0.01))  # fmt: skip
        with pytest.raises(errors.MalformedResponseError):
            await call(t, "PUT")
    assert len(server.requests) == 3
    assert server.connections == 3  # a connection with an unread answer is never reused


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "1024", None])
def test_max_response_bytes_is_checked(bad: Any) -> None:
    with pytest.raises(errors.InvalidRequestError, match="max_response_bytes"):
        transport("http://127.0.0.1:1", max_response_bytes=bad)


class Sized(FakeServer):
    def __init__(self, size: int) -> None:
        super().__init__()
        from aiohttp import web

        async def answer(request: web.Request) -> web.Response:
            return web.Response(
                body=b"[" + b" " * (size - 2) + b"]", content_type="application/json"
            )

        self.app.router.add_get("/{tail:.*}", answer)


async def test_the_cap_is_a_client_option_and_a_with_options_one() -> None:
    from contactgroups import messagebird

    async with Sized(4096) as fake:
        async with messagebird.Client(
            access_key="k", base_url=fake.url, max_response_bytes=1000, retry=None
        ) as client:
            with pytest.raises(errors.MalformedResponseError, match="more than 1000 bytes"):
                await client.groups.get("g")
            roomy = client.with_options(max_response_bytes=8192)
            with pytest.raises(errors.MalformedResponseError) as info:
                await roomy.groups.get("g")  # read in full: only its shape is wrong
            assert "too large" not in str(info.value)
            with pytest.raises(errors.InvalidRequestError):
                client.with_options(max_response_bytes=0)
        with pytest.raises(errors.InvalidRequestError):
            messagebird.Client(access_key="k", max_response_bytes=-5)


MEMORY_PROBE = textwrap.dedent(
    """
    import asyncio, resource, sys, zlib
    sys.path.insert(0, sys.argv[1])
    from transport_hostile import CHUNK, RawServer, chunk, head
    from contactgroups import errors
    from contactgroups._http import HeaderAuth, Transport

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip, built without 64 MiB in memory
    BOMB = b"".join(packer.compress(b" " * 2**20) for _ in range(64)) + packer.flush()

    async def stream(reader, writer, s):
        await s.read_request(reader)
        if sys.argv[2] == "bomb":
            await s.send(writer, head(length=len(BOMB), extra="Content-Encoding: gzip") + BOMB)
            await asyncio.sleep(5)
        await s.send(writer, head(chunked=True))
        for _ in range(64 * 2**20 // len(CHUNK)):
            await s.send(writer, chunk(CHUNK))
        await s.send(writer, b"0\\r\\n\\r\\n")

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    async def main():
        async with RawServer(stream) as server:
            t = Transport(provider="p", base_url=server.url, auth=HeaderAuth({}, secrets=()))
            before = peak()
            try:
                await t.request("GET", ("g",), idempotent=True)
            except errors.MalformedResponseError:
                pass
            finally:
                await t.aclose()
            print(peak() - before)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("answer", ["stream", "bomb"])
def test_reading_a_64_mib_answer_costs_about_the_cap_in_memory(answer: str) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(Path(__file__).parent), answer],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    grown = int(probe.stdout.strip())
    # before the cap: ~190 MiB for the stream, ~145 MiB for the bomb; now about the 16 MiB cap
    assert grown < 64 * MiB, f"peak memory grew by {grown / MiB:.0f} MiB"
