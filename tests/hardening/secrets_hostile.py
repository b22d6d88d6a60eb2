"""Shared by the ``test_secrets_*`` tests: canary credentials for every provider and a hostile
vendor that echoes every header and body it received into its answers."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from contactgroups import messagebird, messageflow, messengeo, messente
from contactgroups.testing import FakeServer

# Canaries with the characters that change in an echo: "/" (PHP writes "\/"), "+" and "="
# (percent-encoded in a form), '"' (JSON-escaped).
MB_KEY = "canaryMbKey-7Q2w/9x"
MS_USER = "canaryMsUser-u1v2"  # an account name, not a secret: only the CLI scrubs it
MS_PASSWORD = 'canary"MsPass/+w0rd'
MF_AUTHORIZATION = "canaryMfAuth-K3j4/h5"
MF_APP_KEY = "canaryMfApp+M1n2b3"
MG_CLIENT_ID = "canaryMgClientId-P0o9"
MG_SECRET = "canary/MgSecret+L8k7="
MG_TOKEN = "canaryMgToken-T0k3n/+q"
MS_BASIC = base64.b64encode(f"{MS_USER}:{MS_PASSWORD}".encode()).decode()

#: what no error, repr, log line, traceback or output may show, per provider
SECRETS: dict[str, tuple[str, ...]] = {
    "messagebird": (MB_KEY,),
    "messente": (MS_PASSWORD, MS_BASIC),
    "messageflow": (MF_AUTHORIZATION, MF_APP_KEY),
    "messengeo": (MG_SECRET, MG_CLIENT_ID, MG_TOKEN),
}
PROVIDERS = list(SECRETS)

#: the environment the command line reads, holding the canaries
ENV = {
    "MESSAGEBIRD_ACCESS_KEY": MB_KEY,
    "MESSENTE_USERNAME": MS_USER,
    "MESSENTE_PASSWORD": MS_PASSWORD,
    "MESSAGEFLOW_AUTHORIZATION": MF_AUTHORIZATION,
    "MESSAGEFLOW_APPLICATION_KEY": MF_APP_KEY,
    "MESSENGEO_CLIENT_ID": MG_CLIENT_ID,
    "MESSENGEO_CLIENT_SECRET": MG_SECRET,
}
ALL_CANARIES = (*ENV.values(), MS_BASIC, MG_TOKEN)

# Clients made by module-level functions from module-level constants: a traceback's frames
# (the test's own included) then hold no credential in their locals unless the library does.
CLIENTS: dict[str, Callable[..., Any]] = {
    "messagebird": lambda **kw: messagebird.Client(access_key=MB_KEY, **kw),
    "messente": lambda **kw: messente.Client(username=MS_USER, password=MS_PASSWORD, **kw),
    "messageflow": lambda **kw: messageflow.Client(
        authorization=MF_AUTHORIZATION, application_key=MF_APP_KEY, **kw
    ),
    "messengeo": lambda **kw: messengeo.Client(
        client_id=MG_CLIENT_ID, client_secret=MG_SECRET, **kw
    ),
}


def leaks(texts: Iterable[str], canaries: Iterable[str] = ALL_CANARIES) -> list[str]:
    """The canaries found in any of ``texts``."""
    joined = "\n".join(texts)
    return [c for c in canaries if c in joined]


def render_with_locals(error: BaseException) -> str:
    """The traceback as ``pytest --showlocals`` or an error tracker renders it."""
    exc = traceback.TracebackException(type(error), error, error.__traceback__, capture_locals=True)
    return "".join(exc.format())


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class EchoVendor(FakeServer):
    """A hostile vendor: every answer is an error (``status``) that repeats every header and the
    body it received (and the decoded basic-auth pair) in its message, code, errors, request id
    and body, JSON-escaped the way PHP writes it (``\\/``). ``/token`` hands out ``MG_TOKEN``
    unless ``refuse_token``; ``hang`` makes the other routes never answer."""

    def __init__(self, status: int = 401) -> None:
        super().__init__()
        self.status = status
        self.refuse_token = False
        self.hang = False
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/token") and not self.refuse_token:
            return web.json_response({"access_token": MG_TOKEN, "expires_in": "3600"})
        if self.hang:
            await asyncio.sleep(30)
        echo = await self.echo(request)
        body = {
            "errors": [
                {
                    "code": echo,
                    "description": echo,
                    "detail": echo,
                    "title": echo,
                    "message": echo,
                    "parameter": echo,
                    echo: [echo, {echo: echo}],
                }
            ],
            "messages": [{"details": echo, "message": echo}],
            "message": echo,
            "details": echo,
            "error": echo,
            "error_description": echo,
            "code": echo,
            "meta": {"uniqId": echo},
            echo: echo,
        }
        text = json.dumps(body).replace("/", "\\/")  # PHP's json_encode escapes slashes
        return web.Response(
            status=self.status,
            text=text,
            content_type="application/json",
            headers={"X-Request-Id": echo[:1000].replace("\n", " ")},
        )

    @staticmethod
    async def echo(request: web.Request) -> str:
        headers = "; ".join(f"{k}: {v}" for k, v in request.headers.items())
        basic = ""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Basic":
            basic = base64.b64decode(value).decode(errors="replace")
        body = await request.text()
        return f"{request.method} {request.path_qs} | {headers} | body: {body} | basic: {basic}"
