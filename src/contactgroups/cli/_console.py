"""The command's consoles: every line they print has the environment's credentials scrubbed.

Text is scrubbed before rich lays it out (a credential wrapped across two lines would slip past
a check on the written lines), and every write is scrubbed once more on its way out. What a
vendor sent (names, ids, error messages) goes through ``vendor_text`` before it is embedded in
markup, so a hostile answer can neither leak a credential nor break the markup.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any

from rich.console import Console
from rich.markup import escape

from .._http import BasicAuth, Secrets, scrub, scrub_value
from ..providers import MESSENTE, PROVIDERS

__all__ = ["SafeConsole", "env_secrets"]


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
        super().__init__(file=_ScrubbedFile(stream, self.secrets), stderr=stderr, **options)  # type: ignore[arg-type]

    def clean(self, text: str) -> str:
        """``text`` without credentials."""
        return scrub(text, self.secrets)

    def vendor_text(self, value: object) -> str:
        """A value from a vendor's answer (or an error built from one), ready to embed in
        markup: credentials scrubbed, markup escaped."""
        return escape(self.clean(str(value)))

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(self.clean(o) if isinstance(o, str) else o for o in objects), **options)

    def print_data(self, data: Any) -> None:
        """``data`` as JSON, credentials scrubbed from every key and value first."""
        self.print_json(json.dumps(scrub_value(data, self.secrets)))
