"""Where a no-op call's server time goes, piece by piece, in this process (no sockets): the JSON read and
limits, decode, encode, the reply's JSON text, the worker-thread hop, and the whole call handler for a sync and
an ``async def`` function (CPU µs per call: min and median of 5 rounds). docs/performance.md, "Server rows".

Usage: .venv/bin/python bench/server_call_pieces.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anvil._wire import decode_message, encode_message  # noqa: E402
from anvil_pyodide.calls.browser_peer import BrowserPeer  # noqa: E402
from anvil_pyodide.calls.dispatcher import Dispatcher  # noqa: E402
from anvil_pyodide.calls.handler import CallHandler  # noqa: E402
from anvil_pyodide.calls.message_limits import MessageLimits  # noqa: E402
from anvil_pyodide.calls.outbox import Outbox, encoded  # noqa: E402
from anvil_pyodide.calls.reader import MessageReader  # noqa: E402
from anvil_pyodide.calls.registry import FunctionRegistry  # noqa: E402
from anvil_pyodide.cli import install_server_api  # noqa: E402
from anvil_pyodide.config import ServerConfig  # noqa: E402
from anvil_pyodide.sessions.store import SessionStore  # noqa: E402
from anvil_pyodide.store import open_store  # noqa: E402

N = 4000
TEXT = json.dumps({"type": "CALL", "id": "bench-1", "command": "noop", "args": [], "kwargs": {}, "vt_global": [],
                   "objects": []})


def report(label: str, rounds: list[float]) -> None:
    print(f"{label:44s} {min(rounds):7.1f} µs  (median {statistics.median(rounds):.1f})")


def sync_piece(label: str, fn: Callable[[], Any]) -> None:
    rounds = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(N):
            fn()
        rounds.append((time.process_time() - start) / N * 1e6)
    report(label, rounds)


async def async_piece(label: str, fn: Callable[[], Any]) -> None:
    rounds = []
    for _ in range(5):
        start = time.process_time()  # every thread's CPU: the worker's part of a hop counts
        for _ in range(N):
            await fn()
        rounds.append((time.process_time() - start) / N * 1e6)
    report(label, rounds)


async def main() -> None:
    install_server_api()
    registry = FunctionRegistry()
    registry.register("noop", lambda: None)

    async def noop_async() -> None:
        return None
    registry.register("noop_async", noop_async)
    dispatcher = Dispatcher(registry, ServerConfig())
    handler = CallHandler(dispatcher)
    store = open_store("memory")
    await store.open()
    sessions = SessionStore(store)
    session = await sessions.create()
    peer = BrowserPeer(None, "127.0.0.1", Outbox(asyncio.get_running_loop()), sessions=sessions)
    peer.settle(session, False)
    reader = MessageReader(10**7, 10**8, MessageLimits(), media_timeout=30, max_held_bytes=10**8)
    message = json.loads(TEXT)
    sync_piece("JSON read + limits (MessageReader.text)", lambda: reader.text(TEXT))
    sync_piece("decode_message (no objects)", lambda: decode_message(message, {}, remote_is_trusted=False))
    sync_piece("encode_message of the reply", lambda: encode_message({"id": "bench-1", "response": None}))
    sync_piece("the reply's JSON text (outbox.encoded)", lambda: encoded({"id": "bench-1", "response": None,
                                                                          "objects": []}, []))
    await async_piece("worker-thread hop (SessionLanes.run)", lambda: dispatcher.lanes.run("s", lambda: None))
    for command in ("noop", "noop_async"):
        call = dict(message, command=command)

        async def one() -> None:
            await handler.handle(call, {}, peer)
            peer.outbox._queue.get_nowait()
        await async_piece(f"CallHandler.handle, {command} (all of the above)", one)
    dispatcher.close()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
