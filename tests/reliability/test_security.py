"""Secrets and transport safety, for every provider: TLS on by default, no Authorization after a
redirect (redirects are not followed), plain http only to loopback, credentials in no repr,
message or body."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from contactgroups import errors, messagebird, messageflow, messengeo, messente
from contactgroups.testing import FakeServer
from contactgroups.testing.pytest_plugin import start_fake

CANARY = "canary-SECRET-4f9a1c"

CLIENTS: dict[str, Any] = {
    "messagebird": lambda **kw: messagebird.Client(access_key=CANARY, **kw),
    "messente": lambda **kw: messente.Client(username="user", password=CANARY, **kw),
    "messageflow": lambda **kw: messageflow.Client(
        authorization=CANARY, application_key=CANARY + "-app", **kw
    ),
    "messengeo": lambda **kw: messengeo.Client(client_id="client", client_secret=CANARY, **kw),
}
PROVIDERS = list(CLIENTS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_repr_shows_no_credential(provider: str) -> None:
    client = CLIENTS[provider]()
    assert CANARY not in repr(client)
    assert CANARY not in repr(client._transport.auth)
    assert CANARY not in repr(vars(client))  # not even in a debugger's view of the attributes


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_http_is_refused_unless_loopback_or_opted_in(provider: str) -> None:
    with pytest.raises(errors.InvalidRequestError, match="http"):
        CLIENTS[provider](base_url="http://api.example.com/v1")
    assert CLIENTS[provider](base_url="http://127.0.0.1:9/v1").base_url == "http://127.0.0.1:9/v1"
    opted = CLIENTS[provider](base_url="http://api.example.com/v1", allow_insecure_http=True)
    assert opted.base_url == "http://api.example.com/v1"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tls_verification_is_on_unless_turned_off_explicitly(provider: str) -> None:
    assert CLIENTS[provider]()._transport.verify_ssl is True
    assert CLIENTS[provider](verify_ssl=False)._transport.verify_ssl is False


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    if shutil.which("openssl") is None:  # pragma: no cover - openssl ships with the machine
        pytest.skip("the openssl command is needed to make a throwaway certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_untrusted_certificate_is_refused_by_default(
    provider: str, self_signed: ssl.SSLContext
) -> None:
    fake = start_fake(f"{provider}_fake")
    await fake.start(ssl_context=self_signed)
    try:
        group = fake.seed_group("g")
        async with fake.client(retry=None) as client:
            with pytest.raises(errors.TransportError, match="TLS"):
                await client.membership.add(group, fake.seed_contacts(1))
        async with fake.client(retry=None, verify_ssl=False) as client:
            ids = fake.seed_contacts(2)
            for contact_id in ids:  # Messente takes one per call
                await client.membership.add(group, [contact_id])
        assert fake.member_ids(group) == set(ids)
    finally:
        await fake.stop()


class Redirector(FakeServer):
    """Answers every request with a redirect to ``target``."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status
        self.target = ""
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        return web.Response(status=self.status, headers={"Location": self.target + request.path})


class Catcher(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response({})


@pytest.fixture
async def redirect_pair() -> AsyncIterator[tuple[Redirector, Catcher]]:
    async with Redirector(307) as redirector, Catcher() as catcher:
        redirector.target = catcher.origin
        yield redirector, catcher


@pytest.mark.parametrize("provider", ["messagebird", "messente", "messageflow"])
async def test_redirects_are_not_followed_so_credentials_stay_home(
    provider: str, redirect_pair: tuple[Redirector, Catcher]
) -> None:
    redirector, catcher = redirect_pair
    async with CLIENTS[provider](base_url=redirector.url, retry=None) as client:
        with pytest.raises(errors.MalformedResponseError) as info:
            await client.membership.add("1", ["2" if provider != "messente" else "+37251000000"])
    assert info.value.status == 307
    assert redirector.requests, "the call reached the first host"
    assert catcher.requests == []  # nothing, so no Authorization, went to the other host


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_wrong_credentials_give_an_error_without_them(provider: str) -> None:
    async with start_fake(f"{provider}_fake") as fake:
        group = fake.seed_group("g")
        kwargs: dict[str, Any] = {"base_url": fake.url, "retry": None}
        if provider == "messengeo":
            kwargs["token_url"] = fake.origin + "/token"
        async with CLIENTS[provider](**kwargs) as client:
            with pytest.raises(errors.AuthenticationError) as info:
                await client.membership.add(group, fake.seed_contacts(1))
    for text in (str(info.value), repr(info.value), info.value.message, info.value.body or ""):
        assert CANARY not in text
