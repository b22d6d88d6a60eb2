"""The fakes' own process for the scale-out tests: one fake vendor server per account, each
counting its calls in flight (the most at once) and how often each id was sent to it.

Run as ``python fake_accounts.py SPEC_JSON``; SPEC: ``{"accounts": {"mb1": "messagebird", ...},
"ids": 5000, "latency": 0.003}``. It prints one JSON line: the control URL and, per account, its
provider, the environment a worker needs (credentials, base URL), its group and its ids. Then it
serves until killed; ``GET {control}/stats`` gives every account's counts and members.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from contactgroups import providers
from contactgroups.multi.accounts import account_env
from contactgroups.testing import Faults

#: each account's secret ends with this, so a test can look for it anywhere
SECRET_MARK = "canary-SECRET-4f9a1c"


class Counted:
    """One account's counts, kept by a middleware outside the fake's own."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.in_flight = 0
        self.most = 0
        self.requests = 0
        self.sends: Counter[str] = Counter()

    def sent_ids(self, request: web.Request, body: bytes) -> list[str]:
        parts = request.path.rstrip("/").split("/")
        if self.provider == "messagebird" and request.method == "PUT" and parts[-1] == "contacts":
            form = parse_qs(body.decode())
            return [i for key, values in form.items() if key.startswith("ids") for i in values]
        if self.provider == "messente" and request.method == "POST" and parts[-2] == "contacts":
            return [parts[-1]] if "groups" in parts else []
        return []

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.in_flight += 1
        self.requests += 1
        self.most = max(self.most, self.in_flight)
        try:
            self.sends.update(self.sent_ids(request, await request.read()))
            return await handler(request)
        finally:
            self.in_flight -= 1


def build(name: str, provider_name: str, latency: float) -> Any:
    faults = Faults(latency=latency)
    if provider_name == "messagebird":
        from contactgroups.testing.messagebird import MessageBirdFake

        return MessageBirdFake(faults=faults, access_key=f"mb-{name}-{SECRET_MARK}", record=False)
    from contactgroups.testing.messente import MessenteFake

    return MessenteFake(
        faults=faults, username=f"user-{name}", password=f"pw-{name}-{SECRET_MARK}", record=False
    )


async def main(spec: dict[str, Any]) -> None:
    fakes: dict[str, Any] = {}
    counted: dict[str, Counted] = {}
    info: dict[str, Any] = {}
    for name, provider_name in spec["accounts"].items():
        fake = build(name, provider_name, float(spec.get("latency", 0.0)))
        counted[name] = Counted(provider_name)
        fake.app.middlewares.insert(0, counted[name].middleware)
        await fake.start()
        group = fake.seed_group(f"group of {name}")
        ids = fake.seed_contacts(int(spec["ids"]))
        options = fake.client_options()
        provider = providers.get(provider_name)
        env = {account_env(c.env, name): str(options[c.keyword]) for c in provider.credentials}
        env[account_env("CONTACTGROUPS_BASE_URL", name)] = fake.url
        fakes[name] = fake
        info[name] = {
            "provider": provider_name,
            "env": env,
            "options": options,
            "group": group,
            "ids": ids,
        }

    async def stats(_: web.Request) -> web.Response:
        data = {
            name: {
                "most_in_flight": c.most,
                "requests": c.requests,
                "sends": dict(c.sends),
                "members": sorted(fakes[name].member_ids(info[name]["group"])),
            }
            for name, c in counted.items()
        }
        return web.json_response(data)

    control = web.Application()
    control.router.add_get("/stats", stats)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    sys.stdout.write(json.dumps({"control": f"http://127.0.0.1:{port}", "accounts": info}) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
