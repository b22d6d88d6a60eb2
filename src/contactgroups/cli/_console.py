"""The command's consoles: every line they print has the environment's credentials scrubbed.

Text is scrubbed before rich lays it out (a credential wrapped across two lines would slip past
a check on the written lines), and every write is scrubbed once more on its way out. What a
vendor sent (names, ids, error messages) goes through ``vendor_text`` before it is embedded in
markup, so a hostile answer can neither leak a credential, break the markup nor reach the
terminal as a control sequence: it is printed literally (``[red]VIP[/red]`` as those 16
characters, ``:smile:`` as 7), with control characters (an ANSI escape's ESC, C1 controls,
bidirectional overrides) removed and line breaks and tabs shown as spaces. ``print_data`` writes
JSON as it is (no rich layout), every character outside ASCII escaped.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any

from rich.console import Console
from rich.markup import escape

from .._http import BasicAuth, Secrets, scrub, scrub_value
from ..providers import MESSENTE, PROVIDERS

__all__ = ["SafeConsole", "env_secrets", "literal"]

# C0 controls and DEL, C1 controls, and the invisible marks that reorder or hide text
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_BREAKS = re.compile("[\t\n\r]+")


def literal(text: str) -> str:
    """``text`` safe to show on a terminal: control characters removed, line breaks and tabs as
    one space (a vendor's text cannot forge a line or move the cursor)."""
    return _CONTROLS.sub("", _BREAKS.sub(" ", text))


def env_secrets(environ: Mapping[str, str] | None = None) -> Secrets:
    """Every credential the environment holds for any vendor, and what the library derives from
    them (Messente's basic-auth token): the values no output line may show."""
    environ = os.environ if environ is None else environ
    values = [environ.get(name, "") for provider in PROVIDERS for name in provider.env]
    user, password = (environ.get(name, "") for name in MESSENTE.env)
    if user and password:
        values.extend(BasicAuth(user, password).secrets)
    return Secrets(v for v in values if v)


class _ScrubbedFile:
    """A text stream that scrubs every write, and is the wrapped stream in all else."""

    def __init__(self, stream: IO[str], secrets: Secrets) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        return self._stream.write(scrub(text, self._secrets))

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class SafeConsole(Console):
    """A rich ``Console`` on stdout (or stderr) that never prints a credential of ``secrets``."""

    def __init__(
        self,
        *,
        secrets: Iterable[str],
        stderr: bool = False,
        file: IO[str] | None = None,
        **options: Any,
    ) -> None:
        self.secrets = Secrets(secrets)
        stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
        options.setdefault("emoji", False)  # ":smile:" in a group name stays as it is
        super().__init__(file=_ScrubbedFile(stream, self.secrets), stderr=stderr, **options)  # type: ignore[arg-type]

    def clean(self, text: str) -> str:
        """``text`` without credentials."""
        return scrub(text, self.secrets)

    def vendor_text(self, value: object) -> str:
        """A value from a vendor's answer (or an error built from one), or from a file, ready to
        embed in markup: credentials scrubbed, control characters removed, markup escaped."""
        return escape(literal(self.clean(str(value))))

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(self.clean(o) if isinstance(o, str) else o for o in objects), **options)

    def print_data(self, data: Any) -> None:
        """``data`` as JSON on its own lines, credentials scrubbed from every key and value first;
        every character outside ASCII escaped, so no control character reaches the terminal."""
        text = json.dumps(scrub_value(data, self.secrets), indent=2, ensure_ascii=True)
        self.file.write(text + "\n")
        self.file.flush()
