"""Fuzzed ``/_/ws`` traffic: well-formed calls with random values and ``objects`` entries, and broken frames
(truncated or random text, random binary, stray chunk headers, invalid UTF-8, deep nesting, NaN literals).

Example:
    >>> frames = FuzzFrames(seed=1)
    >>> kinds = {type(frames.next()[0]).__name__ for _ in range(200)}
    >>> sorted(kinds)
    ['bytes', 'str']
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from typing import Any

import websockets

from bench.soak_support import Bystander, LiveServer, Row, rss_mb, server_alive, tracebacks

COMMANDS = ["echo", "load", "store", "issue", "check", "reverse_media", "no_such_function", "anvil.private.echo",
            "a:b", "", "anvil.private.reset_session"]
OBJECT_TYPES = [["Long"], ["Float"], ["Date"], ["DateTime"], ["ValueType"], ["ClassType"], ["DataMedia"],
                ["Capability"], ["LiveObject"], ["Mystery"], [], "Long", None]
TYPE_NAMES = ["this.Zen", "os.system", "json.decoder.JSONDecoder", "anvil.server.Capability", "", "a" * 300,
              "soak_functions.Nothing"]


class FuzzFrames:
    """An endless supply of ``(frame, is_text_bytes)``: ``str`` frames go as text, ``bytes`` as binary unless
    ``is_text_bytes`` (then as a text frame of those raw bytes: invalid UTF-8)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.count = 0

    def value(self, depth: int = 0) -> Any:
        r = self.random
        kind = r.randrange(9 if depth < 4 else 5)
        if kind == 0:
            return r.choice([None, True, False])
        if kind == 1:
            return r.choice([0, -1, 2 ** 31, 2 ** 70, r.randint(-10 ** 6, 10 ** 6)])
        if kind == 2:
            return r.choice([0.5, -1e308, 1e-300, r.random()])
        if kind in (3, 4):
            return "".join(chr(r.choice([r.randrange(32, 127), r.randrange(0x80, 0x3000)])) for _ in range(r.randrange(12)))
        if kind in (5, 6):
            return [self.value(depth + 1) for _ in range(r.randrange(5))]
        return {f"k{r.randrange(9)}": self.value(depth + 1) for _ in range(r.randrange(5))}

    def objects(self) -> list[Any]:
        r = self.random
        entries = []
        for _ in range(r.randrange(4)):
            entry: dict[str, Any] = {"path": r.choice([["args", 0], ["args", r.randrange(5)], ["kwargs", "k"], [],
                                                       ["args"], ["args", 0, "k1", 2], "args"]),
                                     "type": r.choice(OBJECT_TYPES)}
            for key in r.sample(["value", "typeName", "id", "mime-type", "name", "scope", "mac", "backend"],
                                r.randrange(4)):
                entry[key] = r.choice([self.value(3), r.choice(TYPE_NAMES), "media-0", "NaN", "12x"])
            entries.append(entry)
        return entries

    def call(self) -> dict[str, Any]:
        r = self.random
        message: dict[str, Any] = {"type": "CALL", "id": f"f{self.count}", "command": r.choice(COMMANDS),
                                   "args": [self.value() for _ in range(r.randrange(4))],
                                   "kwargs": {f"k{i}": self.value() for i in range(r.randrange(3))}}
        if r.random() < 0.6:
            message["objects"] = self.objects()
        for key in r.sample(list(message), r.randrange(2)):  # now and then a field of the wrong kind
            message[key] = self.value(3)
        return message

    def next(self) -> tuple[str | bytes, bool]:
        self.count += 1
        r = self.random
        roll = r.random()
        if roll < 0.70:
            return json.dumps(self.call()), False
        if roll < 0.78:
            text = json.dumps(self.call())
            return text[: r.randrange(len(text))], False
        if roll < 0.83:
            return json.dumps({"type": "CHUNK_HEADER", "requestId": f"f{r.randrange(self.count)}",
                               "mediaId": "media-0", "chunkIndex": r.randrange(3), "lastChunk": r.random() < 0.5}), False
        if roll < 0.87:
            return r.randbytes(r.randrange(1, 2000)), False
        if roll < 0.90:
            return b'{"type": "CALL", "id": "\xff\xfe"}', True
        if roll < 0.92:
            depth = r.choice([50, 900, 5000])
            return "[" * depth + "]" * depth, False
        if roll < 0.94:
            return '{"type": "CALL", "id": "n", "command": "echo", "args": [NaN, Infinity, -Infinity]}', False
        if roll < 0.97:
            return json.dumps({"type": r.choice(["LOG", "HELLO", None, 5]), "text": self.value()}), False
        return json.dumps(self.value()), False


async def _fuzz_connection(server: LiveServer, frames: FuzzFrames, quota: int, rate: float,
                           stats: dict[str, int]) -> None:
    """Send ``quota`` frames at ``rate`` a second, reconnecting whenever the server closes the socket (as it should
    for bad ones)."""
    sent = 0
    started = time.monotonic()
    while sent < quota:
        try:
            async with websockets.connect(server.ws_url + "/_/ws", proxy=None, max_size=None) as ws:
                reader = asyncio.create_task(_drain(ws))
                try:
                    while sent < quota:
                        frame, raw_text = frames.next()
                        await ws.send(frame, text=True) if raw_text else await ws.send(frame)
                        sent += 1
                        stats["sent"] += 1
                        if sent % 10 == 0:
                            await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
                finally:
                    reader.cancel()
        except websockets.ConnectionClosed:
            stats["closed_by_server"] += 1
        except websockets.InvalidHandshake:  # e.g. 408: this busy client was slower than --header-timeout
            stats["refused_handshakes"] += 1
        except OSError:
            stats["connect_errors"] += 1
            await asyncio.sleep(0.1)


async def _drain(ws: Any) -> None:
    async for _ in ws:
        pass


async def fuzz(server: LiveServer, messages: int, connections: int, rate: float = 2_000) -> list[Row]:
    """``messages`` fuzzed frames over ``connections`` concurrent sockets at ``rate`` a second in all, with a
    bystander calling meanwhile."""
    async with Bystander(server) as baseline:  # the same bystander with no attack, for comparison
        await asyncio.sleep(10)
    start_log, rss_before = len(server.output()), rss_mb(server.process.pid)
    stats = {"sent": 0, "closed_by_server": 0, "refused_handshakes": 0, "connect_errors": 0}
    peak = rss_before
    started = time.monotonic()
    async with Bystander(server) as bystander:
        jobs = [asyncio.create_task(_fuzz_connection(server, FuzzFrames(seed), messages // connections,
                                                     rate / connections, stats)) for seed in range(connections)]
        while not all(job.done() for job in jobs):
            peak = max(peak, rss_mb(server.process.pid))
            await asyncio.sleep(0.5)
        await asyncio.gather(*jobs)
        await asyncio.sleep(1)  # let the last replies go out
    elapsed = time.monotonic() - started
    alive, found = server_alive(server), tracebacks(server, start_log)
    return [
        Row(f"fuzz: {stats['sent']:,} messages on {connections} connections",
            f"{elapsed:.0f} s ({stats['sent'] / elapsed:,.0f}/s), server alive: {alive}, {found} tracebacks, "
            f"{stats['closed_by_server']} sockets closed by the server, {stats['refused_handshakes']} handshakes "
            f"refused (408)", alive and found == 0 and stats["sent"] >= messages * 0.99),
        Row("fuzz: server RSS bounded", f"{rss_before:.0f} MB before, peak {peak:.0f} MB", peak < rss_before + 300),
        Row("fuzz: bystander p99 < 100 ms", f"{bystander.summary()}; with no attack {baseline.p99_ms():.0f} ms; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            bystander.p99_ms() < 100 and bystander.failures == 0, timing=True),
    ]
