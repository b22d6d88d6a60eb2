"""The interface all four fakes share (``VendorFake``), and the one way a fake refuses a request
(``FakeRejection``)."""

from __future__ import annotations

import inspect
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from contactgroups import multi, providers
from contactgroups.providers import PROVIDERS, ProviderClient
from contactgroups.testing import FakeRejection, FakeServer, VendorFake
from contactgroups.testing._conformance import FAKES as STATICALLY_CHECKED

#: the protocol's methods and the arguments the CLI demo and the benchmarks pass them
CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "seed_group": (("a name",), {}),
    "seed_contacts": ((3,), {}),
    "member_ids": (("group id",), {}),
    "client_options": ((), {}),
    "client": ((), {"timeout": 5, "retry": None}),
    "start": (("127.0.0.1", 0), {}),
    "stop": ((), {}),
}


def test_mypy_checks_every_fake_of_the_registry() -> None:
    assert set(STATICALLY_CHECKED) == {p.fake_class() for p in PROVIDERS}


@pytest.mark.parametrize("provider", PROVIDERS, ids=providers.NAMES)
def test_each_fake_declares_the_shared_interface(provider: providers.Provider) -> None:
    fake = provider.fake_class()()  # not started: its url is not known yet
    assert isinstance(fake, FakeServer)
    for name in ("url", "origin", "faults", "requests"):
        assert name in dir(fake)
    for name, (args, kwargs) in CALLS.items():
        inspect.signature(getattr(fake, name)).bind(*args, **kwargs)  # raises if it does not fit
    assert inspect.iscoroutinefunction(fake.__aenter__)
    assert inspect.iscoroutinefunction(fake.__aexit__)


@pytest.mark.parametrize("provider", PROVIDERS, ids=providers.NAMES)
async def test_each_fake_works_through_the_shared_interface(provider: providers.Provider) -> None:
    fake: VendorFake = provider.fake_class()()
    async with fake as running:
        assert running is fake
        assert isinstance(fake, VendorFake)
        assert fake.url.startswith(fake.origin)
        assert fake.origin.startswith("http://127.0.0.1:")
        group = fake.seed_group("interface")
        ids = fake.seed_contacts(3)
        assert len(set(ids)) == 3
        assert fake.member_ids(group) == set()
        options = fake.client_options()
        assert options["base_url"] == fake.url
        assert set(provider.env) and {c.keyword for c in provider.credentials} <= set(options)
        # the options alone reach the fake (what the benchmarks send to another process)
        async with provider.client(**options) as client:
            report = await multi.add([multi.Target(client, group, ids[:2])])
        assert report.ok
        assert fake.member_ids(group) == set(ids[:2])
        client = fake.client(timeout=5)
        assert isinstance(client, ProviderClient)
        assert isinstance(client, provider.client_class())
        async with client:
            report = await multi.remove([multi.Target(client, group, ids[:1])])
        assert report.ok
        assert fake.member_ids(group) == {ids[1]}


class _Teapot(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.app.router.add_get("/refuse", self._refuse)

    async def _refuse(self, request: web.Request) -> web.Response:
        self._check(request)
        return web.Response(text="never")

    @staticmethod
    def _check(request: web.Request) -> None:
        raise FakeRejection(web.json_response({"error": "short and stout"}, status=418))


async def test_a_rejection_raised_anywhere_in_a_handler_is_the_answer() -> None:
    async with (
        _Teapot() as fake,
        aiohttp.ClientSession() as session,
        session.get(fake.url + "/refuse") as response,
    ):
        assert response.status == 418
        assert await response.json() == {"error": "short and stout"}
    assert [r.path for r in fake.requests] == ["/refuse"]
