"""The users part of the store contract, run against memory, SQLite and a real redis-server alike."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

import pytest

from anvil_pyodide.store import Store

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


async def test_a_new_user_is_found_by_id_and_by_email(store: Store) -> None:
    user = await store.create_user("ada@example.com", "scrypt$hash", {"name": '"Ada"'})
    assert user is not None and user.email == "ada@example.com"
    for found in (await store.get_user(user.id), await store.find_user("ada@example.com")):
        assert (found.id, found.email, found.password_hash, found.columns, found.failures, found.last_failure) == \
            (user.id, "ada@example.com", "scrypt$hash", {"name": '"Ada"'}, 0, None)
    assert await store.get_user("no-such-id") is None
    assert await store.find_user("bob@example.com") is None


async def test_an_email_address_is_taken_only_once(store: Store) -> None:
    first = await store.create_user("ada@example.com", "h1", {})
    assert first is not None
    assert await store.create_user("ada@example.com", "h2", {}) is None
    assert (await store.find_user("ada@example.com")).password_hash == "h1"


async def test_two_processes_signing_up_one_address_give_one_user(make_store: Callable[..., Store]) -> None:
    async with make_store() as a:
        b = make_store() if a.shared else a
        if b is not a:
            await b.open()
        results = await asyncio.gather(*[s.create_user("race@example.com", "h", {}) for s in (a, b, a, b)])
        assert sum(r is not None for r in results) == 1
        if b is not a:
            await b.close()


async def test_update_writes_changed_columns_deletes_deleted_ones_and_sets_the_hash(store: Store) -> None:
    user = await store.create_user("ada@example.com", "old", {"name": '"Ada"', "team": '"x"', "n": "1"})
    assert await store.update_user(user.id, {"n": "2"}, ["team"])
    assert await store.update_user(user.id, {}, [], password_hash="new")
    found = await store.get_user(user.id)
    assert found.columns == {"name": '"Ada"', "n": "2"} and found.password_hash == "new"
    assert not await store.update_user("no-such-id", {"n": "3"})


async def test_returned_records_are_copies(store: Store) -> None:
    user = await store.create_user("ada@example.com", "h", {})
    found = await store.get_user(user.id)
    found.columns["x"] = "1"
    assert (await store.get_user(user.id)).columns == {}


async def test_password_failures_count_up_and_clear(store: Store) -> None:
    user = await store.create_user("ada@example.com", "h", {})
    counts = [await store.count_password_failure(user.id, 100.0 + i) for i in range(3)]
    assert counts == [1, 2, 3]
    found = await store.get_user(user.id)
    assert (found.failures, found.last_failure) == (3, 102.0)
    await store.clear_password_failures(user.id)
    found = await store.get_user(user.id)
    assert (found.failures, found.last_failure) == (0, None)
    assert await store.count_password_failure("no-such-id", 1.0) == 0


async def test_concurrent_failures_are_all_counted(make_store: Callable[..., Store]) -> None:
    async with make_store() as a:
        b = make_store() if a.shared else a
        if b is not a:
            await b.open()
        user = await a.create_user("ada@example.com", "h", {})
        counts = await asyncio.gather(*[s.count_password_failure(user.id, 1.0) for s in (a, b) * 5])
        assert sorted(counts) == list(range(1, 11))
        if b is not a:
            await b.close()


async def test_a_remembered_login_names_its_user_until_revoked(store: Store) -> None:
    user = await store.create_user("ada@example.com", "h", {})
    other = await store.create_user("bob@example.com", "h", {})
    later = time.time() + 3600
    await store.remember_login("hash-1", user.id, later)
    await store.remember_login("hash-2", user.id, later)
    await store.remember_login("hash-3", other.id, later)
    assert [await store.remembered_user(h) for h in ("hash-1", "hash-2", "hash-3", "nope")] == \
        [user.id, user.id, other.id, None]
    await store.forget_logins(user.id)
    assert [await store.remembered_user(h) for h in ("hash-1", "hash-2", "hash-3")] == [None, None, other.id]


async def test_a_remembered_login_expires(store: Store) -> None:
    user = await store.create_user("ada@example.com", "h", {})
    await store.remember_login("soon", user.id, time.time() + 0.3)
    await store.remember_login("past", user.id, time.time() - 1)
    assert await store.remembered_user("past") is None
    deadline = time.monotonic() + 20
    while await store.remembered_user("soon") is not None:
        assert time.monotonic() < deadline, "the remembered login never expired"
        await asyncio.sleep(0.1)


async def test_users_outlive_a_restart_of_a_shared_store(make_store: Callable[..., Store]) -> None:
    async with make_store() as first:
        if not first.shared:
            pytest.skip("memory keeps nothing across restarts")
        user = await first.create_user("ada@example.com", "h", {"n": "1"})
        await first.remember_login("tok", user.id, time.time() + 60)
    async with make_store() as again:
        assert (await again.find_user("ada@example.com")).columns == {"n": "1"}
        assert await again.remembered_user("tok") == user.id
