#!/usr/bin/env python3
"""Assemble a self-contained Pyodide distribution that never points at a CDN, for production or for tests.

- ``--profile production`` (default) -> build/dist/: what the server serves to users: Pyodide's core and the
  runtime wheel, nothing else.
- ``--profile test`` -> build/dist-test/: the same plus the wheels tests/pyodide needs inside Pyodide:
  micropip and pytest-pyodide's in-Pyodide needs (`pytest`, `tblib`) with their dependency closure.

The npm package `pyodide` holds only the core (no wheels at all). This script
  1. copies the core files from node_modules/pyodide/ (and Skulpt's, for data-runtime="skulpt"),
  2. fetches into build/wheel-cache/ (once) the profile's pure-Python wheels at the exact versions
     pyodide-lock.json lists, for Pyodide's Python version,
  3. copies those wheels and the runtime wheel(s) from build/wheels/ into the dist,
  4. rewrites the dist's pyodide-lock.json: every entry whose wheel we ship gets the real sha256
     and file name of the shipped file (Chromium enforces them); every other entry is removed.

Idempotent: unchanged files are not copied again and cached wheels are not fetched again.
Run with the project's .venv python (it needs pip):
`.venv/bin/python scripts/build_pyodide_dist.py [--profile production|test]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Per profile: lock entries (and their "depends" closure) whose wheels the dist must ship, and its directory.
PROFILES = {
    "production": ((), ROOT / "build" / "dist"),
    "test": (("micropip", "pytest", "tblib"), ROOT / "build" / "dist-test"),
}
# The Skulpt runtime's files (npm packages skulpt and fflate, pinned in package.json): source in node_modules -> name
# in the dist (the names js_bridge/skulpt_runtime.mjs loads).
LIGHT_RUNTIME_FILES = (("skulpt/dist/skulpt.min.js", "skulpt.min.js"), ("skulpt/dist/skulpt-stdlib.js", "skulpt-stdlib.js"),
                       ("fflate/esm/browser.js", "fflate.mjs"))
# Files of the npm package that a dist does not need.
SKIP_CORE = {"package.json", "README.md", "ffi.d.ts", "pyodide.d.ts"}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def copy_if_changed(src: Path, dst: Path) -> bool:
    """Copy src to dst unless dst already has the same size and content. True if copied."""
    if dst.exists() and dst.stat().st_size == src.stat().st_size and sha256(dst) == sha256(src):
        return False
    shutil.copy2(src, dst)
    return True


def closure(lock: dict, roots: tuple[str, ...]) -> list[str]:
    """Lock keys of roots and everything they (transitively) depend on."""
    packages = lock["packages"]
    seen: list[str] = []
    todo = list(roots)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        if key not in packages:
            sys.exit(f"build_pyodide_dist: {key!r} is not in pyodide-lock.json")
        seen.append(key)
        todo.extend(packages[key]["depends"])
    return sorted(seen)


def find_wheel(directory: Path, name: str, version: str) -> Path | None:
    for path in directory.glob("*.whl"):
        dist, ver = path.name.split("-")[:2]
        if normalize(dist) == normalize(name) and ver == version:
            return path
    return None


def fetch_wheel(cache: Path, name: str, version: str, python_version: str) -> Path:
    """A pure-Python wheel name==version from the cache, fetched with pip (or built from sdist) if missing."""
    found = find_wheel(cache, name, version)
    if found:
        return found
    spec = f"{name}=={version}"
    print(f"  fetching {spec}")
    download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                "--python-version", python_version, "--implementation", "py", "--abi", "none",
                "--platform", "any", "-d", str(cache), spec]
    result = subprocess.run(download, capture_output=True, text=True)
    if result.returncode != 0:
        # sdist-only on PyPI (atomicwrites 1.4.1): build a wheel from it.
        print(f"  no wheel on the index for {spec}: building one with pip wheel")
        with tempfile.TemporaryDirectory() as tmp:
            built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp, spec],
                                   capture_output=True, text=True)
            if built.returncode != 0:
                sys.exit(f"build_pyodide_dist: no wheel for {spec}:\n{result.stderr}\n{built.stderr}")
            for wheel in Path(tmp).glob("*.whl"):
                shutil.move(str(wheel), cache / wheel.name)
    found = find_wheel(cache, name, version)
    if not found or not found.name.endswith("-none-any.whl"):
        sys.exit(f"build_pyodide_dist: could not get a pure-Python wheel for {spec}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyodide", type=Path, default=ROOT / "node_modules" / "pyodide")
    parser.add_argument("--wheels", type=Path, default=ROOT / "build" / "wheels", help="runtime wheel(s)")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "wheel-cache")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="production")
    parser.add_argument("--out", type=Path, help="the dist directory (default: the profile's)")
    args = parser.parse_args()
    root_packages, default_out = PROFILES[args.profile]
    args.out = args.out or default_out

    src_lock_path = args.pyodide / "pyodide-lock.json"
    if not src_lock_path.exists():
        sys.exit(f"build_pyodide_dist: {src_lock_path} is missing (run npm ci)")
    lock = json.loads(src_lock_path.read_text())
    python_version = ".".join(lock["info"]["python"].split(".")[:2])
    args.out.mkdir(parents=True, exist_ok=True)
    args.cache.mkdir(parents=True, exist_ok=True)

    # 1. core files
    core = [p for p in sorted(args.pyodide.iterdir())
            if p.is_file() and p.name not in SKIP_CORE and p.name != "pyodide-lock.json"]
    copied = sum(copy_if_changed(p, args.out / p.name) for p in core)
    print(f"core: {len(core)} files from {args.pyodide.relative_to(ROOT)} ({copied} copied, rest unchanged)")

    # 1b. the Skulpt runtime (data-runtime="skulpt") and the zip reader it unpacks the client code with; the
    # precompiled bundle of its Python, and the client modules it shares in skulpt_lib/ (precompile_skulpt.mjs)
    light = [(ROOT / "node_modules" / src, name) for src, name in LIGHT_RUNTIME_FILES]
    missing = [str(src.relative_to(ROOT)) for src, _ in light if not src.is_file()]
    if missing:
        sys.exit(f"build_pyodide_dist: {', '.join(missing)} missing (run npm ci)")
    copied = sum(copy_if_changed(src, args.out / name) for src, name in light)
    print(f"skulpt runtime: {len(light)} files from node_modules ({copied} copied, rest unchanged)")
    subprocess.run(["node", str(ROOT / "scripts" / "precompile_skulpt.mjs"), str(args.out / "skulpt-precompiled.json")],
                   check=True, cwd=ROOT)

    # 2. + 3. wheels listed in the lock, then the runtime wheel(s)
    shipped: dict[str, Path] = {}  # lock key -> wheel in the dist
    keys = closure(lock, root_packages)
    print(f"{args.profile} dist; lock wheels (closure of {', '.join(root_packages) or 'nothing'}): {', '.join(keys) or 'none'}")
    for key in keys:
        entry = lock["packages"][key]
        wheel = fetch_wheel(args.cache, entry["name"], entry["version"], python_version)
        copy_if_changed(wheel, args.out / wheel.name)
        shipped[key] = args.out / wheel.name
    runtime = sorted(args.wheels.glob("*.whl"))
    if not runtime:
        sys.exit(f"build_pyodide_dist: no runtime wheel in {args.wheels}")
    for wheel in runtime:
        copy_if_changed(wheel, args.out / wheel.name)
        print(f"runtime wheel: {wheel.name}")

    keep = {p.name for p in shipped.values()} | {p.name for p in runtime}
    for stale in sorted(args.out.glob("*")):
        if stale.suffix == ".whl" and stale.name not in keep or stale.name in SKIP_CORE:
            print(f"removing stale {stale.name}")
            stale.unlink()

    # 4. lock: real hashes for what we ship, nothing else
    packages: dict[str, dict] = {}
    for key, wheel in shipped.items():
        entry = dict(lock["packages"][key])
        entry["file_name"] = wheel.name
        entry["sha256"] = sha256(wheel)
        packages[key] = entry
    removed = len(lock["packages"]) - len(packages)
    lock["packages"] = packages
    text = json.dumps(lock, indent=1, sort_keys=True) + "\n"
    lock_path = args.out / "pyodide-lock.json"
    if not lock_path.exists() or lock_path.read_text() != text:
        lock_path.write_text(text)
        state = "written"
    else:
        state = "unchanged"
    print(f"pyodide-lock.json {state}: {len(packages)} entries with real sha256, {removed} removed")
    print(f"dist ready: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
