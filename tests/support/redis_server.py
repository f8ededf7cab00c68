"""A real ``redis-server`` on a free 127.0.0.1 port for a test (Debian's package; never a mock).

No persistence (``--save '' --appendonly no``), its own working folder, stopped by its pid. ``stop()``
then ``start()`` again brings it back on the same port — an outage and a recovery.

Example (in a test):
    with RedisServer() as redis:
        LiveServer(app_dir, "--store", redis.url)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from .live_server import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_available() -> bool:
    """True when Debian's redis-server is installed (``./build.sh setup`` installs it)."""
    return Path(REDIS_SERVER).exists()


class RedisServer:
    """One redis-server process; ``url`` is ``redis://127.0.0.1:<port>/0``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = Path(tempfile.mkdtemp(prefix="anvil-pyodide-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> "RedisServer":
        log = (self.dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}: {self.log()}")
            if self._answers_ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout}s: {self.log()}")

    def stop(self) -> None:
        """Stop this server by its pid (SIGTERM, then SIGKILL) and wait until it has exited."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        try:
            return (self.dir / "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for the whole run (tests needing it skip when it is not installed).

    Import it into a conftest.py to use it there.
    """
    if not redis_available():
        pytest.skip("redis-server is not installed (./build.sh setup installs it)")
    with RedisServer() as server:
        yield server
