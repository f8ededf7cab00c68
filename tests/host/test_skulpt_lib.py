"""The Skulpt runtime's Python (js_bridge/skulpt_lib/) is what js_bridge/skulpt_runtime.mjs loads: its file list
names every file of the folder, and the wheel-free dist has the Skulpt files the runtime asks the server for."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "js_bridge" / "skulpt_lib"


def runtime_list(name: str) -> list[str]:
    """A list that js_bridge/skulpt_runtime.mjs exports, e.g. ``runtime_list("SKULPT_LIB_FILES")``."""
    return json.loads(subprocess.run(
        ["node", "--input-type=module", "-e",
         f'import {{ {name} }} from "{ROOT / "js_bridge" / "skulpt_runtime.mjs"}"; console.log(JSON.stringify({name}));'],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=True).stdout)


def test_the_runtime_loads_every_file_of_skulpt_lib() -> None:
    on_disk = sorted(p.relative_to(LIB).as_posix() for p in LIB.rglob("*.py") if "__pycache__" not in p.parts)
    assert sorted(runtime_list("SKULPT_LIB_FILES")) == on_disk


def test_the_dist_serves_skulpt_from_npm() -> None:
    from scripts.build_pyodide_dist import LIGHT_RUNTIME_FILES

    package = json.loads((ROOT / "package.json").read_text())
    assert package["dependencies"]["skulpt"] == "1.2.0" and "fflate" in package["dependencies"]
    for _, name in LIGHT_RUNTIME_FILES:
        assert (ROOT / "build" / "dist" / name).is_file(), f"{name} is missing from build/dist: run ./build.sh setup"


def test_the_dist_has_the_client_modules_skulpt_shares() -> None:
    """SHARED_LIB_FILES come from client/ (one source for both runtimes): the build copies them into skulpt_lib/."""
    for path in runtime_list("SHARED_LIB_FILES"):
        assert not (LIB / path).exists(), f"{path} is shared from client/: it must not have a copy in skulpt_lib"
        copy = ROOT / "build" / "dist" / "skulpt_lib" / path
        assert copy.read_text() == (ROOT / "client" / path).read_text(), f"{copy} is stale: run ./build.sh setup"


def test_both_runtimes_name_the_anvil_errors_in_the_shared_order() -> None:
    """client/anvil/_error_list.py is the one list; each runtime's _errors.py unpacks the classes it makes into
    names, which must be in the list's order (a wrong order would misname the classes)."""
    import ast

    import anvil._errors
    from anvil._error_list import ANVIL_SERVER_ERRORS

    names = [name for name, _ in ANVIL_SERVER_ERRORS]
    assert [cls.__name__ for cls in anvil._errors.DEFAULT_ERRORS] == names
    assert all(getattr(anvil._errors, name).__name__ == name for name in names)
    for source in (ROOT / "client" / "anvil" / "_errors.py", LIB / "anvil" / "_errors.py"):
        unpacked = next(node for node in ast.parse(source.read_text()).body if isinstance(node, ast.Assign)
                        and isinstance(node.targets[0], ast.Tuple)
                        and getattr(node.value, "id", None) == "DEFAULT_ERRORS")
        assert [element.id for element in unpacked.targets[0].elts] == names, source
