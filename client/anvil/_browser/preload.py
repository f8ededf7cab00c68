"""What the page loader imports before it takes a Pyodide memory snapshot: the runtime, and the modules the
app's client code imports at its top level that come from the standard library or the runtime wheel.

The app's own modules are never imported here (importing runs them, and they may touch the page); a module
that fails to import is skipped (the app will meet the same error when it imports it itself).

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "main.py").write_text("import json, shared\\nfrom datetime import date\\nimport anvil.server, anvil.js")
    >>> _ = (folder / "shared.py").write_text("import decimal")
    >>> sorted(imported_names(folder))
    ['anvil.js', 'anvil.server', 'datetime', 'decimal', 'json', 'shared']
    >>> sorted(preloadable(imported_names(folder), app_modules(folder)))
    ['anvil.server', 'datetime', 'decimal', 'json']
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from typing import Iterable

#: Modules every page uses, imported whatever the app imports.
#: (Not anvil.js: it reads ``js.document``, which fails in the Pyodide that takes a snapshot.)
RUNTIME_MODULES = ("anvil", "anvil.server", "anvil._browser.calls", "anvil._browser.api",
                   "anvil._browser.entry", "anvil_labs.non_blocking", "runpy", "asyncio", "json")
#: Top-level packages of the runtime wheel.
RUNTIME_PACKAGES = ("anvil", "anvil_labs")
#: Modules that touch the page when imported.
NEVER = frozenset({"anvil.js", "js", "pyodide_js"})


def imported_names(folder: Path) -> set[str]:
    """Every module name the ``.py`` files under ``folder`` import at module level (absolute imports)."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names


def app_modules(folder: Path) -> set[str]:
    """Top-level module and package names the app's client code defines."""
    return {path.stem if path.is_file() else path.name for path in folder.iterdir()
            if path.suffix == ".py" or (path.is_dir() and not path.name.startswith("."))} if folder.is_dir() else set()


def preloadable(names: Iterable[str], own: set[str]) -> set[str]:
    """The names that are safe to import early: standard library or runtime, never the app's own."""
    chosen = set()
    for name in names:
        top = name.partition(".")[0]
        if top in own or name in NEVER:
            continue
        if top in sys.stdlib_module_names or top in RUNTIME_PACKAGES:
            chosen.add(name)
    return chosen


def preload(client_code_dir: str) -> list[str]:
    """Import the runtime and the app's preloadable imports; returns the names imported."""
    folder = Path(client_code_dir)
    wanted = list(RUNTIME_MODULES) + sorted(preloadable(imported_names(folder), app_modules(folder)))
    done = []
    for name in wanted:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - see the module docstring
            continue
        done.append(name)
    return done
