"""Requests between processes through a real Redis (:mod:`anvil_pyodide.store.redis_bus`): replies with binary
parts, a failing handler, a process that never answers, and an entry that is not one of ours."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import pytest
import pytest_asyncio

from anvil_pyodide.store import StoreSettings, open_store
from anvil_pyodide.store.redis_bus import Envelope, HandlerFailedError, ProcessGoneError, inbox_key
from anvil_pyodide.store.redis_store import RedisStore

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

#: Short enough that a process that never answers is given up on soon, long enough that a loaded machine
#: does not miss a heartbeat of a live one.
TTL = 3.0


@pytest_asyncio.fixture
async def stores(redis_server: Any) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    """Two processes' stores on one Redis (each its own client, as in two processes)."""
    made = [open_store(redis_server.url, StoreSettings(process_ttl=TTL)) for _ in range(2)]
    for store in made:
        await store.open()
    yield made[0], made[1]  # type: ignore[return-value]
    for store in made:
        await store.close()


class Process:
    """One process's bus, reading its inbox and sending heartbeats (as the server's upkeep does) until stopped."""

    def __init__(self, store: RedisStore, process: str, **handlers: Any) -> None:
        self.bus = store.bus(process)
        for kind, handler in handlers.items():
            self.bus.on(kind, handler)
        self.store, self.process = store, process
        self.jobs: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> "Process":
        await self.store.heartbeat(self.process)
        self.jobs = [asyncio.create_task(self.bus.run()), asyncio.create_task(self._beat())]
        return self

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(TTL / 3)
            await self.store.heartbeat(self.process)

    async def __aexit__(self, *exc: object) -> None:
        for job in self.jobs:
            job.cancel()


async def echo(request: Envelope) -> Envelope:
    return Envelope(request.body)


async def test_a_request_gets_its_reply_with_binary_parts_unchanged(stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores

    async def reverse(request: Envelope) -> Envelope:
        return Envelope({"got": request.body, "sizes": [len(p) for p in request.parts]},
                        [p[::-1] for p in request.parts])
    async with Process(a, "proc-a") as asker, Process(b, "proc-b", reverse=reverse):
        parts = [bytes(range(256)) * 40, b"", b"\xff\xfe not utf-8"]
        reply = await asker.bus.request("proc-b", "reverse", Envelope({"n": [1, "x"]}, parts))
        assert reply.body == {"got": {"n": [1, "x"]}, "sizes": [10240, 0, 12]}
        assert reply.parts == [p[::-1] for p in parts]


async def test_concurrent_requests_each_get_their_own_reply(stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores
    async with Process(a, "proc-a") as asker, Process(b, "proc-b", echo=echo):
        answers = await asyncio.gather(*(asker.bus.request("proc-b", "echo", Envelope(i)) for i in range(50)))
        assert [r.body for r in answers] == list(range(50))


async def test_a_failing_handler_fails_the_request_with_its_reason(stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores

    async def broken(request: Envelope) -> Envelope:
        raise KeyError("no such thing")
    async with Process(a, "proc-a") as asker, Process(b, "proc-b", broken=broken):
        with pytest.raises(HandlerFailedError, match="KeyError: 'no such thing'"):
            await asker.bus.request("proc-b", "broken", Envelope(None))
        with pytest.raises(HandlerFailedError, match="no handler for requests of kind 'unknown'"):
            await asker.bus.request("proc-b", "unknown", Envelope(None))


async def test_a_request_to_a_process_that_stops_sending_heartbeats_fails(
        stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores
    await b.heartbeat("proc-silent")  # alive for TTL seconds, but it never reads its inbox nor beats again
    async with Process(a, "proc-a") as asker:
        with pytest.raises(ProcessGoneError, match="proc-silent stopped before it replied"):
            await asyncio.wait_for(asker.bus.request("proc-silent", "anything", Envelope(None)), 30)


async def test_an_entry_that_is_not_a_request_is_dropped_and_the_inbox_keeps_serving(
        stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores
    async with Process(a, "proc-a") as asker, Process(b, "proc-b", echo=echo):
        await a.client.xadd(inbox_key("proc-b"), {"junk": b"\x00"})
        await a.client.xadd(inbox_key("proc-b"), {"kind": "echo", "id": "x", "from": "proc-a", "body": "{not json"})
        assert (await asker.bus.request("proc-b", "echo", Envelope("still here"))).body == "still here"
