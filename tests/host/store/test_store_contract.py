"""The contract every store meets, run against memory, SQLite and a real redis-server alike."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

import pytest

from anvil_pyodide.store import Store, StoredTask

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

WRITER = Path(__file__).with_name("store_writer.py")
ROOT = Path(__file__).resolve().parents[3]


def shared_only(fn: Callable) -> Callable:
    """Run a test only on the stores several processes can share."""
    fn.store_kinds = ["sqlite", "redis"]
    return fn


@asynccontextmanager
async def two_handles(make_store: Callable[..., Store]) -> AsyncIterator[tuple[Store, Store]]:
    """Two open handles on one store: two connections for a shared store, the same object for memory."""
    async with make_store() as a:
        if not a.shared:
            yield a, a
            return
        async with make_store() as b:
            yield a, b


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20,
                     interval: float = 0.1) -> None:
    """Wait for an expiry we asked for (never a fixed sleep as the assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout}s")


# Sessions ------------------------------------------------------------------------------------
async def test_a_new_session_is_empty_and_found_by_its_token(store: Store) -> None:
    session = await store.create_session()
    found = await store.get_session(session.token)
    assert found is not None
    assert (found.token, found.secret, found.data) == (session.token, session.secret, {})
    assert len(session.secret) == 32
    assert await store.get_session("no-such-token") is None


async def test_each_session_has_its_own_token_and_secret(store: Store) -> None:
    a, b = await store.create_session(), await store.create_session()
    assert a.token != b.token and a.secret != b.secret


async def test_save_writes_changed_keys_and_deletes_deleted_ones_leaving_the_rest(store: Store) -> None:
    session = await store.create_session()
    assert await store.save_session(session.token, {"user": '"ada"', "cart": "[1]", "n": "1"}, [])
    assert await store.save_session(session.token, {"n": "2"}, ["cart"])
    assert (await store.get_session(session.token)).data == {"user": '"ada"', "n": "2"}


async def test_the_data_returned_is_a_copy(store: Store) -> None:
    session = await store.create_session()
    found = await store.get_session(session.token)
    found.data["x"] = "1"
    assert (await store.get_session(session.token)).data == {}


async def test_saving_to_an_unknown_session_says_so(store: Store) -> None:
    assert await store.save_session("no-such-token", {"a": "1"}, []) is False
    assert await store.get_session("no-such-token") is None


async def test_a_deleted_session_is_gone(store: Store) -> None:
    session = await store.create_session()
    await store.save_session(session.token, {"a": "1"}, [])
    await store.delete_session(session.token)
    assert await store.get_session(session.token) is None
    assert await store.save_session(session.token, {"a": "2"}, []) is False
    await store.delete_session("no-such-token")


async def test_keys_and_values_keep_any_text(store: Store) -> None:
    session = await store.create_session()
    odd = {"": '""', "d:x": "1", "ключ 🔑": '"значение\\u0000"', "a:b:c": "{}"}
    await store.save_session(session.token, odd, [])
    assert (await store.get_session(session.token)).data == odd


async def test_concurrent_writers_of_different_keys_all_survive(make_store: Callable[..., Store]) -> None:
    async with two_handles(make_store) as (a, b):
        session = await a.create_session()
        writes = [store.save_session(session.token, {f"{name}{i}": str(i)}, [])
                  for i in range(30) for name, store in (("a", a), ("b", b))]
        assert all(await asyncio.gather(*writes))
        data = (await b.get_session(session.token)).data
    assert data == {f"{name}{i}": str(i) for i in range(30) for name in "ab"}


@shared_only
async def test_two_processes_writing_different_keys_both_survive(store: Store, store_url: str) -> None:
    session = await store.create_session()
    writers = [subprocess.Popen([sys.executable, str(WRITER), store_url, session.token, prefix, "40"], cwd=ROOT)
               for prefix in ("p", "q")]
    assert [w.wait(timeout=90) for w in writers] == [0, 0]
    data = (await store.get_session(session.token)).data
    assert data == {f"{prefix}{i}": str(i) for i in range(40) for prefix in "pq"}


async def test_an_idle_session_expires(make_store: Callable[..., Store]) -> None:
    async with make_store(session_idle_timeout=3600) as patient, make_store(session_idle_timeout=0.2) as hasty:
        kept = await patient.create_session()
        dropped = await hasty.create_session()
        # each look counts as use, so look less often than the idle timeout
        await eventually(lambda: _gone(hasty, dropped.token), "expiry of an idle session", interval=0.5)
        assert await hasty.save_session(dropped.token, {"a": "1"}, []) is False
        await hasty.purge_expired()
        assert await patient.get_session(kept.token) is not None


async def _gone(store: Store, token: str) -> bool:
    return await store.get_session(token) is None


@shared_only
async def test_sessions_outlive_the_store_object(make_store: Callable[..., Store]) -> None:
    async with make_store() as first:
        session = await first.create_session()
        await first.save_session(session.token, {"user": '"ada"'}, [])
    async with make_store() as second:
        found = await second.get_session(session.token)
    assert (found.secret, found.data) == (session.secret, {"user": '"ada"'})


# Background tasks ----------------------------------------------------------------------------
async def test_tasks_are_recorded_found_and_listed_oldest_first(store: Store) -> None:
    await store.put_task(StoredTask("t2", "later", start=2000.5, process="p1"))
    await store.put_task(StoredTask("t1", "earlier", start=1000.25, state='{"progress": 1}'))
    assert await store.get_task("t1") == StoredTask("t1", "earlier", start=1000.25, state='{"progress": 1}')
    assert [t.id for t in await store.list_tasks()] == ["t1", "t2"]
    assert (await store.get_task("t2")).process == "p1"
    assert await store.get_task("t3") is None


async def test_a_running_task_takes_state_updates_then_ends_once(store: Store) -> None:
    await store.put_task(StoredTask("t1", "crunch", start=time.time()))
    assert await store.update_task("t1", state='{"progress": 50}')
    assert await store.update_task("t1", status="completed", value="42")
    task = await store.get_task("t1")
    assert (task.status, task.value, task.state, task.error) == ("completed", "42", '{"progress": 50}', None)
    assert task.ended is not None and task.ended >= task.start
    assert not await store.update_task("t1", status="killed")
    assert not await store.update_task("t1", state="{}")
    assert (await store.get_task("t1")).status == "completed"
    assert not await store.update_task("unknown", status="failed")


async def test_a_task_cannot_end_with_a_status_that_is_not_final(store: Store) -> None:
    await store.put_task(StoredTask("t1", "crunch", start=time.time()))
    with pytest.raises(ValueError, match="completed, failed, killed or missing"):
        await store.update_task("t1", status="paused")


async def test_concurrent_endings_of_one_task_leave_exactly_one(make_store: Callable[..., Store]) -> None:
    async with two_handles(make_store) as (a, b):
        await a.put_task(StoredTask("t1", "crunch", start=time.time()))
        results = await asyncio.gather(a.update_task("t1", status="completed", value="1"),
                                       b.update_task("t1", status="killed"))
        assert sorted(results) == [False, True]
        ended = await b.get_task("t1")
    assert ended.status == ("completed" if results[0] else "killed")


async def test_finished_tasks_are_kept_for_the_retention_and_running_ones_forever(
        make_store: Callable[..., Store]) -> None:
    async with make_store(task_retention=0.3) as store:
        await store.put_task(StoredTask("done", "crunch", start=time.time()))
        await store.put_task(StoredTask("running", "crunch", start=time.time()))
        await store.update_task("done", status="failed", error='{"message": "no"}')
        await eventually(lambda: _task_gone(store, "done"), "expiry of a finished task")
        await store.purge_expired()
        assert [t.id for t in await store.list_tasks()] == ["running"]
        assert await store.get_task("running") is not None


async def _task_gone(store: Store, task_id: str) -> bool:
    return await store.get_task(task_id) is None and task_id not in [t.id for t in await store.list_tasks()]


@shared_only
async def test_task_records_outlive_the_store_object(make_store: Callable[..., Store]) -> None:
    async with make_store() as first:
        await first.put_task(StoredTask("t1", "crunch", start=1.5))
        await first.update_task("t1", status="completed", value='"ok"')
    async with make_store() as second:
        task = await second.get_task("t1")
    assert (task.name, task.start, task.status, task.value) == ("crunch", 1.5, "completed", '"ok"')


# Processes and uplink registrations ------------------------------------------------------------
async def test_uplink_owners_are_the_live_processes_that_registered(store: Store) -> None:
    await store.heartbeat("A")
    await store.heartbeat("B")
    await store.register_uplink("add", "B")
    await store.register_uplink("add", "A")
    await store.register_uplink("sub", "A")
    await store.register_uplink("mul", "C")  # C never sent a heartbeat
    assert await store.live_processes() >= {"A", "B"}
    assert await store.uplink_owners("add") == ["A", "B"]
    assert await store.uplink_owners("mul") == []
    await store.unregister_uplink("add", "B")
    assert await store.uplink_owners("add") == ["A"]
    await store.drop_process("A")
    assert await store.uplink_owners("add") == [] and await store.uplink_owners("sub") == []
    assert "A" not in await store.live_processes()


async def test_a_process_without_heartbeats_loses_its_registrations(make_store: Callable[..., Store]) -> None:
    async with make_store(process_ttl=0.3) as store:
        await store.heartbeat("gone")
        await store.register_uplink("add", "gone")

        async def dropped() -> bool:
            return await store.uplink_owners("add") == [] and "gone" not in await store.live_processes()
        await eventually(dropped, "a dead process's registrations being ignored")
        await store.purge_expired()
        await store.heartbeat("gone")  # a heartbeat later does not bring back what was dropped
        assert await store.uplink_owners("add") == []
