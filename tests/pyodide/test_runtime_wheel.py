"""Smoke test of the dist: the runtime wheel imports inside Pyodide, and micropip loads from the
dist's own lock (proves build/dist is self-contained: no CDN behind it)."""

from __future__ import annotations

from typing import Any

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["micropip"])
def test_runtime_wheel_imports(selenium_anvil: Any) -> None:
    import anvil
    import anvil.server
    import micropip

    assert anvil.__file__.startswith("/lib/python"), anvil.__file__
    assert anvil.server.__name__ == "anvil.server"
    assert micropip.__version__ == "0.11.1"
