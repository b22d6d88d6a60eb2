"""The four fake vendors in a process of their own, for the crash tests, with a control endpoint.

Run as ``python fake_process.py LATENCY``: it starts ``MessageBirdFake``, ``MessenteFake``,
``MessageFlowFake`` and ``MessengeoFake`` on 127.0.0.1 (port 0, ``LATENCY`` seconds per request),
then a control server on 127.0.0.1 (port 0), writes ``{"control": URL}`` as one line on stdout
and serves until its stdin closes (the test process is gone) or ``POST /stop``.

Control (JSON in and out):

- ``POST /setup`` ``{provider: {"contacts": n, "members": m}}``: a new group per provider with
  ``n`` new contacts, the first ``m`` of them members; the request logs are cleared. Answers
  ``{provider: {"client_options", "group_id", "ids"}}``.
- ``POST /arm`` ``{"after": N, "mode": "land" | "lost"}``: the N-th membership write from now on
  (any provider) is held: handled first (``land``: the change is made, the answer withheld) or
  not at all (``lost``); ``GET /wait?timeout=S`` answers ``{"reached": bool}`` once it is held.
- ``POST /release``: the held write ends (its client is dead by then), the dead client's
  connections are closed and every write still in progress finishes before the answer, so the
  state read next is settled and the next job's writes are counted from 1.
- ``GET /state?provider=P``: ``{"members": [...], "sent": {id: how many writes carried it}}``,
  counted here from the fake's own request log (``fake.requests``).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from contactgroups import providers
from contactgroups.testing import Faults

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_ONE_MEMBER = re.compile(r"/groups/[^/]+/contacts/([^/]+)$")  # MessageBird remove, Messente


def carried(provider: str, method: str, path: str, query: str, body: bytes) -> list[str] | None:
    """The ids a membership write carries (add or remove), or None for any other request."""
    if method not in ("POST", "PUT", "DELETE"):
        return None
    one = _ONE_MEMBER.search(path)
    if provider in ("messagebird", "messente") and one:
        return [one.group(1)]
    if provider == "messagebird" and method == "PUT" and path.endswith("/contacts"):
        return parse_qs(body.decode())["ids[]"]
    if provider == "messageflow" and re.search(r"/group/[^/]+/contact$", path):
        return [str(i) for i in json.loads(body)["id"]]
    if provider == "messengeo" and re.search(r"action=contact(add|remove)", query):
        contact_ids = json.loads(parse_qs(body.decode())["metaData"][0])["contactIds"]
        if isinstance(contact_ids, str):
            contact_ids = contact_ids.split(",")
        return [str(i).strip() for i in contact_ids]
    return None


class Control:
    def __init__(self, latency: float) -> None:
        self.fakes: dict[str, Any] = {
            p.name: p.fake_class()(faults=Faults(latency=latency)) for p in providers.PROVIDERS
        }
        self.groups: dict[str, str] = {}
        self.writes = 0
        self.in_progress = 0
        self.after: int | None = None
        self.mode = "land"
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        self.stopped = asyncio.Event()
        self.connections: set[asyncio.BaseTransport] = set()
        self.last_write = 0.0
        for name, fake in self.fakes.items():
            fake.app.middlewares.append(self._middleware(name))

    def _middleware(self, provider: str) -> Any:
        @web.middleware
        async def hold(request: web.Request, handler: Handler) -> web.StreamResponse:
            body = await request.read()
            ids = carried(provider, request.method, request.path, request.query_string, body)
            if ids is None:
                return await handler(request)
            if request.transport is not None:
                self.connections.add(request.transport)
            self.last_write = asyncio.get_running_loop().time()
            self.writes += 1
            self.in_progress += 1
            try:
                if self.writes != self.after:
                    return await handler(request)
                if self.mode == "land":
                    response = await handler(request)
                    self.reached.set()
                    await self.release.wait()
                    return response
                self.reached.set()
                await self.release.wait()
                return web.Response(status=503)  # never read: its client is dead
            finally:
                self.in_progress -= 1

        return hold

    # -- control endpoints ----------------------------------------------------------------------

    async def setup(self, request: web.Request) -> web.Response:
        wanted = await request.json()
        answer = {}
        for provider, sizes in wanted.items():
            fake = self.fakes[provider]
            fake.requests.clear()
            group = fake.seed_group("crash test")
            ids = fake.seed_contacts(sizes["contacts"])
            if sizes.get("members"):
                fake.seed_members(group, ids[: sizes["members"]])
            self.groups[provider] = group
            answer[provider] = {
                "client_options": fake.client_options(),
                "group_id": group,
                "ids": ids,
            }
        return web.json_response(answer)

    async def arm(self, request: web.Request) -> web.Response:
        wanted = await request.json()
        self.writes = 0
        self.after = wanted["after"]
        self.mode = wanted["mode"]
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        return web.json_response({})

    async def wait(self, request: web.Request) -> web.Response:
        timeout = float(request.query.get("timeout", "1"))
        try:
            await asyncio.wait_for(self.reached.wait(), timeout)
        except asyncio.TimeoutError:
            return web.json_response({"reached": False})
        return web.json_response({"reached": True})

    async def do_release(self, request: web.Request) -> web.Response:
        """The held write ends; then the killed job's connections are closed (a request of its
        still unread is dropped, as if lost) and every write under way ends (at most 10 s)."""
        self.after = None
        self.release.set()
        loop = asyncio.get_running_loop()
        for _ in range(1000):
            await asyncio.sleep(0.01)
            for transport in self.connections:
                transport.abort()
            self.connections.clear()
            if not self.in_progress and loop.time() - self.last_write > 0.1:
                break
        return web.json_response({"in_progress": self.in_progress})

    async def state(self, request: web.Request) -> web.Response:
        provider = request.query["provider"]
        fake = self.fakes[provider]
        sent: dict[str, int] = {}
        for r in fake.requests:
            for contact_id in carried(provider, r.method, r.path, r.query, r.body) or ():
                sent[contact_id] = sent.get(contact_id, 0) + 1
        members = sorted(fake.member_ids(self.groups[provider]))
        return web.json_response({"members": members, "sent": sent})

    async def stop(self, request: web.Request) -> web.Response:
        self.stopped.set()
        return web.json_response({})


async def main(latency: float) -> None:
    control = Control(latency)
    for fake in control.fakes.values():
        await fake.start()
    app = web.Application()
    app.router.add_post("/setup", control.setup)
    app.router.add_post("/arm", control.arm)
    app.router.add_get("/wait", control.wait)
    app.router.add_post("/release", control.do_release)
    app.router.add_get("/state", control.state)
    app.router.add_post("/stop", control.stop)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    sys.stdout.write(json.dumps({"control": f"http://127.0.0.1:{port}"}) + "\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    gone = loop.run_in_executor(None, sys.stdin.read)  # returns when the test process is gone
    await asyncio.wait(
        [asyncio.ensure_future(control.stopped.wait()), gone], return_when=asyncio.FIRST_COMPLETED
    )
    await runner.cleanup()
    for fake in control.fakes.values():
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
