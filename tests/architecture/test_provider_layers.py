"""Each provider package is layered the same way (DESIGN.md, "Shape"):
``wire`` (constants and wire helpers) -> models, errors, resources -> ``membership`` (the multi
adapter) -> ``client`` (wiring only); and the providers are independent of each other and of
``multi``, ``testing`` and the CLI.

Read with ``ast`` through the graph ``test_imports`` builds; nothing is imported.
"""

from __future__ import annotations

import pytest
from test_imports import Module, import_edges, load_src

PROVIDERS = ("messagebird", "messente", "messageflow", "messengeo")
#: what a provider module may import outside its own package
CORE = ("contactgroups._http", "contactgroups._version", "contactgroups.errors")
CONTRACT = "contactgroups.membership"


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_src()


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _edges_from(modules: dict[str, Module], package: str) -> list[tuple[str, str, str]]:
    return [
        (e.importer, e.target, e.where)
        for e in import_edges(modules)
        if _inside(e.importer, package)
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_provider_imports_only_itself_the_core_and_the_contract(
    modules: dict[str, Module], provider: str
) -> None:
    package = f"contactgroups.{provider}"
    outside = [
        f"{where}: {importer} imports {target}"
        for importer, target, where in _edges_from(modules, package)
        if not _inside(target, package)
        and not any(_inside(target, core) for core in CORE)
        and target != CONTRACT
    ]
    assert not outside, "\n".join(outside)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wire_is_the_leaf(modules: dict[str, Module], provider: str) -> None:
    package = f"contactgroups.{provider}"
    wire = f"{package}.wire"
    assert wire in modules, f"{provider} has no wire module"
    inward = [
        f"{where}: {target}"
        for importer, target, where in _edges_from(modules, package)
        if importer == wire and _inside(target, package)
    ]
    assert not inward, "wire imports its own package: " + ", ".join(inward)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_the_package_face_imports_the_client_and_only_the_client_the_adapter(
    modules: dict[str, Module], provider: str
) -> None:
    package = f"contactgroups.{provider}"
    allowed = {
        f"{package}.client": {package},
        f"{package}.membership": {package, f"{package}.client"},
    }
    wrong = [
        f"{where}: {importer} imports {target}"
        for importer, target, where in _edges_from(modules, package)
        if target in allowed and importer not in allowed[target]
    ]
    assert not wrong, "\n".join(wrong)
