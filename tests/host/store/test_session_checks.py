"""Calls soon after a connection found its session skip the store; the session's data is read when first used.

Two :class:`SessionStore` objects on one shared store stand for two server processes. Times come from a
clock the test moves (no sleeps): the connection's check interval, and — for memory and SQLite, whose
expiries use an injectable clock — the store's idle expiry too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import anvil.server
import pytest

from anvil_pyodide.sessions.store import Session, SessionStore
from anvil_pyodide.store import Store, StoreSettings
from anvil_pyodide.store.memory import MemoryStore
from anvil_pyodide.store.sqlite import SqliteStore

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """A store that counts the session look-ups made through it (everything else passes through)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.lookups = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get_session(self, token: str) -> Any:
        self.lookups += 1
        return await self._store.get_session(token)


def shared_only(fn: Callable) -> Callable:
    fn.store_kinds = ["sqlite", "redis"]
    return fn


async def opened(make_store: Callable[..., Store]) -> Store:
    store = make_store()
    await store.open()
    return store


async def pending_session(sessions: SessionStore) -> tuple[str, Session]:
    """A new session's token, and the pending session a call right after a first (checking) call gets."""
    token = (await sessions.create()).token
    recent = sessions.recent_check()
    assert (await sessions.open(token, recent)).loaded
    pending = await sessions.open(token, recent)
    assert pending is not None and not pending.loaded
    return token, pending


async def test_calls_within_the_interval_do_not_ask_the_store_until_they_use_the_data(
        make_store: Callable[..., Store]) -> None:
    store = await opened(make_store)
    counted, clock = CountingStore(store), Clock()
    sessions = SessionStore(counted, check_interval=5.0, clock=clock)  # type: ignore[arg-type]
    token = (await sessions.create()).token
    recent = sessions.recent_check()
    first = await sessions.open(token, recent)
    assert first is not None and first.loaded and counted.lookups == 1  # the first call asks
    for _ in range(10):
        clock.now += 0.4
        pending = await sessions.open(token, recent)
        assert pending is not None and not pending.loaded and pending.secret == first.secret
        await sessions.save(pending)  # never used: nothing to save, nothing asked
    assert counted.lookups == 1
    await pending.load()
    assert pending.loaded and pending.data == {} and counted.lookups == 2
    clock.now += 5.0  # past the interval since that read: ask again
    assert (await sessions.open(token, recent)).loaded and counted.lookups == 3
    await store.close()


async def test_a_pending_session_used_in_a_worker_thread_reads_the_store_then(
        make_store: Callable[..., Store]) -> None:
    store = await opened(make_store)
    sessions = SessionStore(store, clock=Clock())
    token, pending = await pending_session(sessions)
    writer = await sessions.get(token)
    writer.data["cart"] = ["tea"]
    await sessions.save(writer)  # written after the call started, before it used the session

    def in_the_function() -> Any:
        pending.data["seen"] = True
        return dict(pending.data)
    assert await asyncio.to_thread(in_the_function) == {"cart": ["tea"], "seen": True}
    await sessions.save(pending)
    assert (await sessions.get(token)).data == {"cart": ["tea"], "seen": True}
    await store.close()


async def test_a_pending_session_used_on_the_event_loop_before_it_is_loaded_is_a_clear_error(
        make_store: Callable[..., Store]) -> None:
    store = await opened(make_store)
    _, pending = await pending_session(SessionStore(store, clock=Clock()))
    with pytest.raises(RuntimeError, match=r"await session.load\(\)"):
        pending.data
    await pending.load()
    assert pending.data == {}
    await store.close()


async def test_concurrent_uses_of_a_pending_session_share_one_store_read(make_store: Callable[..., Store]) -> None:
    store = await opened(make_store)
    counted = CountingStore(store)
    _, pending = await pending_session(SessionStore(counted, clock=Clock()))  # type: ignore[arg-type]
    before = counted.lookups
    await asyncio.gather(pending.load(), pending.load(), asyncio.to_thread(lambda: pending.data))
    assert counted.lookups == before + 1
    await store.close()


@shared_only
async def test_a_session_expired_through_another_process_is_noticed_on_its_next_use(
        make_store: Callable[..., Store]) -> None:
    here_store, there_store = await opened(make_store), await opened(make_store)
    here, there = SessionStore(here_store, clock=Clock()), SessionStore(there_store, clock=Clock())
    token = (await here.create()).token
    recent = here.recent_check()
    assert await here.open(token, recent) is not None
    await there.expire(token)  # e.g. a log-in through the other process moved the page to a new session
    pending = await here.open(token, recent)  # within the interval: not asked yet
    assert pending is not None
    with pytest.raises(anvil.server.SessionExpiredError, match="^Session expired$"):
        await asyncio.to_thread(lambda: pending.data)
    assert await here.open(token, recent) is None  # and the connection asks the store from then on
    await here_store.close()
    await there_store.close()


async def test_a_session_expired_through_this_process_is_noticed_by_every_connection_at_once(
        make_store: Callable[..., Store]) -> None:
    store = await opened(make_store)
    sessions = SessionStore(store, clock=Clock())
    token = (await sessions.create()).token
    one, two = sessions.recent_check(), sessions.recent_check()
    assert await sessions.open(token, one) is not None and await sessions.open(token, two) is not None
    await sessions.expire(token)
    assert await sessions.open(token, one) is None and await sessions.open(token, two) is None
    await store.close()


@shared_only
async def test_a_write_through_another_process_is_read_by_the_next_call_that_uses_the_session(
        make_store: Callable[..., Store]) -> None:
    here_store, there_store = await opened(make_store), await opened(make_store)
    here, there = SessionStore(here_store, clock=Clock()), SessionStore(there_store, clock=Clock())
    token = (await here.create()).token
    recent = here.recent_check()
    first = await here.open(token, recent)
    first.data["n"] = 1
    await here.save(first)
    other = await there.get(token)
    other.data["n"] = 2
    await there.save(other)
    pending = await here.open(token, recent)
    await pending.load()
    assert pending.data == {"n": 2}
    await here_store.close()
    await there_store.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_calls_that_skip_the_store_still_keep_an_active_session_alive_past_its_idle_timeout(
        kind: str, tmp_path: Path) -> None:
    """Idle timeout 100 s, so the interval is 5 s (its default, under a tenth of it): a call every 4 s for
    400 s asks the store only every other call, yet the session lives; 100 s without a call end it."""
    clock = Clock()
    settings = StoreSettings(session_idle_timeout=100.0, session_first_use_timeout=100.0)
    store: Store = MemoryStore(settings, clock=clock) if kind == "memory" else \
        SqliteStore(tmp_path / "state.sqlite3", settings, clock=clock)
    await store.open()
    counted = CountingStore(store)
    sessions = SessionStore(counted, clock=clock)  # type: ignore[arg-type]
    assert sessions.check_interval == 5.0
    token = (await sessions.create()).token
    recent = sessions.recent_check()
    for _ in range(100):
        assert await sessions.open(token, recent) is not None
        clock.now += 4.0
    assert counted.lookups == 50
    clock.now += 100.0
    assert await sessions.open(token, recent) is None
    await store.close()


async def test_the_interval_is_at_most_a_tenth_of_the_idle_timeout_and_zero_asks_on_every_call() -> None:
    short = SessionStore(MemoryStore(StoreSettings(session_idle_timeout=4.0)))
    assert short.check_interval == 0.4
    counted = CountingStore(MemoryStore())
    every = SessionStore(counted, check_interval=0, clock=Clock())  # type: ignore[arg-type]
    token = (await every.create()).token
    recent = every.recent_check()
    sessions = [await every.open(token, recent) for _ in range(3)]
    assert all(s is not None and s.loaded for s in sessions) and counted.lookups == 3


async def test_a_detached_session_is_always_loaded() -> None:
    session = Session.detached({"n": 1})
    await session.load()
    assert session.loaded and session.data == {"n": 1}
