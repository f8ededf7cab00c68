"""The outbox keeps the order of what is put, from the loop or from worker threads (a capability update an
uplink's answer carries reaches the browser before that call's reply: it was flaky in
tests/conformance/test_uplink_across_processes.py under load)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from anvil_pyodide.calls.outbox import Outbox

pytestmark = pytest.mark.asyncio


async def texts(outbox: Outbox, count: int) -> list[dict]:
    return [json.loads((await outbox.get()).text) for _ in range(count)]  # type: ignore[union-attr]


async def test_a_threadsafe_put_on_the_loop_goes_before_a_put_after_it() -> None:
    outbox = Outbox(asyncio.get_running_loop())
    outbox.put_threadsafe({"id": "c1", "capUpdates": {"[\"doc\"]": 1}})
    outbox.put({"id": "c1", "response": "done"})
    assert [list(m)[1] for m in await texts(outbox, 2)] == ["capUpdates", "response"]


async def test_threadsafe_puts_from_a_worker_thread_keep_their_order_before_the_reply() -> None:
    loop = asyncio.get_running_loop()
    outbox = Outbox(loop)

    def worker() -> None:
        for i in range(3):
            outbox.put_threadsafe({"id": "c1", "output": str(i)})
    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.to_thread(thread.join)
    outbox.put({"id": "c1", "response": "done"})
    assert [m.get("output", m.get("response")) for m in await texts(outbox, 4)] == ["0", "1", "2", "done"]
