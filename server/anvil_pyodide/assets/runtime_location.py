"""Where the browser runtime the server serves lives: the built Pyodide distribution (Pyodide, the runtime
wheel) and the JavaScript bridge.

In order: ``--runtime-dir`` / ``ANVIL_PYODIDE_RUNTIME_DIR`` (a Pyodide distribution; the bridge comes
from the usual place); in a checkout of the repository, ``build/dist/`` and ``js_bridge/`` (so that edits
show at once); in an installed package, its ``runtime-dist/`` package data (put there by ``setup.py`` when
the wheel is built).

Example:
    >>> dirs = runtime_dirs(None)
    >>> [d.name for d in dirs] in (["dist", "js_bridge"], ["pyodide", "js-bridge"])
    True
"""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable naming a Pyodide distribution to serve.
RUNTIME_DIR_ENV = "ANVIL_PYODIDE_RUNTIME_DIR"
#: The runtime inside an installed package (see setup.py).
PACKAGED = Path(__file__).resolve().parents[1] / "runtime-dist"
PACKAGED_PYODIDE = PACKAGED / "pyodide"
PACKAGED_BRIDGE = PACKAGED / "js-bridge"
#: The repository, when the package runs from a checkout (editable install).
CHECKOUT = Path(__file__).resolve().parents[3]
CHECKOUT_PYODIDE = CHECKOUT / "build" / "dist"
CHECKOUT_BRIDGE = CHECKOUT / "js_bridge"


def in_checkout() -> bool:
    """True when this package runs from the repository (its js_bridge/ is next to server/)."""
    return (CHECKOUT_BRIDGE / "anvil-pyodide.js").is_file() and (CHECKOUT / "server" / "anvil_pyodide").is_dir()


def runtime_dirs(runtime_dir: Path | None) -> list[Path]:
    """The folders the runtime is served from, first match wins: the Pyodide distribution, then the bridge."""
    bridge = CHECKOUT_BRIDGE if in_checkout() else PACKAGED_BRIDGE
    chosen = runtime_dir or (Path(os.environ[RUNTIME_DIR_ENV]) if os.environ.get(RUNTIME_DIR_ENV) else None)
    if chosen is not None:
        return [chosen, bridge]
    return [CHECKOUT_PYODIDE if in_checkout() else PACKAGED_PYODIDE, bridge]


def missing_runtime_hint() -> str:
    """What to do when no runtime is found."""
    if in_checkout():
        return "The runtime is not built: run ./build.sh setup"
    return f"The runtime is missing from the installed package ({PACKAGED}): reinstall anvil-pyodide from a wheel built with ./build.sh dist"
