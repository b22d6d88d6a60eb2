"""The package's imports run one way: wire -> models -> errors -> listing -> resources ->
membership -> client, with no cycle and no private name read from another module."""

from __future__ import annotations

import ast
from pathlib import Path

import contactgroups.messageflow as package

SOURCE = Path(package.__file__).parent

#: each module and the sibling modules it may import (directly, in functions, or for typing)
ALLOWED: dict[str, set[str]] = {
    "wire": set(),
    "models": {"wire"},
    "errors": {"wire"},
    "listing": {"wire", "models"},
    "groups": {"wire", "models", "listing"},
    "contacts": {"wire", "models", "listing"},
    "membership": {"wire", "models", "groups"},
    "client": {"wire", "errors", "groups", "contacts", "membership"},
}


def _imports(module: str) -> list[tuple[str, list[str]]]:
    """``(sibling module, names imported from it)`` for every relative import in ``module``."""
    tree = ast.parse((SOURCE / f"{module}.py").read_text(encoding="utf-8"))
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.append((node.module or "", [alias.name for alias in node.names]))
    return found


def test_every_module_is_listed() -> None:
    modules = {p.stem for p in SOURCE.glob("*.py")} - {"__init__"}
    assert modules == set(ALLOWED)


def test_imports_run_one_way() -> None:
    for module, allowed in ALLOWED.items():
        siblings = {sibling for sibling, _ in _imports(module)}
        assert siblings <= allowed, f"{module} imports {siblings - allowed}"


def test_wire_imports_only_the_core() -> None:
    tree = ast.parse((SOURCE / "wire.py").read_text(encoding="utf-8"))
    relative = {
        (node.level, node.module)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level
    }
    assert relative == {(2, "_http"), (2, "errors")}


def test_no_private_name_is_imported() -> None:
    for module in ALLOWED:
        for sibling, names in _imports(module):
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{module} imports {private} from {sibling}"
