"""The command as a script sees it: vendor text printed literally and safely, ``--json`` errors as
JSON on stdout, one exit code per kind of outcome, every number checked, ``--allow-insecure-http``,
the failing endpoint named, dry runs that list their ids, and plurals."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rich", reason="the CLI needs its extra: pip install -e '.[cli]'")

from aiohttp import web

from contactgroups.cli import main
from contactgroups.testing import FakeServer, Faults
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messengeo import MessengeoFake
from contactgroups.testing.messente import MessenteFake

ROOT = Path(__file__).resolve().parents[2]

#: what a hostile vendor may put in a name or a message: markup, broken markup, an emoji code,
#: ANSI escapes (colour, window title), a C1 control, a bell, a backspace, a bidi override and a
#: line break that would forge a line of output
HOSTILE = (
    "[/] [red]VIP[/red] :smile: \x1b[31mred\x1b[0m \x1b]0;owned\x07 \x9b2J \x08\u202eevil"
    "\nerror: forged"
)
#: none of these may reach the terminal
CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
async def mb(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MessageBirdFake]:
    async with MessageBirdFake() as fake:
        monkeypatch.setenv("MESSAGEBIRD_ACCESS_KEY", fake.access_key)
        yield fake


async def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command, in a thread (its own event loop) while the test's fakes serve."""
    capsys.readouterr()
    code = await asyncio.wait_for(asyncio.to_thread(main, list(args)), timeout=30)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def mb_args(fake: MessageBirdFake, *args: str) -> list[str]:
    return [*args, "--provider", "messagebird", "--base-url", fake.url]


class HostileVendor(FakeServer):
    """Answers every request with a MessageBird error whose text is ``HOSTILE``."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        body = {"errors": [{"code": 2, "description": HOSTILE, "parameter": None}]}
        return web.json_response(body, status=self.status)


def assert_literal(text: str) -> None:
    """The hostile text as printed: every visible part kept, nothing a terminal would obey."""
    assert not CONTROLS.search(text), repr(text)
    for part in ("[/] [red]VIP[/red]", ":smile:", "[31mred[0m", "]0;owned", "evil error: forged"):
        assert part in text, (part, text)


# -- vendor text, printed literally --------------------------------------------------------------


async def test_a_hostile_group_name_in_a_listing(
    mb: MessageBirdFake, capsys: pytest.CaptureFixture[str]
) -> None:
    mb.seed_group(HOSTILE)
    code, out, err = await run(capsys, *mb_args(mb, "groups", "list"))
    assert code == 0, err
    assert_literal(out)
    # one row: the line break forged no line of its own
    assert [line for line in out.splitlines() if "[/] [red]VIP[/red]" in line and "forged" in line]
    assert not [line for line in out.splitlines() if line.startswith("error:")]
    code, out, err = await run(capsys, *mb_args(mb, "groups", "list"), "--json")
    assert code == 0, err
    assert out.isascii()  # every other character escaped
    assert [g["name"] for g in json.loads(out)] == [HOSTILE]  # the data, exactly


async def test_a_hostile_name_created(
    mb: MessageBirdFake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run(capsys, *mb_args(mb, "groups", "create"), "--name", HOSTILE)
    assert code == 0, err
    assert out.startswith("created messagebird group ")
    assert_literal(out)
    assert len(out.splitlines()) == 1  # the line break did not forge a second line


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
async def test_a_hostile_error_message(
    json_mode: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESSAGEBIRD_ACCESS_KEY", "some-key")
    async with HostileVendor(status=404) as vendor:
        args = ["groups", "list", "--provider", "messagebird", "--base-url", vendor.url]
        code, out, err = await run(capsys, *args, *(["--json"] if json_mode else []))
    assert code == 2  # refused as given
    [line] = [line for line in err.splitlines() if line.startswith("error: ")]
    assert line.startswith("error: messagebird answered 404, code 2: ")
    assert_literal(err)
    if json_mode:
        error = json.loads(out)["error"]
        assert error["message"].endswith(HOSTILE)  # the vendor's words, exactly, as JSON
        assert out.isascii()
    else:
        assert out == ""


# -- --json errors -------------------------------------------------------------------------------


async def test_json_errors_are_json_on_stdout(
    mb: MessageBirdFake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = f"http://127.0.0.1:{closed_port()}"
    cases: list[tuple[list[str], dict[str, Any]]] = [
        (  # argparse's own error
            ["members", "add", "--provider", "messagebird", "--json", "--group", "g"],
            {"type": "UsageError", "status": None, "provider": None, "exit_code": 2},
        ),
        (
            [*mb_args(mb, "groups", "list"), "--json"],
            {"type": "AuthenticationError", "status": 401, "provider": "messagebird"},
        ),
        (
            [*("groups", "list", "--provider", "messagebird", "--json", "--base-url"), unreachable],
            {"type": "TransportError", "status": None, "exit_code": 4},
        ),
    ]
    monkeypatch.setenv("MESSAGEBIRD_ACCESS_KEY", "not-the-key")
    for args, expected in cases:
        code, out, _ = await run(capsys, *args)
        error = json.loads(out)["error"]
        assert set(error) == {"type", "message", "status", "code", "provider", "exit_code"}
        assert error.items() >= expected.items(), error
        assert error["exit_code"] == code
        assert error["message"]
    monkeypatch.delenv("MESSAGEBIRD_ACCESS_KEY")
    code, out, _ = await run(capsys, *mb_args(mb, "groups", "list"), "--json")
    assert code == 3
    assert json.loads(out)["error"]["type"] == "ConfigError"
    assert "MESSAGEBIRD_ACCESS_KEY" in json.loads(out)["error"]["message"]


# -- exit codes ----------------------------------------------------------------------------------


async def test_exit_0_done_and_1_some_ids_did_not_land(
    mb: MessageBirdFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = mb.seed_group("G")
    ids = mb.seed_contacts(3)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids))
    args = [*mb_args(mb, "members", "add"), "--group", group, "--ids-file", str(ids_file)]
    failed_file = ["--failed-file", str(tmp_path / "failed.txt")]
    code, out, err = await run(capsys, *args, *failed_file)
    assert code == 0, err
    ids_file.write_text("\n".join([*ids, "f" * 32, "e" * 32]))  # two ids the fake does not know
    code, out, _ = await run(capsys, *args, *failed_file)
    assert code == 1
    assert "2 ids did not land" in out
    ids_file.write_text("\n".join([*ids, "f" * 32]))
    code, out, _ = await run(capsys, *args, *failed_file)
    assert code == 1
    assert "1 id did not land; they are listed in" in out


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--concurrency", "0"),
        ("--concurrency", "-5"),
        ("--concurrency", "1001"),
        ("--concurrency", "2.5"),
        ("--deadline", "0"),
        ("--deadline", "-1"),
        ("--deadline", "inf"),
        ("--deadline", "nan"),
        ("--deadline", "soon"),
    ],
)
async def test_exit_2_for_a_number_out_of_range(
    option: str, value: str, mb: MessageBirdFake, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*mb_args(mb, "members", "add"), "--group", "g", "--ids-file", "-"]
    code, out, err = await run(capsys, *args, option, value)  # "-5" as its own argument too
    assert code == 2
    assert f"argument {option}: must be" in err
    assert out == ""
    assert mb.requests == []  # nothing was sent


@pytest.mark.parametrize(
    "args",
    [["--ids", "0"], ["--ids", "many"], ["--latency", "-0.5"], ["--latency", "nan"]],
)
async def test_exit_2_for_a_demo_number_out_of_range(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await run(capsys, "demo", *args)
    assert code == 2
    assert f"argument {args[0]}: must be" in err


async def test_exit_2_for_an_ids_file_that_cannot_be_used(
    mb: MessageBirdFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [*mb_args(mb, "members", "add"), "--group", "g", "--ids-file"]
    code, _, err = await run(capsys, *args, str(tmp_path / "missing.txt"))
    assert code == 2
    assert "cannot read" in err
    (tmp_path / "empty.txt").write_text("# nothing\n")
    code, _, err = await run(capsys, *args, str(tmp_path / "empty.txt"))
    assert code == 2
    assert "holds no ids" in err
    (tmp_path / "ids.txt").write_text("a\n")
    nowhere = str(tmp_path / "missing" / "failed.txt")
    code, _, err = await run(capsys, *args, str(tmp_path / "ids.txt"), "--failed-file", nowhere)
    assert code == 2
    assert "its folder does not exist" in err
    assert mb.requests == []  # found out before the job ran


async def test_exit_3_when_the_credentials_are_refused_for_every_id(
    mb: MessageBirdFake,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = mb.seed_group("G")
    (tmp_path / "ids.txt").write_text("\n".join(mb.seed_contacts(3)))
    monkeypatch.setenv("MESSAGEBIRD_ACCESS_KEY", "not-the-key")
    args = [*mb_args(mb, "members", "add"), "--group", group]
    code, out, err = await run(capsys, *args, "--ids-file", str(tmp_path / "ids.txt"))
    assert code == 3  # no id landed, and every failure says the credentials were refused
    assert "3 ids did not land" in out
    code, _, err = await run(capsys, *mb_args(mb, "groups", "list"))
    assert code == 3
    assert "hint: check the credentials in MESSAGEBIRD_ACCESS_KEY" in err


async def test_exit_4_when_the_vendor_is_unavailable(
    mb: MessageBirdFake, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    group = mb.seed_group("G")
    (tmp_path / "ids.txt").write_text("\n".join(mb.seed_contacts(3)))
    mb.faults = Faults(server_error=1.0)
    args = [*mb_args(mb, "members", "add"), "--group", group, "--ids-file"]
    code, out, err = await run(capsys, *args, str(tmp_path / "ids.txt"), "--deadline", "20")
    assert code == 4  # no id landed, and every failure says the vendor is down
    assert "3 ids did not land" in out
    unreachable = f"http://127.0.0.1:{closed_port()}"
    code, _, err = await run(
        capsys, "groups", "list", "--provider", "messagebird", "--base-url", unreachable
    )
    assert code == 4
    assert "could not connect" in err
    assert "hint: the vendor or the network is unavailable" in err


# -- options and messages ------------------------------------------------------------------------


async def test_plain_http_names_the_flag_and_the_flag_allows_it(
    mb: MessageBirdFake, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0.0.0.0 is not loopback to the rule, yet a connection to it stays on this machine
    insecure = f"http://0.0.0.0:{closed_port()}"
    args = ["groups", "list", "--provider", "messagebird", "--base-url", insecure]
    code, _, err = await run(capsys, *args)
    assert code == 2
    assert "pass --allow-insecure-http if you really mean it" in err
    assert "allow_insecure_http" not in err
    code, _, err = await run(capsys, *args, "--allow-insecure-http")
    assert code == 4  # allowed, and then nobody listens there
    assert "could not connect" in err


async def test_a_failing_token_endpoint_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with MessengeoFake() as fake:
        options = fake.client_options()
        monkeypatch.setenv("MESSENGEO_CLIENT_ID", options["client_id"])
        monkeypatch.setenv("MESSENGEO_CLIENT_SECRET", options["client_secret"])
        args = ["groups", "list", "--provider", "messengeo", "--base-url", fake.url]
        down = f"http://127.0.0.1:{closed_port()}/token"
        code, _, err = await run(capsys, *args, "--token-url", down)
        assert code == 4
        assert "error: messengeo token endpoint: " in err
        assert "warning: messengeo token request failed" in err  # the library's warning, as a line
        monkeypatch.setenv("MESSENGEO_CLIENT_SECRET", "wrong")
        code, _, err = await run(capsys, *args, "--token-url", options["token_url"])
        assert code == 3
        assert "token endpoint: request refused" in err


async def test_a_dry_run_lists_its_ids(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with MessenteFake() as fake:
        monkeypatch.setenv("MESSENTE_USERNAME", fake.username)
        monkeypatch.setenv("MESSENTE_PASSWORD", fake.password)
        group = fake.seed_group("G")
        phones = fake.seed_contacts(30)
        async with fake.client() as client:
            for phone in phones[:3]:
                await client.groups.add_contact(group, phone)
        desired = phones[2:]  # 27 to add, 2 to remove, 1 unchanged
        (tmp_path / "ids.txt").write_text("\n".join(desired))
        args = ["members", "sync", "--provider", "messente", "--base-url", fake.url]
        args += ["--group", group, "--ids-file", str(tmp_path / "ids.txt"), "--dry-run"]
        code, out, err = await run(capsys, *args)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0] == (
            "sync plan: 27 to add, 2 to remove, 1 unchanged (dry run: nothing changed)"
        )
        added = [line.split()[-1] for line in lines if line.startswith("  + ")]
        assert added == desired[1:21]  # the first 20 ...
        assert "  … and 7 more (--json lists every id)" in lines  # ... and how many more
        removed = [line.split()[-1] for line in lines if line.startswith("  - ")]
        assert removed == phones[:2]
        code, out, err = await run(capsys, *args, "--json")
        assert code == 0, err
        plan = json.loads(out)["plan"]
        assert plan["ids_to_add"] == desired[1:]
        assert plan["ids_to_remove"] == phones[:2]
        assert fake.member_ids(group) == set(phones[:3])  # nothing changed


# -- documented --------------------------------------------------------------------------------


def test_the_exit_codes_are_in_the_help_and_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for code, words in (
        ("0", "done"),
        ("1", "some ids did not land"),
        ("2", "usage"),
        ("3", "credentials or configuration"),
        ("4", "a vendor or the network unavailable"),
    ):
        assert re.search(rf"(?m)^  {code}\s+{words}", shown), code
        assert re.search(rf"(?m)^\| `{code}` \| {words}", docs), code
