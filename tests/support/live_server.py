"""Starts the real server (``python -m anvil_pyodide serve``) on 127.0.0.1 for a test, and stops it.

Example (in a test):
    with LiveServer(app_dir) as server:
        urllib.request.urlopen(server.url + "/_/check-app-online")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: An opener that ignores proxy settings: test traffic stays on 127.0.0.1.
LOCAL_ONLY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """One server process for an app folder; ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, app_dir: Path, *extra_args: str, port: int | None = None,
                 command: list[str] | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
        """``command`` replaces ``python -m anvil_pyodide`` (e.g. an installed ``anvil-pyodide`` script)."""
        self.app_dir = Path(app_dir)
        self.command = command or [sys.executable, "-m", "anvil_pyodide"]
        self.cwd = cwd
        self.env = env
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self._log: Any = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"anvil-pyodide-server-{self.port}.log"

    def start(self, timeout: float = 30) -> "LiveServer":
        self._log = log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [*self.command, "serve", str(self.app_dir), "--host", "127.0.0.1", "--port", str(self.port), *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                with LOCAL_ONLY.open(self.url + "/_/check-app-online", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not come up in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
