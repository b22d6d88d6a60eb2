"""Stateful fake vendor servers for tests, benchmarks and the demo (aiohttp.web, in memory).

Each fake serves the vendor's real paths, auth checks, envelopes, limits and error bodies, on
127.0.0.1 and a free port, with fault injection (``Faults``). All four share one interface,
``VendorFake`` (seed a group and contacts, read a group's members, make a client, ``async with``).
A pytest plugin (installed with the package) offers them as fixtures. The fakes themselves are in
``contactgroups.testing.<vendor>``, imported on first use; ``contactgroups.providers`` names
each one.
"""

from ._interface import VendorFake
from ._server import FakeRejection, FakeServer, Faults, RecordedRequest

__all__ = [
    "FakeRejection",
    "FakeServer",
    "Faults",
    "RecordedRequest",
    "VendorFake",
]
