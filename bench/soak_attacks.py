"""Each attack from issue 15 against a real server, with the limit that must hold (one or more table rows each).

Example:
    >>> ATTACKS[0].__name__
    'no_imports_on_request'
"""

from __future__ import annotations

import asyncio
import json
import selectors
import socket
import time

import httpx
import websockets

from bench.soak_support import UPLINK_KEY, BrowserClient, Bystander, LiveServer, Row, rss_mb, tracebacks


async def no_imports_on_request(server: LiveServer, scale: float) -> list[Row]:
    """A portable type naming a stdlib module that prints when imported (``this``): refused, nothing imported."""
    async with BrowserClient(server.ws_url) as client:
        client.expect("imp")
        await client.send_raw(json.dumps({"type": "CALL", "id": "imp", "command": "echo", "args": [{}], "kwargs": {},
                                          "objects": [{"path": ["args", 0], "type": ["ValueType"],
                                                       "typeName": "this.Zen"}]}))
        try:
            await client.outcome("imp")
            refused = "accepted"
        except Exception as e:  # noqa: BLE001
            refused = type(e).__name__
    imported = "Beautiful is better than ugly" in server.output()
    return [Row("imports on request: 'this.Zen' type", f"{refused}, module imported: {imported}",
                refused == "SerializationError" and not imported)]


async def session_flood(server: LiveServer, scale: float) -> list[Row]:
    """Many page views (each a new session): the page rate must not fall as sessions pile up."""
    pages = int(20_000 * scale)
    rates = []
    async with Bystander(server) as bystander, httpx.AsyncClient(base_url=server.url, trust_env=False,
                                                                 timeout=30) as client:
        async def views(n: int) -> None:
            for _ in range(n):
                (await client.get("/")).raise_for_status()

        for _ in range(10):
            started = time.perf_counter()
            await asyncio.gather(*[views(pages // 10 // 20) for _ in range(20)])
            rates.append(pages / 10 / (time.perf_counter() - started))
    ratio = rates[-1] / rates[0]
    return [Row(f"session flood: {pages:,} page views (rate holds)",
                f"{rates[0]:.0f} pages/s first tenth, {rates[-1]:.0f} last tenth (x{ratio:.2f}); {bystander.summary()}",
                ratio > 0.5 and bystander.failures == 0, timing=True)]


async def huge_chunked_body(server: LiveServer, scale: float) -> list[Row]:
    """A chunked body far over --max-media-bytes: 413 long before it is all sent, RSS barely moves."""
    total = int(300 * 1024 * 1024 * max(scale, 1 / 3))
    limit = 32 * 1024 * 1024  # SERVER_ARGS' --max-media-bytes
    before = rss_mb(server.process.pid)
    sent, answer = await asyncio.to_thread(_send_chunked, server, total)
    grew = rss_mb(server.process.pid) - before
    return [Row(f"body limit: chunked {total >> 20} MB to /_/api", f"{answer!r} after {sent >> 20} MB sent; "
                f"RSS +{grew:.0f} MB", answer == "413" and sent < limit + (16 << 20) and grew < 100)]


def _send_chunked(server: LiveServer, total: int) -> tuple[int, str]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sock.sendall(b"POST /_/api/upload HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
    sent = 0
    try:
        while sent < total and not _readable(sock):
            sock.sendall(chunk)
            sent += 65536
    except OSError:
        pass
    try:
        answer = sock.recv(200).split(b" ")[1].decode()
    except (OSError, IndexError):
        answer = "no answer"
    sock.close()
    return sent, answer


async def half_open_requests(server: LiveServer, scale: float) -> list[Row]:
    """Connections that never finish their headers are closed after --header-timeout (2 s here)."""
    count = int(2_000 * scale)
    closed = await asyncio.to_thread(_half_open, server, count)
    return [Row(f"header timeout: {count:,} half-open requests", f"{closed:,} closed by the server within 30 s",
                closed == count)]


def _readable(sock: socket.socket) -> bool:
    with selectors.DefaultSelector() as selector:  # not select(): descriptors may be over 1024
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(0))


def _half_open(server: LiveServer, count: int) -> int:
    sockets = []
    with selectors.DefaultSelector() as selector:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: s\r\nX-Slow: ")
            sockets.append(sock)
            selector.register(sock, selectors.EVENT_READ)
        deadline, closed = time.monotonic() + 30, 0
        while closed < count and time.monotonic() < deadline:
            for key, _ in selector.select(1):
                sock = key.fileobj
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if not data:  # closed by the server (after its 408)
                    closed += 1
                    selector.unregister(sock)
    for sock in sockets:
        sock.close()
    return closed


async def aborted_uploads(server: LiveServer, scale: float) -> list[Row]:
    """Uploads broken off half-way: one log line each, no traceback."""
    count = int(200 * scale) or 1
    start = len(server.output())
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall(b"POST /_/api/upload HTTP/1.1\r\nHost: s\r\nContent-Length: 100000\r\n\r\n" + b"x" * 500)
        sock.close()
    await asyncio.sleep(2)
    logged = server.output()[start:].count("the client left before its request was read")
    found = tracebacks(server, start)
    return [Row(f"aborted uploads: {count}", f"{logged} log lines, {found} tracebacks", found == 0 and logged == count)]


async def uplink_key_guessing(server: LiveServer, scale: float) -> list[Row]:
    """Wrong uplink keys as fast as possible: only --uplink-failures-per-minute (20) are even compared."""
    attempts = int(300 * scale) or 30
    start = len(server.output())
    answers: dict[str, int] = {}
    for n in range(attempts):
        async with websockets.connect(server.ws_url + "/_/uplink", proxy=None) as ws:
            await ws.send(json.dumps({"key": f"guess-{n}", "v": 8}))
            error = json.loads(await ws.recv()).get("error", "accepted")
            answers[error.split(":")[0]] = answers.get(error.split(":")[0], 0) + 1
    compared = answers.get("Incorrect uplink key", 0)
    lines = server.output()[start:].count("failed uplink handshakes from 127.0.0.1")
    async with websockets.connect(server.ws_url + "/_/uplink", proxy=None, local_addr=("127.0.0.3", 0)) as ws:
        await ws.send(json.dumps({"key": UPLINK_KEY, "v": 8}))
        other = json.loads(await ws.recv()).get("auth")
    return [Row(f"uplink key guessing: {attempts} attempts", f"{compared} keys compared, {lines} log lines, "
                f"another address: {other}", compared <= 21 and lines <= 2 and other == "OK")]


async def invalid_utf8_frames(server: LiveServer, scale: float) -> list[Row]:
    count = int(200 * scale) or 10
    start = len(server.output())
    codes = []
    for _ in range(count):
        async with websockets.connect(server.ws_url + "/_/ws", proxy=None) as ws:
            await ws.send(b'{"type": "\xff"}', text=True)
            try:
                await ws.recv()
            except websockets.ConnectionClosed as e:
                codes.append(e.rcvd.code if e.rcvd else None)
    found = tracebacks(server, start)
    return [Row(f"invalid UTF-8 text frames: {count}", f"{codes.count(1007)} closed 1007, {found} tracebacks",
                codes.count(1007) == count and found == 0)]


async def bad_response_headers(server: LiveServer, scale: float) -> list[Row]:
    start = len(server.output())
    statuses = []
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as client:
        for name, value in [("X-A", "a\r\nSet-Cookie: x=1"), ("X-B", "a\0b"), ("", "v"), ("X-C", "a\nb")]:
            statuses.append((await client.post("/_/api/header", json={"name": name, "value": value})).status_code)
    found = tracebacks(server, start)
    return [Row("HttpResponse with CR/LF/NUL or an empty header name", f"statuses {statuses}, {found} tracebacks",
                statuses == [500] * 4 and found == 0)]


ATTACKS = [no_imports_on_request, session_flood, huge_chunked_body, half_open_requests, aborted_uploads,
           uplink_key_guessing, invalid_utf8_frames, bad_response_headers]
