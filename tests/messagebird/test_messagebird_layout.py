"""The package's modules import one way (wire -> models -> errors -> resources -> membership ->
client) and read no private name of a sibling."""

from __future__ import annotations

import ast
from pathlib import Path

import contactgroups.messagebird as package

PACKAGE = Path(package.__file__).parent
ORDER = ["wire", "models", "errors", "resources", "membership", "client", "__init__"]


def sibling_imports(module: str) -> list[tuple[str, list[str]]]:
    """(sibling, names) for every ``from .x import ...`` anywhere in the module, TYPE_CHECKING
    blocks and function bodies included."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.append((node.module or "", [a.name for a in node.names]))
    return found


def test_every_module_is_in_the_order() -> None:
    assert sorted(p.stem for p in PACKAGE.glob("*.py")) == sorted(ORDER)


def test_imports_run_one_way_and_no_private_name_crosses() -> None:
    for rank, module in enumerate(ORDER):
        for sibling, names in sibling_imports(module):
            assert ORDER.index(sibling) < rank, f"{module} imports {sibling}"
            assert not [n for n in names if n.startswith("_")], f"{module}: {names}"


def test_wire_is_a_leaf() -> None:
    assert sibling_imports("wire") == []
