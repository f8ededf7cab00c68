"""Choosing a store (URLs, defaults, clear errors), the SQLite file's place, and Redis outages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from anvil_pyodide.store import StoreUnavailableError, StoreUrlError, default_store_url, open_store
from anvil_pyodide.store.memory import MemoryStore
from anvil_pyodide.store.redis_store import RedisStore
from anvil_pyodide.store.sqlite import SqliteStore
from tests.support.redis_server import RedisServer, redis_available

pytestmark = [pytest.mark.timeout(120)]


@pytest.mark.parametrize("url, kind", [("memory", MemoryStore), (" memory ", MemoryStore),
                                       ("sqlite:///state.sqlite3", SqliteStore),
                                       ("sqlite:////tmp/x/state.sqlite3", SqliteStore),
                                       ("redis://127.0.0.1:6379/0", RedisStore), ("redis://localhost", RedisStore),
                                       ("rediss://:pw@cache.example:6380/3", RedisStore),
                                       ("unix:///run/redis.sock?db=1", RedisStore)])
def test_each_url_opens_its_kind_of_store(url: str, kind: type) -> None:
    assert type(open_store(url)) is kind


def test_sqlite_paths_are_relative_with_three_slashes_and_absolute_with_four() -> None:
    assert open_store("sqlite:///data/s.sqlite3").path == Path("data/s.sqlite3")
    assert open_store("sqlite:////srv/app/s.sqlite3").path == Path("/srv/app/s.sqlite3")


@pytest.mark.parametrize("url, message", [
    ("postgres://db/app", "unknown store 'postgres://db/app': use sqlite:///PATH, redis://HOST:PORT/DB or memory"),
    ("", "unknown store ''"),
    ("Memory", "unknown store 'Memory'"),
    ("sqlite://state.sqlite3", "bad SQLite store"),
    ("sqlite:///", "bad SQLite store"),
    ("redis://127.0.0.1:notaport/0", "the port is not a number"),
    ("redis://127.0.0.1:6379/zero", "the database 'zero' is not a number"),
    ("redis:///0", "no host"),
])
def test_a_bad_url_gets_an_error_saying_what_would_work(url: str, message: str) -> None:
    with pytest.raises(StoreUrlError, match=message.replace("(", r"\(").replace("/", "/")):
        open_store(url)


def test_the_default_store_is_a_sqlite_file_in_the_app_folder(tmp_path: Path) -> None:
    store = open_store(default_store_url(tmp_path))
    assert isinstance(store, SqliteStore) and store.path == tmp_path / ".anvil-data" / "state.sqlite3"


@pytest.mark.asyncio
async def test_the_sqlite_file_and_its_folder_are_created_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "app" / ".anvil-data" / "state.sqlite3"
    async with open_store(f"sqlite:///{path}"):
        assert path.exists()
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.asyncio
async def test_an_unusable_sqlite_path_is_an_error_naming_the_store(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = open_store(f"sqlite:///{blocker / 'state.sqlite3'}")
    with pytest.raises(StoreUnavailableError, match=f"the state store sqlite:///{blocker}/state.sqlite3 is unavailable"):
        await store.open()
    await store.close()


def test_the_redis_password_is_not_in_messages() -> None:
    assert open_store("redis://:hunter2@127.0.0.1:1/0").description == "redis://:***@127.0.0.1:1/0"


@pytest.mark.asyncio
async def test_an_unreachable_redis_is_an_error_naming_the_store() -> None:
    from tests.support.live_server import free_port
    url = f"redis://127.0.0.1:{free_port()}/0"
    store = open_store(url)
    with pytest.raises(StoreUnavailableError, match=f"the state store {url} is unavailable: .*[Cc]onnect"):
        await store.open()
    await store.close()


@pytest.mark.asyncio
@pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")
async def test_a_redis_outage_fails_operations_clearly_then_they_recover_by_themselves() -> None:
    with RedisServer() as server:
        async with open_store(server.url) as store:
            session = await store.create_session()
            await store.save_session(session.token, {"a": "1"}, [])
            server.stop()
            for operation in (store.get_session(session.token), store.create_session(), store.list_tasks(),
                              store.save_session(session.token, {"b": "2"}, []), store.uplink_owners("f")):
                with pytest.raises(StoreUnavailableError, match=f"the state store {server.url} is unavailable"):
                    await operation
            server.start()  # a fresh, empty Redis on the same port: the same store object works again
            assert await store.get_session(session.token) is None
            again = await store.create_session()
            assert await store.save_session(again.token, {"b": "2"}, [])
            assert (await store.get_session(again.token)).data == {"b": "2"}
