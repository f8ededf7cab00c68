"""The Skulpt runtime's Python (js_bridge/skulpt_lib/) is what js_bridge/skulpt_runtime.mjs loads: its file list
names every file of the folder, and the wheel-free dist has the Skulpt files the runtime asks the server for."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "js_bridge" / "skulpt_lib"


def test_the_runtime_loads_every_file_of_skulpt_lib() -> None:
    listed = subprocess.run(
        ["node", "--input-type=module", "-e",
         f'import {{ SKULPT_LIB_FILES }} from "{ROOT / "js_bridge" / "skulpt_runtime.mjs"}"; '
         "console.log(JSON.stringify(SKULPT_LIB_FILES));"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=True).stdout
    on_disk = sorted(p.relative_to(LIB).as_posix() for p in LIB.rglob("*.py") if "__pycache__" not in p.parts)
    assert sorted(json.loads(listed)) == on_disk


def test_the_dist_serves_skulpt_from_npm() -> None:
    from scripts.build_pyodide_dist import LIGHT_RUNTIME_FILES

    package = json.loads((ROOT / "package.json").read_text())
    assert package["dependencies"]["skulpt"] == "1.2.0" and "fflate" in package["dependencies"]
    for _, name in LIGHT_RUNTIME_FILES:
        assert (ROOT / "build" / "dist" / name).is_file(), f"{name} is missing from build/dist: run ./build.sh setup"


def test_skulpt_names_the_same_anvil_errors_as_pyodide() -> None:
    """js_bridge/skulpt_lib/anvil/_errors.py repeats the list of anvil.server errors (Skulpt cannot run
    client/anvil/_errors.py): both must name the same errors, in the same order."""
    import ast

    from anvil._errors import DEFAULT_ERRORS

    tree = ast.parse((LIB / "anvil" / "_errors.py").read_text())
    made = [node.value.args[0].value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "_anvil_error"]
    listed = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                  and getattr(node.targets[0], "id", None) == "DEFAULT_ERRORS")
    assert made == [cls.__name__ for cls in DEFAULT_ERRORS]
    assert [element.id for element in listed.elts] == made
