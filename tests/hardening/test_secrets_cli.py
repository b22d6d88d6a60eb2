"""The command line prints no credential from the environment on any line (tables, JSON, errors),
whatever a vendor sends back: a group named after the credentials, or an error answer echoing
every header and body it received. Vendor text cannot break the output's markup either."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rich", reason="the CLI needs its extra: pip install -e '.[cli]'")

from secrets_hostile import (
    ALL_CANARIES,
    ENV,
    MB_KEY,
    MF_APP_KEY,
    MF_AUTHORIZATION,
    MG_CLIENT_ID,
    MG_SECRET,
    MS_PASSWORD,
    MS_USER,
    PROVIDERS,
    EchoVendor,
    leaks,
)

from contactgroups._http import REDACTED
from contactgroups.cli import main
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messageflow import MessageFlowFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake

FAKES: dict[str, Any] = {
    "messagebird": lambda: MessageBirdFake(access_key=MB_KEY),
    "messente": lambda: MessenteFake(username=MS_USER, password=MS_PASSWORD),
    "messageflow": lambda: MessageFlowFake(
        authorization=MF_AUTHORIZATION, application_key=MF_APP_KEY
    ),
    "messengeo": lambda: MessengeoFake(client_id=MG_CLIENT_ID, client_secret=MG_SECRET),
}
#: a group name a hostile vendor might send: the credentials it received, and broken markup
ECHO_NAME = "echo " + " ".join(ALL_CANARIES[:7]) + " [/] [bold"


@pytest.fixture(autouse=True)
def credentials_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


async def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command, run in a thread (its own event loop) while the test's fake serves."""
    capsys.readouterr()
    code = await asyncio.wait_for(asyncio.to_thread(main, list(args)), timeout=20)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def token_args(provider: str, origin: str, path: str) -> list[str]:
    return ["--token-url", origin + path] if provider == "messengeo" else []


@pytest.fixture
async def vendor() -> AsyncIterator[EchoVendor]:
    async with EchoVendor(status=401) as server:
        yield server


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_group_named_after_the_credentials(
    provider: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FAKES[provider]() as fake:
        fake.seed_group(ECHO_NAME)
        args = ["groups", "list", "--provider", provider, "--base-url", fake.url]
        args += token_args(provider, fake.origin, "/token")
        code, out, err = await run_cli(capsys, *args)
        assert code == 0, err
        assert "echo <redacted>" in out  # the table row, scrubbed
        assert "[/] [bold" in out  # vendor text shown as it is, not read as markup
        assert leaks([out, err]) == []
        code, out, err = await run_cli(capsys, *args, "--json")
        assert code == 0, err
        assert leaks([out, err]) == []
        names = [g["name"] for g in json.loads(out)]
        assert any(n.startswith("echo <redacted>") for n in names)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_error_answer_echoing_every_header_and_body(
    provider: str, vendor: EchoVendor, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["groups", "list", "--provider", provider, "--base-url", vendor.url]
    args += token_args(provider, vendor.origin, "/oauth/token")
    code, out, err = await run_cli(capsys, *args)
    assert code == 3  # credentials the vendor refused
    assert "error: " in err and "401" in err
    assert REDACTED in err  # the echo reached the output, scrubbed
    assert leaks([out, err]) == []
    assert vendor.requests


async def test_the_failing_token_request_of_a_create(
    vendor: EchoVendor, capsys: pytest.CaptureFixture[str]
) -> None:
    vendor.refuse_token = True
    code, out, err = await run_cli(
        capsys, "groups", "create", "--provider", "messengeo", "--base-url", vendor.url,
        "--token-url", vendor.origin + "/oauth/token", "--name", "G", "--json",
    )  # fmt: skip
    assert code == 3  # credentials the token endpoint refused
    assert "token endpoint: request refused" in err
    assert leaks([out, err]) == []


#: ids each vendor takes the form of
MEMBER_IDS = {
    "messagebird": ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"],
    "messente": ["+37250000001", "+37250000002"],
    "messageflow": ["100001", "100002"],
    "messengeo": ["200001", "200002"],
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [401, 422])
async def test_json_per_id_errors_and_the_failures_file_of_an_echoing_vendor(
    provider: str, status: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids_file, failed = tmp_path / "ids.txt", tmp_path / "failed.txt"
    ids_file.write_text("\n".join(MEMBER_IDS[provider]) + "\n", encoding="utf-8")
    async with EchoVendor(status=status) as vendor:
        args = ["members", "add", "--provider", provider, "--base-url", vendor.url]
        args += token_args(provider, vendor.origin, "/oauth/token")
        args += ["--group", "7", "--ids-file", str(ids_file), "--failed-file", str(failed)]
        code, out, err = await run_cli(capsys, *args, "--json")
    assert code in (1, 2, 3), err
    assert leaks([out, err, failed.read_text(encoding="utf-8")]) == []
    report = json.loads(out)
    errors = [entry["error"] for entry in report["ids"]]
    assert len(errors) == 2 and None not in errors  # every id failed, each with its error
    # the vendor's echo reached the messages (and, where the vendor's code is text, the code),
    # scrubbed
    assert all(REDACTED in e["message"] for e in errors), errors
    assert {e["status"] for e in errors} <= {status}
