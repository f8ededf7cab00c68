"""The modules of client/ and server/ import each other without circles, and each imports alone.

The graph holds every ``import`` and ``from ... import`` of our own modules, at module level and
inside functions (an import inside a function is still a dependency), but not those under
``if TYPE_CHECKING:`` (never run). Importing a package imports its ``__init__`` first, so an edge to
``a.b.c`` is also an edge to ``a`` and ``a.b``; a package's ``__init__`` importing its own
submodules is the one kind of edge that is not followed back.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Package name → the folder that holds it.
PACKAGES = {"anvil": ROOT / "client" / "anvil", "anvil_labs": ROOT / "client" / "anvil_labs",
            "anvil_pyodide": ROOT / "server" / "anvil_pyodide"}
#: Modules that only import inside Pyodide (``import js``, ``pyodide``).
BROWSER_ONLY = {"anvil.js"}
#: Importing it runs the command line (``python -m anvil_pyodide``); its one import is checked in the graph.
ENTRY_POINTS = {"anvil_pyodide.__main__"}


def module_files() -> dict[str, Path]:
    """Every module of ours: dotted name → file (a package is its ``__init__.py``)."""
    modules = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            if not all(part.isidentifier() for part in parts):
                continue  # package data, not a module (e.g. anvil_pyodide/app-template/, `anvil-pyodide new`'s app)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that module ``name`` imports (and the packages above them).

    Example: ``from ..calls import handler`` in ``anvil_pyodide.uplink.hub`` is ``anvil_pyodide.calls.handler``.
    """
    is_package = path.name == "__init__.py"
    package = name.split(".") if is_package else name.split(".")[:-1]
    targets: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package[:len(package) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if not candidate:
                continue
            parts = candidate.split(".")
            targets.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    targets.discard(name)
    if is_package:  # a package's __init__ importing its own submodules: not a way back into it
        targets = {t for t in targets if not t.startswith(name + ".")}
    # Importing a module imports its packages first, but they do not import it: that is no edge.
    return {t for t in targets if not name.startswith(t + ".")}


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of names (first == last), or None.

    Example:
        >>> find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})
        ['a', 'b', 'c', 'a']
        >>> find_cycle({"a": {"b"}, "b": set()}) is None
        True
    """
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_graph_sees_imports_inside_functions_but_not_type_checking_ones(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import X\n"
                      "def f():\n    from .c import Y\n")
    assert imported_modules("pkg.m", source, {"pkg", "pkg.b", "pkg.c"}) == {"pkg.c"}


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 50  # it did find our modules
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_shared_anvil_package_never_imports_the_server() -> None:
    graph = import_graph()
    offending = {name: sorted(t for t in targets if t.startswith("anvil_pyodide"))
                 for name, targets in graph.items() if name.split(".")[0] in ("anvil", "anvil_labs")}
    assert {name: targets for name, targets in offending.items() if targets} == {}


@pytest.mark.parametrize("module_name", sorted(set(module_files()) - BROWSER_ONLY - ENTRY_POINTS))
def test_every_module_imports_alone(module_name: str) -> None:
    """A fresh interpreter imports the module and nothing else first (so no import order hides a circle)."""
    result = subprocess.run([sys.executable, "-c", f"import {module_name}"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


#: What each part of the server may import (as its package docstring says; docs/architecture.md).
ALLOWED = {
    "calls": {"config", "sessions"},
    "store": set(),
    "sessions": {"store"},
    "assets": {"sessions", "origins"},
    "uplink": {"calls", "sessions", "store", "config", "app_loader"},
    "tasks": {"calls", "sessions", "store", "uplink", "config", "app_loader", "server_api"},
    "web": {"calls", "sessions", "assets", "config", "users"},
    "users": {"calls", "sessions", "store", "config"},
    "transports": {"calls", "sessions", "uplink", "config", "origins"},
}


def test_each_server_subpackage_imports_only_what_its_docstring_allows() -> None:
    broken = []
    for name, targets in import_graph().items():
        parts = name.split(".")
        if parts[0] != "anvil_pyodide" or len(parts) < 2 or parts[1] not in ALLOWED:
            continue
        for target in targets:
            other = target.split(".")
            if other[0] == "anvil_pyodide" and len(other) > 1 and other[1] != parts[1] \
                    and other[1] not in ALLOWED[parts[1]]:
                broken.append(f"{name} imports {target}")
    assert broken == []
