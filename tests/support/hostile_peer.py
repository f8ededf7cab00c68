"""Calls held in decoding, and the scenarios of the tests of the hold before a call starts (issue 15).

:func:`gated_call` is a CALL frame whose decoding waits (in a worker thread of the server) until
``release(key)`` is called: a call that has arrived but not started, for as long as the test wants (it needs
the basic test app's ``basic.Gate`` type).

Example (in a test, with a BrowserClient ``bystander`` of the same server):
    started, reply = await held_until_read(server, bystander, "gated_large", "my-key", budget, 10)
    assert started is False and reply["response"] == "x" * 10
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

from tests.support.non_reader import NonReader
from tests.support.waiting import until

#: Decoded off the event loop from this many ``objects`` entries (the server's DECODE_OFF_LOOP_ENTRIES is 256).
PADDING = 300


def gated_call(call_id: str, command: str, key: str, *args: Any) -> str:
    """A CALL of ``command(gate, *args, *padding)`` whose decoding waits until ``release(key)``: it has arrived
    but not started until then (the server says ``is_released(key + ":decoding")`` once it waits)."""
    return json.dumps({
        "type": "CALL", "id": call_id, "command": command, "kwargs": {},
        "args": [{"key": key}, *args] + [None] * PADDING,
        "objects": [{"path": ["args", 0], "type": ["ValueType"], "typeName": "basic.Gate"}]
        + [{"path": ["args", 1 + len(args) + i], "type": ["Long"], "value": "12345678901"} for i in range(PADDING)]})


def incompressible_call(call_id: str, length: int) -> str:
    """A call whose reply is ``length`` random bytes (per-message deflate cannot shrink it in the socket's buffers;
    needs the basic test app's ``random_media``)."""
    return json.dumps({"type": "CALL", "id": call_id, "command": "random_media", "args": [length, 7], "kwargs": {}})


async def held(bystander: Any, waiting: int) -> bool:
    """Whether ``waiting`` calls wait for their connection to read its replies (the basic app's ``calls_held``)."""
    return (await bystander.call("calls_held"))[0] == waiting


async def never_started(bystander: Any, count: int) -> bool:
    """Whether ``count`` calls were never started because their caller had given up (since the server started)."""
    return (await bystander.call("calls_held"))[1] == count


async def held_until_read(server: Any, bystander: Any, command: str, key: str, budget: int, *args: Any,
                          while_held: Callable[[], Awaitable[Any]] | None = None) -> tuple[bool, dict[str, Any]]:
    """A non-reader's call of ``command(gate, *args)`` is decoding when the non-reader goes over ``budget``; once
    decoded, the call must wait for room (the test fails if it never does). Returns whether it had started
    (``has_started(key)``) by then, after awaiting ``while_held()``, and its final message once the non-reader
    reads. ``bystander`` is a BrowserClient of the same server."""
    hostile = NonReader(server.ws_url + "/_/ws", server.port)
    try:
        hostile.send(gated_call("gated", command, key, *args))
        await until(lambda: bystander.call("is_released", key + ":decoding"), "the gated call to be decoding")
        hostile.send(incompressible_call("big", 4 * budget))  # and it does not read it: over the budget

        async def over_budget() -> bool:
            return (await bystander.call("reply_backlog"))[0] > budget
        await until(over_budget, "the connection to be over its budget")
        assert await bystander.call("release", key) is True  # the gated call is decoded and would start
        await until(lambda: held(bystander, 1), "the gated call to wait for room")
        if while_held is not None:
            await while_held()
        started = await bystander.call("has_started", key)
        reply = await asyncio.to_thread(hostile.read_until, "gated")  # reading makes room
    finally:
        hostile.close()
    return started, reply


async def refused_once_caller_left(server: Any, bystander: Any, command: str, key: str) -> None:
    """A call of ``command(gate)`` whose caller leaves while it is decoding; returns once the server has refused
    to start it (the test fails if it never does)."""
    from tests.support.browser_protocol import BrowserClient

    async with BrowserClient(server.ws_url) as leaving:
        leaving.expect("gated")
        await leaving.send_raw(gated_call("gated", command, key, 10))
        await until(lambda: bystander.call("is_released", key + ":decoding"), "the gated call to be decoding")
    assert await bystander.call("release", key) is True  # decoded after its caller left
    await until(lambda: never_started(bystander, 1), "the call to be refused")
