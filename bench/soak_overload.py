"""The overload attacks of issue 15, items 2–4, against a real server: messages that cost much to decode,
memory a connection tries to make the server hold, and one socket trying to take every worker thread.

Each attack runs with a bystander (its own process, calling every 20 ms) and samples the server's RSS while it
runs; the server runs with the soak's limits (``SERVER_ARGS`` in bench/soak_support.py).

Example:
    >>> nested_call("d", 3)
    '{"type": "CALL", "id": "d", "command": "echo", "args": [[[[]]]], "kwargs": {}}'
"""

from __future__ import annotations

import asyncio
import json
import time

import anvil.server

from bench.soak_support import (CONNECTION_BYTES, REPLY_BUDGET, SESSION_THREADS, STALL_SECONDS, BrowserClient,
                                Bystander, LiveServer, RssPeak, Row, tracebacks)
from tests.support.non_reader import NonReader

MiB = 1024 * 1024
CHUNK = 65536


def call_frame(call_id: str, command: str = "echo", **fields: object) -> str:
    return json.dumps({"type": "CALL", "id": call_id, "command": command, "args": [], "kwargs": {}, **fields})


def nested_call(call_id: str, depth: int) -> str:
    """A CALL whose argument is ``depth`` lists deep, its id first (as clients send it)."""
    return (f'{{"type": "CALL", "id": "{call_id}", "command": "echo", "args": [' + "[" * depth + "]" * depth
            + '], "kwargs": {}}')


async def refused_with(client: BrowserClient, call_id: str, frame: str) -> str:
    """Send ``frame``; the error it is refused with (``"accepted"`` when it was not)."""
    client.expect(call_id)
    await client.send_raw(frame)
    try:
        await client.outcome(call_id)
        return "accepted"
    except anvil.server.SerializationError as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - reported as found
        return f"{type(e).__name__}: {e}"


async def costly_messages(server: LiveServer, scale: float) -> list[Row]:
    """Item 2: a huge ``vt_global``, thousands of 900-step ``objects`` paths, JSON 2,000 deep — each refused
    naming its limit, the socket kept, and the bystander's calls still answered promptly."""
    values = int(4_000_000 * max(scale, 0.1))
    frames = {
        f"vt_global of {values:,} values": ("v", call_frame("v", vt_global=["app.T", [0] * values]),
                                            "--max-message-objects"),
        "5,500 objects entries with 900-step paths": ("p", call_frame(
            "p", args=[None], objects=[{"path": ["args"] + [0] * 899, "type": ["Long"], "value": "1"}] * 5_500),
            "--max-message-depth"),
        "JSON nested 2,000 deep": ("d", nested_call("d", 2_000), "--max-message-depth"),
    }
    rounds = max(1, round(5 * scale))
    start_log = len(server.output())
    outcomes: dict[str, list[str]] = {name: [] for name in frames}
    async with Bystander(server) as bystander, RssPeak(server) as rss, BrowserClient(server.ws_url) as client:
        for _ in range(rounds):
            for name, (call_id, frame, _) in frames.items():
                outcomes[name].append(await refused_with(client, call_id, frame))
        same_socket = await client.call("echo", "same socket") == "same socket"
    rows = []
    for name, (_, _, option) in frames.items():
        refused = sum(option in outcome for outcome in outcomes[name])
        rows.append(Row(f"costly message: {name}", f"{refused} of {rounds} refused naming {option}"
                        + ("" if refused == rounds else f" (got {outcomes[name][0][:80]!r})"), refused == rounds))
    found = tracebacks(server, start_log)
    rows.append(Row("costly messages: socket kept, no tracebacks, RSS",
                    f"same socket answers: {same_socket}, {found} tracebacks; {rss.summary()}",
                    same_socket and found == 0 and rss.grew_mb() < 400))
    rows.append(Row("costly messages: bystander p99 < 100 ms", bystander.summary(),
                    bystander.p99_ms() < 100 and bystander.failures == 0, timing=True))
    return rows


def media_call(call_id: str) -> str:
    return call_frame(call_id, "media_length", args=[None],
                      objects=[{"path": ["args", 0], "type": ["DataMedia"], "id": "m", "mime-type": "text/plain",
                                "name": None}])


def chunk_header(call_id: str, index: int, last: bool) -> str:
    return json.dumps({"type": "CHUNK_HEADER", "requestId": call_id, "mediaId": "m", "chunkIndex": index,
                       "lastChunk": last})


async def unsent_media(server: LiveServer, scale: float) -> list[Row]:
    """Item 3: 40 calls each send most of a 16 MiB media and never its last chunk. Past the connection's budget
    calls fail at once; the rest fail after --media-timeout; what they held is freed (a call as large as the
    whole budget then succeeds on the same socket)."""
    calls, chunks = 40, max(1, int(16 * MiB * scale) // CHUNK)
    body = b"u" * CHUNK
    outcomes: list[str] = []
    async with Bystander(server) as bystander, RssPeak(server) as rss, BrowserClient(server.ws_url) as client:
        for n in range(calls):
            client.expect(f"u{n}")
            await client.send_raw(media_call(f"u{n}"))
            for index in range(chunks):
                await client.send_raw(chunk_header(f"u{n}", index, False), body)
        for n in range(calls):  # ... and the last chunks never come
            try:
                await client.outcome(f"u{n}")
                outcomes.append("accepted")
            except anvil.server.SerializationError as e:
                outcomes.append("budget" if "--max-connection-bytes" in str(e)
                                else "timeout" if "--media-timeout" in str(e) else str(e))
        whole = CONNECTION_BYTES // CHUNK - 16  # the budget less room for the parsed message itself
        client.expect("after")
        await client.send_raw(media_call("after"), *[frame for index in range(whole) for frame in
                                                     (chunk_header("after", index, index == whole - 1), body)])
        freed = await client.outcome("after") == whole * CHUNK
    by_budget, by_timeout = outcomes.count("budget"), outcomes.count("timeout")
    bound = CONNECTION_BYTES / MiB + 200
    return [
        Row(f"media never finished: {calls} calls of {chunks * CHUNK / MiB:.1f} MiB",
            f"{by_budget} refused past --max-connection-bytes, {by_timeout} after --media-timeout, "
            f"{outcomes.count('accepted')} accepted; budget free again: {freed}",
            by_budget + by_timeout == calls and freed),
        Row("media never finished: RSS bounded", f"{rss.summary()} (bound: budget {CONNECTION_BYTES / MiB:.0f} MiB "
            f"+ 200 MB)", rss.grew_mb() < bound),
        Row("media never finished: bystander served", bystander.summary(), bystander.failures == 0),
    ]


async def never_reads(server: LiveServer, scale: float) -> list[Row]:
    """Item 3: a client asks for 60 replies of 15 MiB and never reads: held to --max-pending-reply-bytes (plus
    the replies already in the making), then closed after --reply-stall-timeout with one log line."""
    calls, size = 60, max(CHUNK, int(15 * MiB * scale))
    start_log = len(server.output())
    async with Bystander(server) as bystander, RssPeak(server) as rss:
        peer = NonReader(server.ws_url + "/_/ws", server.port)
        try:
            for n in range(calls):
                peer.send(call_frame(f"r{n}", "large_text", args=[size]))
            deadline = time.monotonic() + STALL_SECONDS + 60
            while "closing browser socket from" not in server.output()[start_log:] and time.monotonic() < deadline:
                await asyncio.sleep(0.2)  # the server's own log line is the event; the deadline only bounds a MISS
        finally:
            peer.close()
    log = server.output()[start_log:]
    closed = log.count("(--max-pending-reply-bytes)")
    # A reply is held as text and as its encoded frame while it is being made; a session makes at most
    # SESSION_THREADS at once past the budget.
    bound = (REPLY_BUDGET + SESSION_THREADS * 3 * size) / MiB + 100
    return [
        Row(f"never reads: {calls} replies of {size / MiB:.0f} MiB asked for",
            f"closed with one log line: {closed == 1}, {tracebacks(server, start_log)} tracebacks",
            closed == 1 and tracebacks(server, start_log) == 0),
        Row("never reads: RSS bounded", f"{rss.summary()} (bound {bound:.0f} MB; unbounded it was 866 MB)",
            rss.grew_mb() < bound),
        Row("never reads: bystander served", bystander.summary(), bystander.failures == 0),
    ]


async def one_socket_floods_workers(server: LiveServer, scale: float) -> list[Row]:
    """Item 4: 10,000 sync calls of 0.2 s on one socket. Past --max-connection-calls they get
    QuotaExceededError at once; the calls taken use at most --session-threads threads, so another session's
    sync calls keep being answered promptly (a taken call still waiting for its turn after --call-timeout gets
    TimeoutError and never starts)."""
    calls, seconds = max(1_500, int(10_000 * scale)), 0.2 if scale >= 1 else 0.05
    quota = timed_out = other = 0
    async with Bystander(server) as bystander, BrowserClient(server.ws_url) as client:
        ids = [await client.send_call("nap", seconds) for _ in range(calls)]
        for call_id in ids:
            try:
                await client.outcome(call_id)
            except anvil.server.QuotaExceededError as e:
                quota += "--max-connection-calls" in str(e)
            except anvil.server.TimeoutError:  # waited past --call-timeout for its turn: never started
                timed_out += 1
            except Exception:  # noqa: BLE001 - counted
                other += 1
    taken = calls - quota - timed_out - other
    return [
        Row(f"one socket, {calls:,} sync calls of {seconds:g} s",
            f"{taken:,} run, {timed_out} timed out waiting for their turn, {quota:,} QuotaExceededError naming "
            f"--max-connection-calls, {other} other errors",
            # calls that finish while the rest are still being sent free their places for later ones
            taken + timed_out >= 1_000 and 0 < quota <= calls - 1_000 and other == 0),
        Row("one socket floods the workers: bystander p99 < 100 ms", bystander.summary(),
            bystander.p99_ms() < 100 and bystander.failures == 0, timing=True),
    ]


OVERLOAD_ATTACKS = [costly_messages, unsent_media, never_reads, one_socket_floods_workers]
