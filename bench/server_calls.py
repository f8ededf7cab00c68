"""Server benchmark: no-op calls per second over 1, 8 and 64 concurrent sockets, with p50/p99 latency,
against a bare Starlette WebSocket echo of the same message text measured in the same run (a warm-up
of each side, then SAMPLES interleaved samples; bench/report.py).

Example:
    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.0
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import Goal, Row, interleave  # noqa: E402
from tests.support.live_server import LiveServer, free_port  # noqa: E402

CONCURRENCY = (1, 8, 64)
CALLS_PER_RUN = 1000


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))]


def call_text(n: int) -> str:
    return json.dumps({"type": "CALL", "id": f"bench-{n}", "command": "noop", "args": [], "kwargs": {},
                       "vt_global": [], "objects": []})


async def run_clients(url: str, sockets: int, calls: int) -> dict[str, float]:
    """``sockets`` connections, each making its share of ``calls`` one after another."""
    latencies: list[float] = []

    async def one_socket(index: int) -> None:
        async with websockets.connect(url) as ws:
            for n in range(calls // sockets):
                start = time.perf_counter()
                await ws.send(call_text(index * calls + n))
                await ws.recv()
                latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(one_socket(i) for i in range(sockets)))
    elapsed = time.perf_counter() - start
    return {"calls_per_second": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50) * 1e3,
            "p99_ms": percentile(latencies, 99) * 1e3}


def wait_online(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/_/check-app-online", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def run() -> list[Row]:
    """One row per socket count: calls/s of ours vs the echo (medians of SAMPLES interleaved samples)."""
    echo_port = free_port()
    echo = subprocess.Popen([sys.executable, str(ROOT / "bench" / "echo_server.py"), str(echo_port)])
    try:
        wait_online(f"http://127.0.0.1:{echo_port}")
        with LiveServer(ROOT / "bench" / "apps" / "noop") as server:
            rows = []
            for sockets in CONCURRENCY:
                runs: dict[str, list[dict[str, float]]] = {"ours": [], "echo": []}

                def ours() -> float:
                    runs["ours"].append(asyncio.run(run_clients(f"{server.ws_url}/_/ws", sockets, CALLS_PER_RUN)))
                    return runs["ours"][-1]["calls_per_second"]

                def baseline() -> float:
                    runs["echo"].append(asyncio.run(run_clients(f"ws://127.0.0.1:{echo_port}/echo", sockets, CALLS_PER_RUN)))
                    return runs["echo"][-1]["calls_per_second"]

                mine, theirs = interleave(ours, baseline)
                rows.append(Row(f"server_{sockets}_sockets", mine, theirs, Goal("ratio_min", 0.6),
                                "bare Starlette WebSocket echo of the same text (calls/s; higher is better)",
                                unit="calls/s", extra={"runs": runs}))
            return rows
    finally:
        echo.terminate()
        echo.wait()
