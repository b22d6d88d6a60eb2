"""Running the files of ``examples/`` against the fakes: as scripts (a subprocess, every warning
an error) or imported by path; and the environment that points them at the fakes."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import attrs

from contactgroups import providers
from contactgroups.testing import VendorFake

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: a bound on any one example run: a hung example fails the test instead of hanging the suite
RUN_LIMIT = 120.0

_SECTION = re.compile(
    r"^# --8<-- \[start:(?P<name>\w+)\]\n(?P<body>.*?)^# --8<-- \[end:(?P=name)\]\n",
    re.S | re.M,
)


@attrs.frozen
class Run:
    returncode: int
    stdout: str
    stderr: str


def load(name: str) -> types.ModuleType:
    """``examples/<name>.py`` imported by path (not run as ``__main__``)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section(path: Path, name: str = "readme") -> str:
    """The text between ``# --8<-- [start:name]`` and ``# --8<-- [end:name]`` (the markers the
    docs' snippets extension reads too), without the blank lines around it."""
    found = [m["body"] for m in _SECTION.finditer(path.read_text(encoding="utf-8"))]
    assert found, f"{path.name} has no section markers"
    return found[0].strip("\n") + "\n"


def env_for(fakes: Iterable[VendorFake], **extra: str) -> dict[str, str]:
    """This process's environment with no vendor variable of its own, plus each fake's credentials
    (the variables ``contactgroups.providers`` names) and ``<VENDOR>_BASE_URL``/``_TOKEN_URL``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(providers_prefixes())}
    for fake in fakes:
        vendor = provider_of(fake)
        options = fake.client_options()
        for credential in vendor.credentials:
            env[credential.env] = str(options[credential.keyword])
        for keyword in ("base_url", *vendor.options):
            env[f"{vendor.name}_{keyword}".upper()] = str(options[keyword])
    env.update(extra)
    return env


def providers_prefixes() -> tuple[str, ...]:
    return tuple(f"{name.upper()}_" for name in providers.NAMES)


def provider_of(fake: VendorFake) -> providers.Provider:
    (found,) = [p for p in providers.PROVIDERS if type(fake).__name__ == p.fake_class_name]
    return found


async def start(
    args: Iterable[str | Path], env: Mapping[str, str], *, cwd: Path | None = None
) -> asyncio.subprocess.Process:
    """``python -W error <args>`` started, its output piped; this loop keeps serving the fakes."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-W",
        "error",
        *map(str, args),
        env=dict(env),
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process) -> Run:
    """Wait for a started example (at most ``RUN_LIMIT`` seconds, then it is killed)."""
    try:
        out, err = await asyncio.wait_for(process.communicate(), RUN_LIMIT)
    except BaseException:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def run(
    args: Iterable[str | Path], env: Mapping[str, str], *, cwd: Path | None = None
) -> Run:
    """Run an example to its end."""
    return await finish(await start(args, env, cwd=cwd))


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (polling, at most ``RUN_LIMIT`` seconds) until ``condition()`` holds."""

    async def poll() -> None:
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), RUN_LIMIT)
    except asyncio.TimeoutError:
        raise AssertionError(f"never happened: {what}") from None
