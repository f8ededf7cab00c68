"""Run every shared codec case (tests/cases/*_cases.py, functions `case_*`) inside Pyodide.

The same case functions run on CPython in tests/host; here each one becomes a test per runtime,
e.g. `test_shared_case[chrome-wire_cases.case_long_roundtrip]`. Case names are collected on the
host by importing the case modules (they import only the stdlib and `anvil`); inside Pyodide the
case files are copied into the file system once per module-scoped Pyodide and imported there
with pytest's assertion rewriting, so a failing `assert` shows its values.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_pyodide import run_in_pyodide

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"
# Same absolute path inside Pyodide as on the host, so tracebacks from Pyodide show the source lines.
PYODIDE_CASES_DIR = str(CASES_DIR)


def collect_case_ids() -> list[str]:
    """`module.case_name` for every case function, in file and definition order."""
    sys.path.insert(0, str(CASES_DIR))
    ids = []
    for path in sorted(CASES_DIR.glob("*_cases.py")):
        module = importlib.import_module(path.stem)
        cases = [
            fn for name, fn in inspect.getmembers(module, inspect.isfunction)
            if name.startswith("case_") and fn.__module__ == module.__name__
        ]
        cases.sort(key=lambda fn: fn.__code__.co_firstlineno)
        ids.extend(f"{path.stem}.{fn.__name__}" for fn in cases)
    return ids


CASE_IDS = collect_case_ids()


@pytest.fixture(scope="module")
def pyodide_cases_dir(selenium_anvil_module_scope: Any, pyodide_copy_source: Callable[..., str]) -> str:
    """Copy every tests/cases/*.py (case modules and any helpers) into Pyodide, once per Pyodide."""
    for path in sorted(CASES_DIR.glob("*.py")):
        pyodide_copy_source(selenium_anvil_module_scope, path, PYODIDE_CASES_DIR)
    return PYODIDE_CASES_DIR


@run_in_pyodide
async def run_case_in_pyodide(selenium: Any, cases_dir: str, module_name: str, case_name: str) -> None:
    import ast
    import inspect
    import sys
    import types

    module = sys.modules.get(module_name)
    if module is None:
        path = f"{cases_dir}/{module_name}.py"
        with open(path, encoding="utf-8") as f:
            source = f.read()
        tree = ast.parse(source, path)
        try:
            from _pytest.assertion.rewrite import rewrite_asserts

            rewrite_asserts(tree, source.encode(), path)
        except ImportError:  # pytest not loaded: plain asserts
            pass
        module = types.ModuleType(module_name)
        module.__file__ = path
        sys.modules[module_name] = module
        try:
            exec(compile(tree, path, "exec"), module.__dict__)
        except BaseException:
            del sys.modules[module_name]
            raise
    result = getattr(module, case_name)()
    if inspect.isawaitable(result):
        await result


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_shared_case(selenium_anvil: Any, pyodide_cases_dir: str, case_id: str) -> None:
    module_name, case_name = case_id.split(".")
    run_case_in_pyodide(selenium_anvil, pyodide_cases_dir, module_name, case_name)
