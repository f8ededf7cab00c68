"""Store benchmark: no-op calls per second with the SQLite and Redis stores against the memory store, a run
with a session write in every call, and ``--workers 2`` against one worker — all measured in the same run.
Each shared store is measured twice: as served (``--session-check-interval`` at its default: a call that
does not use the session does not ask the store) and with ``--session-check-interval 0`` (every call reads
its session from the store, as every call did before the interval existed).

Each configuration is one real server (``python -m anvil_pyodide serve``) on bench/apps/noop, driven
over /_/ws by :func:`bench.server_calls.run_clients` from this process (which shares the machine's cores
with the server). Redis is a real ``redis-server`` started on a free port for the run. The
configurations are measured in turn, ``ROUNDS`` times over, and each keeps its best round, so a burst
of load from elsewhere on the machine does not decide a ratio. Each run also reads the CPU time the
server's processes (and redis-server, for the Redis store) spent on the measured calls, from /proc:
CPU per call hardly depends on the load from elsewhere, so its ratio is the steadier figure on a shared
machine (each configuration keeps its lowest CPU per call).

Example:
    >>> ratio({"calls_per_second": 800.0}, {"calls_per_second": 1000.0})
    0.8
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server_calls import run_clients  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.redis_server import RedisServer, redis_available  # noqa: E402

APP = ROOT / "bench" / "apps" / "noop"
SOCKETS = 8
CALLS = 3000
ROUNDS = 3
#: The extra arguments of the "every call reads the store" configurations.
EVERY_CALL = ("--session-check-interval", "0")


def ratio(ours: dict[str, float], baseline: dict[str, float]) -> float:
    return round(ours["calls_per_second"] / baseline["calls_per_second"], 3)


def call_text_for(command: str) -> Any:
    def text(n: int) -> str:
        return json.dumps({"type": "CALL", "id": f"bench-{n}", "command": command, "args": [], "kwargs": {},
                           "objects": []})
    return text


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and every process below it, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, parents = 0.0, {pid}
    for entry in sorted((p for p in Path("/proc").iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        own, parent = int(entry.name), int(fields[1])
        if own in parents or parent in parents:
            parents.add(own)
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def measure(store: str, command: str = "noop", sockets: int = SOCKETS, *extra: str,
            also_busy: int | None = None) -> dict[str, float]:
    """Calls per second (and latency) of ``command`` on one server with this store, and the CPU µs per call
    of the server's processes plus the process ``also_busy`` (redis-server)."""
    import bench.server_calls as calls

    with LiveServer(APP, "--store", store, *extra) as server:
        original = calls.call_text
        calls.call_text = call_text_for(command)
        assert server.process is not None
        pids = [server.process.pid] + ([also_busy] if also_busy else [])
        try:
            asyncio.run(run_clients(f"{server.ws_url}/_/ws", sockets, 300))  # warm-up
            before = sum(cpu_seconds(pid) for pid in pids)
            result = asyncio.run(run_clients(f"{server.ws_url}/_/ws", sockets, CALLS))
            result["cpu_us_per_call"] = (sum(cpu_seconds(pid) for pid in pids) - before) / CALLS * 1e6
            return result
        finally:
            calls.call_text = original


def best_of(configurations: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each configuration's best of ``ROUNDS`` measurements, taken in turn."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(ROUNDS):
        for name, run_once in configurations.items():
            result = run_once()
            lowest_cpu = min(result["cpu_us_per_call"], best[name]["cpu_us_per_call"]) if name in best else \
                result["cpu_us_per_call"]
            if name not in best or result["calls_per_second"] > best[name]["calls_per_second"]:
                best[name] = result
            best[name]["cpu_us_per_call"] = lowest_cpu
    return best


def cpu_ratio(ours: dict[str, float], baseline: dict[str, float]) -> float:
    """CPU per call against the baseline's (above 1: costs more).

    Example:
        >>> cpu_ratio({"cpu_us_per_call": 300.0}, {"cpu_us_per_call": 250.0})
        1.2
    """
    return round(ours["cpu_us_per_call"] / baseline["cpu_us_per_call"], 3)


def run() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="anvil-pyodide-bench-"))
    sqlite = f"sqlite:///{folder / 'state.sqlite3'}"
    results: dict[str, Any] = {}
    redis = RedisServer().start() if redis_available() else None
    try:
        shared = {"sqlite": sqlite, **({"redis": redis.url} if redis else {})}
        stores: dict[str, tuple[str, tuple[str, ...]]] = {"memory": ("memory", ()),
                                                           **{name: (url, ()) for name, url in shared.items()},
                                                           **{f"{name}, every call": (url, EVERY_CALL)
                                                              for name, url in shared.items()}}
        busy = {name: (redis.process.pid if redis is not None and redis.process is not None and
                       name.startswith("redis") else None) for name in stores}
        for command in ("noop", "write_session"):
            runs = best_of({name: (lambda name=name, url=url, extra=extra: measure(
                url, command, SOCKETS, *extra, also_busy=busy[name])) for name, (url, extra) in stores.items()})
            results[command] = {name: {**r, "ratio_vs_memory": ratio(r, runs["memory"]),
                                       "cpu_ratio_vs_memory": cpu_ratio(r, runs["memory"])}
                                for name, r in runs.items()}
        workers = best_of({"1": lambda: measure(sqlite, "noop", 64),
                           "2": lambda: measure(sqlite, "noop", 64, "--workers", "2")})
        results["workers"] = {"1": workers["1"], "2": {**workers["2"], "ratio_vs_1": ratio(workers["2"], workers["1"])}}
    finally:
        if redis is not None:
            redis.stop()
    return results


def report(results: dict[str, Any]) -> None:
    print(f"stores: calls/s over {SOCKETS} sockets on one process (ratio = store / memory, same run)")
    print("CPU µs/call: the server's processes (and redis-server's, for Redis); CPU ratio = store / memory "
          "(above 1: costs more)")
    print(f"{'function':<14} {'store':<18} {'calls/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} "
          f"{'CPU µs/call':>11} {'CPU ratio':>9}")
    for command in ("noop", "write_session"):
        for name, r in results[command].items():
            print(f"{command:<14} {name:<18} {r['calls_per_second']:>8.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
                  f"{r['ratio_vs_memory']:>6.2f} {r['cpu_us_per_call']:>11.0f} {r['cpu_ratio_vs_memory']:>9.2f}")
    one, two = results["workers"]["1"], results["workers"]["2"]
    print(f"workers (SQLite store, 64 sockets): 1 → {one['calls_per_second']:.0f} calls/s, "
          f"2 → {two['calls_per_second']:.0f} calls/s (ratio {two['ratio_vs_1']:.2f}; the load generator shares "
          f"the machine's cores)")


if __name__ == "__main__":
    outcome = run()
    report(outcome)
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "store.json").write_text(json.dumps(outcome, indent=2) + "\n")
