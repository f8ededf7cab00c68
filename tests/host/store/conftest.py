"""Fixtures for the store contract tests: one ``store`` fixture parametrised over memory, SQLite and a
real redis-server (started once for the module on a free port; its database is emptied between tests)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from anvil_pyodide.store import Store, StoreSettings, open_store  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402,F401 - the fixture

KINDS = ["memory", "sqlite", "redis"]


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = request.param
    if kind == "memory":
        return "memory"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'state.sqlite3'}"
    server = request.getfixturevalue("redis_server")
    import redis
    client = redis.Redis.from_url(server.url)
    client.flushdb()
    client.close()
    return server.url


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[..., Store]]:
    """Opens (not yet ``open()``ed) stores on this test's URL; closes them after the test."""
    made: list[Store] = []

    def make(**settings: float) -> Store:
        store = open_store(store_url, StoreSettings(**settings))
        made.append(store)
        return store
    yield make


@pytest_asyncio.fixture
async def store(make_store: Callable[..., Store]) -> AsyncIterator[Store]:
    opened = make_store()
    await opened.open()
    yield opened
    await opened.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_url" in metafunc.fixturenames and not any(m.name == "parametrize" and "store_url" in m.args[0]
                                                        for m in metafunc.definition.iter_markers()):
        kinds = getattr(metafunc.function, "store_kinds", KINDS)
        metafunc.parametrize("store_url", kinds, indirect=True)
