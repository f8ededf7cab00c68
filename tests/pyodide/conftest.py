"""Fixtures for the tests that run inside Pyodide (pytest-pyodide 0.59.2, runtimes node and chrome).

* Chrome: pytest-pyodide's selenium runner starts `Chrome(options=...)`, which would ask
  selenium-manager for a driver and a browser. We patch `SeleniumChromeRunner.get_driver` (the
  runner class that pytest-pyodide exports) to use Debian's /usr/bin/chromium and
  /usr/bin/chromedriver with our flags and a fresh temporary profile, and set SE_OFFLINE so
  selenium-manager never downloads anything.
* `selenium_anvil`: a Pyodide (module-scoped, like pytest-pyodide's `selenium`) with the runtime
  wheel from the dist loaded, so `@run_in_pyodide` tests can `import anvil`.
* `copy_source_to_pyodide` (also as the fixture `pyodide_copy_source`): put a host-side source
  file into the Pyodide file system and its directory on `sys.path`.
* pytest-pyodide's own file server binds every interface (`("", 0)`); we make it bind 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socketserver
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_pyodide.server
from pytest_pyodide import SeleniumChromeRunner, set_webdriver_script_timeout
from pytest_pyodide.utils import parse_driver_timeout

os.environ["SE_OFFLINE"] = "true"


class _LoopbackTCPServer(socketserver.TCPServer):
    """A TCPServer that listens on 127.0.0.1 when asked for every interface."""

    def __init__(self, server_address: tuple[str, int], *args: Any, **kwargs: Any) -> None:
        host, port = server_address
        super().__init__((host or "127.0.0.1", port), *args, **kwargs)


# pytest-pyodide's server module looks TCPServer up on its `socketserver` global when it starts a server.
pytest_pyodide.server.socketserver = types.SimpleNamespace(TCPServer=_LoopbackTCPServer)  # type: ignore[attr-defined]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUNTIME_WHEEL_GLOB = "anvil_pyodide_runtime-*.whl"


def _debian_chrome_driver(self: SeleniumChromeRunner, jspi: bool = False) -> Any:
    """Replacement for SeleniumChromeRunner.get_driver: Debian's Chromium and chromedriver, offline."""
    from selenium.webdriver import Chrome
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    self._anvil_profile = tempfile.mkdtemp(prefix="anvil-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={self._anvil_profile}")
    if jspi:
        options.add_argument("--enable-features=WebAssemblyExperimentalJSPI")
        options.add_argument("--enable-experimental-webassembly-features")
    for flag in self._config.get_flags("chrome"):  # pytest-pyodide's own (--js-flags=--expose-gc)
        options.add_argument(flag)
    return Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


_original_quit = SeleniumChromeRunner.quit


def _quit_and_remove_profile(self: SeleniumChromeRunner) -> None:
    try:
        _original_quit(self)
    finally:
        shutil.rmtree(getattr(self, "_anvil_profile", ""), ignore_errors=True)


SeleniumChromeRunner.get_driver = _debian_chrome_driver  # type: ignore[method-assign]
# Loading Pyodide (before any test's own driver_timeout applies) may take longer than pytest-pyodide's 20 s on a
# busy 2-core machine: every Chrome module errored with "script timeout" at load average 18. Wait for the load.
SeleniumChromeRunner.script_timeout = 120
SeleniumChromeRunner.quit = _quit_and_remove_profile  # type: ignore[method-assign]


def runtime_wheel_name(dist_dir: Path) -> str:
    """File name of the runtime wheel that build.sh copied into the dist."""
    wheels = sorted(dist_dir.glob(RUNTIME_WHEEL_GLOB))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one {RUNTIME_WHEEL_GLOB} in {dist_dir}, found {wheels} (run ./build.sh setup)")
    return wheels[0].name


def copy_source_to_pyodide(selenium: Any, source: Path, dest_dir: str = "/home/pyodide/host_src") -> str:
    """Write the host file `source` to `dest_dir` in Pyodide's file system and put `dest_dir`
    on sys.path. Returns the path of the copy inside Pyodide."""
    dest = f"{dest_dir}/{source.name}"
    selenium.run_js(
        f"""
        pyodide.FS.mkdirTree({json.dumps(dest_dir)});
        pyodide.FS.writeFile({json.dumps(dest)}, {json.dumps(source.read_text(encoding="utf-8"))});
        """
    )
    selenium.run(
        f"import importlib, sys\n"
        f"if {dest_dir!r} not in sys.path: sys.path.insert(0, {dest_dir!r})\n"
        f"importlib.invalidate_caches()\n"
    )
    return dest


@pytest.fixture(scope="session")
def pyodide_copy_source() -> Callable[..., str]:
    """`copy_source_to_pyodide` as a fixture, so test modules need not import this conftest."""
    return copy_source_to_pyodide


@pytest.fixture(scope="module")
def selenium_anvil_module_scope(request: pytest.FixtureRequest, selenium_module_scope: Any) -> Any:
    """pytest-pyodide's module-scoped Pyodide with the anvil runtime wheel loaded from the dist."""
    selenium_module_scope.load_package(runtime_wheel_name(Path(request.config.option.dist_dir)))
    return selenium_module_scope


@pytest.fixture
def selenium_anvil(request: pytest.FixtureRequest, selenium_anvil_module_scope: Any) -> Iterator[Any]:
    """Per-test view of `selenium_anvil_module_scope` (logs cleared and printed, driver_timeout mark honoured),
    the same way pytest-pyodide's `selenium` wraps `selenium_module_scope`."""
    selenium = selenium_anvil_module_scope
    selenium.clean_logs()
    with set_webdriver_script_timeout(selenium, script_timeout=parse_driver_timeout(request.node)):
        try:
            yield selenium
        finally:
            with contextlib.suppress(ValueError):
                print(selenium.logs)
