"""The house's rules, read from the source: imports run one way, words mean one thing.

No Home Assistant here: these tests read files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "texto"
LIBRARY = INTEGRATION / "gateway"
#: the library's modules that speak one provider's protocol: the integration reads the
#: registry and the shared models instead
PROVIDER_MODULES = frozenset({"allmysms", "mail2sms", "smsmode", "sms123"})
#: gateway client classes, which no Home Assistant module may test for
CLIENT_CLASSES = frozenset(
    {"AllMySmsGateway", "Mail2SmsGateway", "SmsmodeGateway", "Sms123Gateway", "ModemGateway"}
)


def package_modules(folder: Path) -> Iterator[tuple[str, ast.Module]]:
    """Each module of a package folder (its subpackages left out), by name."""
    for path in sorted(folder.glob("*.py")):
        yield path.stem, ast.parse(path.read_text(encoding="utf-8"), str(path))


def integration_modules() -> Iterator[tuple[str, ast.Module]]:
    """Each module of the integration (the library left out), by name."""
    return package_modules(INTEGRATION)


def imported_modules(tree: ast.Module) -> set[str]:
    """The package's own modules a module imports, ``TYPE_CHECKING`` imports included.

    ``from .gateway...`` counts as ``gateway`` (the library, which imports nothing back);
    ``from . import a, b`` counts ``a`` and ``b``.
    """
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def import_circles(folder: Path) -> list[list[str]]:
    """Every import circle among a package's modules, each as the path that closes it."""
    graph = {name: imported_modules(tree) for name, tree in package_modules(folder)}
    # the package's __init__ imports its modules to re-export them: not a dependency of theirs
    graph.pop("__init__", None)
    circles: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        for imported in sorted(graph.get(name, ())):
            if imported in path:
                circles.append([*path[path.index(imported) :], imported])
            elif imported in graph and imported not in done:
                visit(imported, [*path, imported])
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    return circles


def _shown(circles: list[list[str]]) -> str:
    return " | ".join(" -> ".join(circle) for circle in circles)


def test_no_import_circle_in_the_integration() -> None:
    circles = import_circles(INTEGRATION)
    assert circles == [], _shown(circles)


def test_no_import_circle_in_the_library() -> None:
    """A ``TYPE_CHECKING`` import counts: it is a circle a reader has to follow all the same."""
    circles = import_circles(LIBRARY)
    assert circles == [], _shown(circles)


def test_a_circle_is_found_even_when_only_for_types(tmp_path: Path) -> None:
    """The check itself: the circle the library once had (errors <-> sender) is caught."""
    (tmp_path / "errors.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .sender import Rule\n"
    )
    (tmp_path / "sender.py").write_text("from .errors import SenderError\n")
    (tmp_path / "models.py").write_text("from . import errors\n")
    assert import_circles(tmp_path) == [["errors", "sender", "errors"]]


def test_the_package_init_is_imported_by_no_module() -> None:
    for name, tree in integration_modules():
        assert "__init__" not in imported_modules(tree), name


def test_no_home_assistant_module_knows_a_providers_protocol() -> None:
    for name, tree in integration_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                parts = node.module.split(".")
                assert not (parts[0] == "gateway" and PROVIDER_MODULES & set(parts[1:])), (
                    f"{name} imports {node.module}: read the registry (gateway.providers)"
                )
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
                tested = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
                assert not any(client in tested for client in CLIENT_CLASSES), (
                    f"{name} tests a gateway's class: read its capabilities"
                )


def test_every_coroutine_of_the_home_assistant_side_says_async() -> None:
    misnamed = [
        f"{name}.{node.name}"
        for name, tree in integration_modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef) and not node.name.lstrip("_").startswith("async_")
    ]
    assert misnamed == []


def test_the_library_imports_only_itself_with_relative_imports() -> None:
    """So it loads under one name: ``texto_gateway`` in its wheel, ``...texto.gateway`` here.

    (That it needs no Home Assistant is a fact of its build: its tests run where Home
    Assistant is not installed.)
    """
    for path in sorted(LIBRARY.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith(("custom_components", "texto_gateway")), (
                    f"{path.name} imports {node.module}: the library imports itself relatively"
                )
            if isinstance(node, ast.ImportFrom) and node.level > 1:
                raise AssertionError(f"{path.name} imports from outside the library")
