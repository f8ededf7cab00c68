"""`pip install anvil-pyodide`: `python -m build` makes a wheel and an sdist that hold the built runtime;
the wheel, installed into a fresh virtual environment outside the repository (offline, from local wheels),
runs `anvil-pyodide new` and `anvil-pyodide serve`, and the page works in Chromium with every request
answered by that server (nothing fetched from anywhere else)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.timeout(900)

WHEELHOUSE = ROOT / "build" / "wheelhouse"
SERVE_REQUIREMENTS = ROOT / "requirements" / "serve.txt"
#: What the package must carry for the server to run without a checkout.
RUNTIME_FILES = ["runtime-dist/pyodide/pyodide.asm.wasm", "runtime-dist/pyodide/pyodide.mjs",
                 "runtime-dist/pyodide/pyodide-lock.json", "runtime-dist/pyodide/python_stdlib.zip",
                 "runtime-dist/js-bridge/anvil-pyodide.js", "runtime-dist/js-bridge/runtime.mjs",
                 "runtime-dist/pyodide/skulpt.min.js", "runtime-dist/pyodide/skulpt-precompiled.json",
                 "runtime-dist/js-bridge/skulpt_runtime.mjs", "runtime-dist/js-bridge/skulpt_lib/anvil/server.py",
                 "app-template/client_code/main.py", "app-template/server_code/geometry.py"]


def run(*command: str | Path, **options: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, **options)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def source_copy(target: Path) -> Path:
    """The project's files (tracked and new, not ignored) copied to ``target``: the build never writes into
    the working tree."""
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def local_wheelhouse() -> Path:
    """Wheels of requirements/serve.txt in build/wheelhouse/ (fetched once with pip; reused after)."""
    wanted = [line.split("==")[0].lower().replace("-", "_") for line in SERVE_REQUIREMENTS.read_text().splitlines()
              if line and not line.startswith("#")]
    have = {p.name.split("-")[0].lower() for p in WHEELHOUSE.glob("*.whl")}
    if not set(wanted) <= have:
        run(sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-r", SERVE_REQUIREMENTS,
            "-d", WHEELHOUSE)
    return WHEELHOUSE


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist) built by `python -m build` from a copy of the project."""
    source = source_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "ANVIL_PYODIDE_DIST_DIR": str(ROOT / "build" / "dist")}
    run(sys.executable, "-m", "build", "-o", out, source, env=env, cwd=source)
    return next(out.glob("anvil_pyodide-*.whl")), next(out.glob("anvil_pyodide-*.tar.gz"))


def test_the_wheel_and_sdist_carry_the_built_runtime(built: tuple[Path, Path]) -> None:
    wheel, sdist = built
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert {f"anvil_pyodide/{name}" for name in RUNTIME_FILES} <= in_wheel
    assert any(n.startswith("anvil_pyodide/runtime-dist/pyodide/anvil_pyodide_runtime-") for n in in_wheel)
    in_sdist = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
    assert {f"server/anvil_pyodide/{name}" for name in RUNTIME_FILES} <= in_sdist


def test_installed_wheel_serves_a_new_app_to_chromium(built: tuple[Path, Path], tmp_path: Path, browser: Any) -> None:
    wheel, _ = built
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-index", "--find-links", local_wheelhouse(), wheel,
        cwd=tmp_path)
    app_dir = tmp_path / "my_app"
    made = run(venv / "bin" / "anvil-pyodide", "new", app_dir, cwd=tmp_path)
    assert "anvil-pyodide serve" in made.stdout
    assert sorted(p.relative_to(app_dir).as_posix() for p in app_dir.rglob("*.py")) == [
        "client_code/main.py", "client_code/shapes.py", "server_code/geometry.py"]
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("ANVIL_PYODIDE", "PYTHON"))}
    with LiveServer(app_dir, command=[str(venv / "bin" / "anvil-pyodide")], cwd=tmp_path, env=clean_env) as server:
        page = browser.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        try:
            page.goto(server.url + "/")
            page.wait_for_function("() => document.body.textContent.startsWith('Refused:') || "
                                   "(window.anvilPyodide && anvilPyodide.error)", timeout=120_000)
            assert page.evaluate("() => anvilPyodide.error && anvilPyodide.error.message") is None
            assert page.inner_text("body") == "Refused: 300x400 is too big"
        finally:
            page.close()
        assert requested and all(url.startswith(server.url + "/") for url in requested), requested
        served = {url.rsplit("/", 1)[1] for url in requested}
        assert {"anvil-pyodide.js", "runtime.mjs", "pyodide.asm.wasm"} <= served
    installed = run(venv / "bin" / "python", "-c", "import anvil_pyodide, sys; print(anvil_pyodide.__file__)").stdout
    assert installed.startswith(str(venv)), installed  # the package in the venv, not the checkout
