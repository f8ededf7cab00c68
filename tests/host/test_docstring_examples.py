"""The examples in the docstrings of client/, server/ and bench/ modules are tests too: they must stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import anvil
import anvil_pyodide


#: Modules that only import inside Pyodide; their examples run in the browser tests instead.
BROWSER_ONLY = {"anvil.js"}
#: Running these has side effects (``python -m`` entry points).
ENTRY_POINTS = {"anvil_pyodide.__main__"}


def _modules() -> list[str]:
    names = ["anvil"] + [m.name for m in pkgutil.walk_packages(anvil.__path__, "anvil.")]
    names += ["anvil_labs", "anvil_labs.non_blocking"]
    names += ["anvil_pyodide"] + [m.name for m in pkgutil.walk_packages(anvil_pyodide.__path__, "anvil_pyodide.")]
    return [n for n in names if n not in BROWSER_ONLY | ENTRY_POINTS] + ["bench.payload", "bench.codec_timing", "bench.server_calls", "bench.browser_calls", "bench.report", "bench.profile_browser",
                                                                   "bench.store_calls", "bench.soak_overload"]


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module_name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"
