"""Stateful fake vendor servers for tests, benchmarks and the demo (aiohttp.web, in memory).

Each fake serves the vendor's real paths, auth checks, envelopes, limits and error bodies, on
127.0.0.1 and a free port, with fault injection (``Faults``). A pytest plugin (installed with the
package) offers them as fixtures.
"""

from ._server import FakeServer, Faults, RecordedRequest

__all__ = ["FakeServer", "Faults", "RecordedRequest"]
