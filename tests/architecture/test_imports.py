"""Import guards for ``src/contactgroups``, read with ``ast`` (nothing is imported).

Rules (DESIGN.md, "Shape"): imports run one way, so no cycle among modules; no module imports
another module's private (``_name``) names; a private module (any ``_segment`` in its dotted path)
is imported only from inside the package that contains it, except the shared core
``contactgroups._http`` and ``contactgroups._version``; and no code reads another object's private
attribute (only ``self._x``, ``cls._x`` and ``super()._x`` are allowed).

Every import counts as an edge: top level, inside functions, under ``if TYPE_CHECKING:``.
``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.
The detectors are plain functions over ``{relative path: source}`` so they are unit-tested below
on synthetic packages.
"""

from __future__ import annotations

import ast
import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
ROOT_PACKAGE = "contactgroups"
#: Private packages any module inside ``contactgroups`` may import.
SHARED_PRIVATE = ("contactgroups._http", "contactgroups._version")
#: Receivers whose private attributes a class may read: its own.
OWN_RECEIVERS = frozenset({"self", "cls"})
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "hasattr", "setattr", "delattr"})


@dataclass(frozen=True)
class Module:
    name: str
    path: str  # as shown in failure messages
    tree: ast.Module
    is_package: bool


@dataclass(frozen=True)
class Edge:
    importer: str
    target: str
    where: str  # "path:line"


def is_private(name: str) -> bool:
    """``_x`` and ``__x`` are private; dunders (``__all__``, ``__version__``) are not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def parse_modules(sources: Mapping[str, str], prefix: str = "") -> dict[str, Module]:
    """Modules by dotted name from ``{"pkg/sub.py": source}`` (paths relative to the src root)."""
    modules: dict[str, Module] = {}
    for rel, source in sources.items():
        parts = rel.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts)
        path = prefix + rel
        modules[name] = Module(name, path, ast.parse(source, filename=path), is_package)
    return modules


def load_src(src: Path = SRC, root: str = ROOT_PACKAGE) -> dict[str, Module]:
    sources = {
        p.relative_to(src).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((src / root).rglob("*.py"))
    }
    return parse_modules(sources, prefix=src.relative_to(REPO).as_posix() + "/")


def _absolute_base(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    parts = package.split(".")
    if node.level - 1 >= len(parts):
        raise ValueError(f"{module.path}:{node.lineno}: relative import beyond the top package")
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _known(name: str, modules: Mapping[str, Module]) -> str | None:
    """The longest prefix of ``name`` that is one of ``modules``."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


@dataclass(frozen=True)
class ImportedName:
    """One ``from base import name`` (name is None for ``import base``)."""

    module: Module
    line: int
    base: str
    name: str | None


def _in_source_order(tree: ast.AST) -> list[ast.AST]:
    nodes = [n for n in ast.walk(tree) if hasattr(n, "lineno")]
    return sorted(nodes, key=lambda n: (n.lineno, n.col_offset))


def imported_names(module: Module) -> Iterator[ImportedName]:
    for node in _in_source_order(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportedName(module, node.lineno, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute_base(module, node)
            for alias in node.names:
                yield ImportedName(module, node.lineno, base, alias.name)


def import_edges(modules: Mapping[str, Module]) -> list[Edge]:
    """Every import of one module in ``modules`` by another, at any nesting level."""
    edges: list[Edge] = []
    for module in modules.values():
        for imp in imported_names(module):
            full = f"{imp.base}.{imp.name}" if imp.name not in (None, "*") else imp.base
            target = full if full in modules else _known(imp.base, modules)
            if target is not None and target != module.name:
                edges.append(Edge(module.name, target, f"{module.path}:{imp.line}"))
    return edges


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def find_cycles(edges: Iterable[Edge]) -> list[list[Edge]]:
    """One shortest cycle (as its edges) per strongly connected group of modules."""
    graph: dict[str, set[str]] = {}
    first_edge: dict[tuple[str, str], Edge] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.target)
        first_edge.setdefault((edge.importer, edge.target), edge)
    cycles: list[list[Edge]] = []
    for component in _strongly_connected(graph):
        members = set(component)
        start = component[0]
        came_from: dict[str, str] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if start in graph.get(node, ()):
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                path.reverse()
                path.append(start)
                cycles.append([first_edge[a, b] for a, b in itertools.pairwise(path)])
                break
            for nxt in sorted(graph.get(node, ()) & members):
                if nxt != start and nxt not in came_from:
                    came_from[nxt] = node
                    queue.append(nxt)
    return cycles


def describe_cycle(cycle: list[Edge]) -> str:
    steps = " -> ".join(f"{e.importer} ({e.where})" for e in cycle)
    return f"import cycle: {steps} -> {cycle[-1].target}"


def private_name_imports(modules: Mapping[str, Module]) -> list[str]:
    """``from M import _name`` where ``M._name`` is not a module (those are checked as modules)."""
    hits: list[str] = []
    for module in modules.values():
        for imp in imported_names(module):
            if imp.name is None or not is_private(imp.name):
                continue
            if f"{imp.base}.{imp.name}" in modules:
                continue
            hits.append(
                f"{module.path}:{imp.line}: imports private name {imp.name} from {imp.base}"
            )
    return hits


def _private_module_allowed(importer: str, target: str, root: str, shared: tuple[str, ...]) -> bool:
    """Each private segment of ``target`` must be inside the importer's package (or shared)."""
    parts = target.split(".")
    for i, segment in enumerate(parts):
        if not is_private(segment):
            continue
        if ".".join(parts[: i + 1]) in shared and (
            importer == root or importer.startswith(root + ".")
        ):
            continue
        container = ".".join(parts[:i])
        if not (importer == container or importer.startswith(container + ".")):
            return False
    return True


def private_module_imports(
    modules: Mapping[str, Module],
    root: str = ROOT_PACKAGE,
    shared: tuple[str, ...] = SHARED_PRIVATE,
) -> list[str]:
    """Imports of a module with a ``_private`` path segment from outside its package."""
    hits: list[str] = []
    for module in modules.values():
        for imp in imported_names(module):
            full = f"{imp.base}.{imp.name}" if imp.name not in (None, "*") else imp.base
            target = full if full in modules else imp.base
            if not _private_module_allowed(module.name, target, root, shared):
                hits.append(
                    f"{module.path}:{imp.line}: imports private module {target} "
                    f"from outside its package"
                )
    return hits


def _makes_same_class(value: ast.expr, class_name: str) -> bool:
    """``copy.copy(self)``, ``type(self)(...)`` or ``ClassName(...)``: an object of the class
    whose method this is (Python's privacy is per class, as in ``__eq__``)."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Name):
        return func.id == class_name
    if isinstance(func, ast.Attribute) and ast.unparse(func) == "copy.copy":
        return len(value.args) == 1 and ast.unparse(value.args[0]) in OWN_RECEIVERS
    return ast.unparse(func) in ("type(self)", "type(cls)")


def _same_class_names(module: Module) -> dict[ast.AST, set[str]]:
    """For each method: the local names bound to a new object of its own class."""
    names: dict[ast.AST, set[str]] = {}
    for cls in ast.walk(module.tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        for method in cls.body:
            if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            own = {
                target.id
                for node in ast.walk(method)
                if isinstance(node, ast.Assign) and _makes_same_class(node.value, cls.name)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(method):
                names[node] = own
    return names


def _own_receiver(node: ast.expr, same_class: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in OWN_RECEIVERS or node.id in same_class
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def private_attribute_reads(modules: Mapping[str, Module]) -> list[str]:
    """``X._name`` read, written or deleted (or ``getattr(X, "_name")``), X not self/cls/super()
    nor a new object of the method's own class (``view = copy.copy(self)``, ``C(...)``).

    ``self._a._b`` is a hit: it reads the private attribute of an object self holds.
    """
    hits: list[str] = []
    for module in modules.values():
        same_class = _same_class_names(module)
        for node in _in_source_order(module.tree):
            if isinstance(node, ast.Attribute):
                receiver, attr = node.value, node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ATTRIBUTE_FUNCTIONS
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                receiver, attr = node.args[0], node.args[1].value
            else:
                continue
            if is_private(attr) and not _own_receiver(receiver, same_class.get(node, set())):
                hits.append(
                    f"{module.path}:{node.lineno}: reads private attribute "
                    f"{ast.unparse(receiver)}.{attr}"
                )
    return hits


# --------------------------------------------------------------------------- the real code


@pytest.fixture(scope="module")
def src_modules() -> dict[str, Module]:
    return load_src()


def test_src_is_found(src_modules: dict[str, Module]) -> None:
    assert ROOT_PACKAGE in src_modules
    assert f"{ROOT_PACKAGE}._http" in src_modules
    assert import_edges(src_modules)


def test_no_import_cycles(src_modules: dict[str, Module]) -> None:
    cycles = find_cycles(import_edges(src_modules))
    if cycles:
        pytest.fail("\n".join(describe_cycle(c) for c in cycles), pytrace=False)


def test_no_private_names_imported(src_modules: dict[str, Module]) -> None:
    hits = private_name_imports(src_modules)
    if hits:
        pytest.fail("\n".join(hits), pytrace=False)


def test_private_modules_imported_only_inside_their_package(
    src_modules: dict[str, Module],
) -> None:
    hits = private_module_imports(src_modules)
    if hits:
        pytest.fail("\n".join(hits), pytrace=False)


def test_no_private_attributes_of_other_objects(src_modules: dict[str, Module]) -> None:
    hits = private_attribute_reads(src_modules)
    if hits:
        pytest.fail("\n".join(hits), pytrace=False)


# --------------------------------------------------------------------------- the detectors


def _edges(sources: Mapping[str, str]) -> set[tuple[str, str]]:
    return {(e.importer, e.target) for e in import_edges(parse_modules(sources))}


def _cycles(sources: Mapping[str, str]) -> list[list[str]]:
    return [
        [e.importer for e in cycle] for cycle in find_cycles(import_edges(parse_modules(sources)))
    ]


def test_edges_resolve_relative_nested_and_type_checking_imports() -> None:
    sources = {
        "p/__init__.py": "from .a import A\n",
        "p/a.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .b import B\n"
            "def f():\n    from . import c\n    import p.sub.d\n"
        ),
        "p/b.py": "import os\n",
        "p/c.py": "from .sub import d\nfrom p import b\n",
        "p/sub/__init__.py": "X = 1\n",
        "p/sub/d.py": "from .. import b\nfrom ..sub import X\nfrom . import X as Y\n",
    }
    assert _edges(sources) == {
        ("p", "p.a"),
        ("p.a", "p.b"),
        ("p.a", "p.c"),
        ("p.a", "p.sub.d"),
        ("p.c", "p.sub.d"),
        ("p.c", "p.b"),
        ("p.sub.d", "p.b"),
        ("p.sub.d", "p.sub"),
    }


def test_package_init_importing_submodules_is_not_a_cycle() -> None:
    sources = {
        "p/__init__.py": "from .a import A\nfrom .b import B\n",
        "p/a.py": "from . import b\nA = 1\n",
        "p/b.py": "B = 2\n",
    }
    assert _cycles(sources) == []


def test_submodule_importing_its_package_init_is_a_cycle() -> None:
    sources = {
        "p/__init__.py": "from .a import A\nVALUE = 1\n",
        "p/a.py": "from . import VALUE\nA = VALUE\n",
    }
    assert _cycles(sources) == [["p", "p.a"]]


def test_cycle_through_a_function_level_and_a_type_checking_import() -> None:
    sources = {
        "p/__init__.py": "",
        "p/a.py": "def f():\n    from .b import g\n",
        "p/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n",
        "p/c.py": "import p.a\n",
    }
    cycles = find_cycles(import_edges(parse_modules(sources)))
    assert len(cycles) == 1
    message = describe_cycle(cycles[0])
    assert message == "import cycle: p.a (p/a.py:2) -> p.b (p/b.py:3) -> p.c (p/c.py:1) -> p.a"


def test_cycle_through_a_provider_package() -> None:
    sources = {
        "cg/__init__.py": "",
        "cg/multi.py": "from . import mb\n",
        "cg/mb/__init__.py": "from .client import Client\n",
        "cg/mb/client.py": "from ..multi import Report\n",
    }
    assert _cycles(sources) == [["cg.mb", "cg.mb.client", "cg.multi"]]


def test_one_cycle_reported_per_tangle() -> None:
    sources = {
        "p/__init__.py": "",
        "p/a.py": "from . import b\n",
        "p/b.py": "from . import a\n",
        "p/c.py": "from . import d\n",
        "p/d.py": "from . import c\n",
        "p/e.py": "from . import a, c\n",
    }
    assert _cycles(sources) == [["p.a", "p.b"], ["p.c", "p.d"]]


def test_private_names_imported_from_another_module() -> None:
    sources = {
        "p/__init__.py": "from ._core import helper\n__all__ = ['helper']\n",
        "p/_core.py": "from ._x import _secret\nfrom typing import _SpecialForm\n",
        "p/_x.py": "_secret = 1\n",
        "p/a.py": "from . import _core\nfrom ._core import __doc__\nfrom p import __all__\n",
    }
    assert private_name_imports(parse_modules(sources)) == [
        "p/_core.py:1: imports private name _secret from p._x",
        "p/_core.py:2: imports private name _SpecialForm from typing",
    ]


def test_private_modules_only_from_inside_their_package() -> None:
    sources = {
        "cg/__init__.py": "from ._http import Timeout\nfrom ._version import v\n",
        "cg/_http/__init__.py": "from .retry import R\nfrom ._inner import I\n",
        "cg/_http/retry.py": "",
        "cg/_http/_inner.py": "",
        "cg/_version.py": "",
        "cg/mb/client.py": "from .._http.retry import R\nfrom .._http import _inner\n",
        "cg/testing/__init__.py": "from ._server import S\n",
        "cg/testing/_server.py": "",
        "cg/testing/fake.py": "from . import _server\nfrom ._server import S\n",
        "cg/cli.py": "import cg.testing._server\nfrom .testing import _server\n",
        "cg/multi.py": "from cg.testing._server import S\n",
    }
    hits = private_module_imports(parse_modules(sources), "cg", ("cg._http", "cg._version"))
    assert hits == [
        "cg/mb/client.py:2: imports private module cg._http._inner from outside its package",
        "cg/cli.py:1: imports private module cg.testing._server from outside its package",
        "cg/cli.py:2: imports private module cg.testing._server from outside its package",
        "cg/multi.py:1: imports private module cg.testing._server from outside its package",
    ]


def test_private_attribute_reads() -> None:
    source = (
        "class A:\n"
        "    _k = 1\n"
        "    def m(self, other):\n"
        "        self._x = other._y\n"  # 4: other._y
        "        a = self._held._inner\n"  # 5: self._held._inner
        "        b = super()._z + type(self)._k + cls_like._k\n"  # 6: two hits
        "        c = getattr(other, '_w', None)\n"  # 7
        "        d = getattr(self, '_v')\n"
        "        e = other.__class__, other.__dict__, self.__secret\n"
        "        other.__secret = 1\n"  # 10
        "        del other._gone\n"  # 11
        "    @classmethod\n"
        "    def c(cls):\n"
        "        return cls._k\n"
        "import sys\n"
        "f = sys._getframe\n"  # 16
        "class B:\n"
        "    def view(self):\n"
        "        v = copy.copy(self)\n"
        "        w = B()\n"
        "        v._x = w._y\n"  # same class: allowed
        "        o = A()\n"
        "        return o._k\n"  # 23: another class
    )
    assert private_attribute_reads(parse_modules({"m.py": source})) == [
        "m.py:4: reads private attribute other._y",
        "m.py:5: reads private attribute self._held._inner",
        "m.py:6: reads private attribute type(self)._k",
        "m.py:6: reads private attribute cls_like._k",
        "m.py:7: reads private attribute other._w",
        "m.py:10: reads private attribute other.__secret",
        "m.py:11: reads private attribute other._gone",
        "m.py:16: reads private attribute sys._getframe",
        "m.py:23: reads private attribute o._k",
    ]
