"""Packaging hook: the server's wheel and sdist carry the built browser runtime as package data, so that
``pip install anvil_pyodide-*.whl && anvil-pyodide serve APP_DIR`` needs no checkout and fetches nothing.

Before an sdist or a (non-editable) wheel is built, the runtime is copied into
``server/anvil_pyodide/runtime-dist/``: ``pyodide/`` from the Pyodide distribution in :data:`DIST_DIR`
(``ANVIL_PYODIDE_DIST_DIR``; default ``build/dist``, made by ``./build.sh setup``) and ``js-bridge/`` from
``js_bridge/``. Building a wheel from the sdist finds the copy already there. Everything else is in
pyproject.toml; ``./build.sh dist`` runs the whole thing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
#: The Pyodide distribution that goes into the package: point this at the production dist.
DIST_DIR = Path(os.environ.get("ANVIL_PYODIDE_DIST_DIR") or ROOT / "build" / "dist")
BRIDGE_DIR = ROOT / "js_bridge"
PACKAGED = ROOT / "server" / "anvil_pyodide" / "runtime-dist"


def stage_runtime() -> None:
    """Copy the built runtime into the package (kept as is when building from an sdist, which has it)."""
    if (DIST_DIR / "pyodide-lock.json").is_file() and (BRIDGE_DIR / "anvil-pyodide.js").is_file():
        shutil.rmtree(PACKAGED, ignore_errors=True)
        shutil.copytree(DIST_DIR, PACKAGED / "pyodide", ignore=shutil.ignore_patterns("*.map"))
        shutil.copytree(BRIDGE_DIR, PACKAGED / "js-bridge")
    elif not (PACKAGED / "pyodide" / "pyodide-lock.json").is_file():
        raise SystemExit(f"No built runtime to package: {DIST_DIR} has no pyodide-lock.json. Run ./build.sh setup "
                         f"first (or set ANVIL_PYODIDE_DIST_DIR to a built Pyodide distribution).")


class BuildPyWithRuntime(build_py):
    def run(self) -> None:
        if not getattr(self, "editable_mode", False):  # an editable install serves the checkout's runtime
            stage_runtime()
        super().run()


class SdistWithRuntime(sdist):
    def run(self) -> None:
        stage_runtime()
        super().run()


setup(cmdclass={"build_py": BuildPyWithRuntime, "sdist": SdistWithRuntime})
