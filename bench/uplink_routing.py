"""Uplink calls relayed between processes: calls/s of an anvil-uplink function called through the server the
uplink is connected to (B, the baseline) and through another server sharing its Redis store (A: each call
goes A → Redis → B → uplink and back), measured in the same run.

Two real servers on bench/apps/noop share a real ``redis-server``; the real anvil-uplink script
bench/soak_uplink.py (``uplink_double``) is connected to B only. Clients drive /_/ws from this process
(:func:`bench.server_calls.run_clients`), which shares the machine's cores with both servers, Redis and the
uplink. Each side is measured ``ROUNDS`` times, in turn, keeping its best round.

Example:
    >>> ratio({"calls_per_second": 600.0}, {"calls_per_second": 1000.0})
    0.6
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.server_calls as calls  # noqa: E402
from bench.soak_mixed import start_uplink  # noqa: E402
from bench.soak_support import UPLINK_KEY  # noqa: E402
from bench.store_calls import call_text_for, ratio  # noqa: E402
from tests.support.browser_protocol import BrowserClient  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402
from tests.support.waiting import until  # noqa: E402

APP = ROOT / "bench" / "apps" / "noop"
SOCKETS = 8
CALLS = 2000
ROUNDS = 3
__all__ = ["ratio", "run", "report"]


async def served(server: LiveServer) -> bool:
    """Whether ``uplink_double`` answers through ``server`` (the uplink's registration has reached the store)."""
    async with BrowserClient(server.ws_url) as client:
        try:
            return await client.call("uplink_double", 21) == 42
        except Exception:  # noqa: BLE001 - not registered yet
            return False


def measure(server: LiveServer) -> dict[str, float]:
    url = f"{server.ws_url}/_/ws"
    asyncio.run(calls.run_clients(url, SOCKETS, 200))  # warm-up
    return asyncio.run(calls.run_clients(url, SOCKETS, CALLS))


def run() -> dict[str, Any]:
    original = calls.call_text
    calls.call_text = lambda n: call_text_for("uplink_double")(n).replace('"args": []', '"args": [21]')
    try:
        with RedisServer() as redis:
            args = ["--store", redis.url, "--uplink-key", UPLINK_KEY]
            with LiveServer(APP, *args) as a, LiveServer(APP, *args) as b:
                uplink = start_uplink(b)
                try:
                    asyncio.run(until(lambda: served(a), "the uplink serving through A", 60))
                    best: dict[str, dict[str, float]] = {}
                    for _ in range(ROUNDS):
                        for name, server in (("local", b), ("relayed", a)):
                            result = measure(server)
                            if name not in best or result["calls_per_second"] > best[name]["calls_per_second"]:
                                best[name] = result
                finally:
                    uplink.kill()
                    uplink.wait(10)
    finally:
        calls.call_text = original
    return {**best, "relayed": {**best["relayed"], "ratio_vs_local": ratio(best["relayed"], best["local"])}}


def report(results: dict[str, Any]) -> None:
    print(f"uplink calls over {SOCKETS} sockets: through the uplink's own server (local) and through another "
          f"server sharing its Redis (relayed)")
    print(f"{'path':<8} {'calls/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for name in ("local", "relayed"):
        r = results[name]
        print(f"{name:<8} {r['calls_per_second']:>8.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f}")
    print(f"relayed / local: {results['relayed']['ratio_vs_local']:.2f}")


if __name__ == "__main__":
    outcome = run()
    report(outcome)
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "uplink_routing.json").write_text(json.dumps(outcome, indent=2) + "\n")
