"""Fixtures for the server tests: real server processes (``python -m anvil_pyodide serve``) on 127.0.0.1.

A few servers serve the whole suite: ``server`` (default options), ``tuned_server``
(``--call-timeout 1 --forward-output --max-media-bytes 1000000``) and ``expiring_server`` (``--session-timeout 4``), each
started the first time a test asks for it. The test app is ``tests/apps/basic``; its
``client_code/basic_shared.py`` (a portable class and a custom exception) is imported here too,
so this process decodes them as the browser would.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[3]
BASIC_APP = ROOT / "tests" / "apps" / "basic"
for path in (ROOT, BASIC_APP / "client_code"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import basic_shared  # noqa: E402,F401 - registers Point and OutOfStock in this process
import httpx  # noqa: E402

from tests.support.live_server import LiveServer  # noqa: E402


def _serve(*args: str) -> Iterator[LiveServer]:
    with LiveServer(BASIC_APP, *args) as server:
        yield server


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    """The test app with default options."""
    yield from _serve()


@pytest.fixture(scope="session")
def tuned_server() -> Iterator[LiveServer]:
    """The test app with a 1 s call timeout, print output forwarded to callers, and at most 1 MB of media a call."""
    yield from _serve("--call-timeout", "1", "--forward-output", "--max-media-bytes", "1000000")


@pytest.fixture(scope="session")
def expiring_server() -> Iterator[LiveServer]:
    """The test app with sessions expiring after 4 s idle."""
    yield from _serve("--session-timeout", "4")


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    """A plain HTTP client for ``server`` (no proxies: traffic stays on 127.0.0.1)."""
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
        yield client


def page_session_token(base_url: str) -> str:
    """Load the app page like a browser does and return the session token from its cookie."""
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
        return client.get("/").cookies["anvil-session"]


@pytest.fixture
def new_session() -> Callable[[str], str]:
    """``new_session(server.url)``: a fresh session token, as the app page hands it out."""
    return page_session_token
