"""A session look-up in the SQLite store: on the event loop (its own read-only connection) against a hop to the
store's thread and back (what every look-up cost before), per read, in the same run: wall time and the
process's CPU time (all threads; what counts when the machine's cores are busy anyway).

Example:
    >>> path = Path(tempfile.mkdtemp()) / "state.sqlite3"
    >>> asyncio.run(SqliteStore(path).open()) is None
    True
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from anvil_pyodide.store.sqlite import SqliteStore  # noqa: E402

READS = 3000


async def measure() -> dict[str, float]:
    """Microseconds (wall, CPU) per look-up of one of 1,000 sessions with one key each, both ways."""
    store = SqliteStore(Path(tempfile.mkdtemp()) / "state.sqlite3")
    await store.open()
    tokens = []
    for _ in range(1000):
        token = (await store.create_session()).token
        await store.save_session(token, {"calls": "5"}, [])
        await store.get_session(token)  # renews its expiry now, so the reads below only read
        tokens.append(token)
    loop = asyncio.get_running_loop()
    db, reader = store._connection(), store._reader
    assert reader is not None
    result: dict[str, float] = {}
    for name, read in (("thread_hop_us", lambda t: loop.run_in_executor(store._thread, store._read_session, db, t)),
                       ("on_loop_us", lambda t: _done(store._read_session(reader, t)))):
        start, cpu = time.perf_counter(), time.process_time()
        for n in range(READS):
            await read(tokens[n % len(tokens)])
        result[name] = (time.perf_counter() - start) / READS * 1e6
        result[name.replace("_us", "_cpu_us")] = (time.process_time() - cpu) / READS * 1e6
    await store.close()
    return result


async def _done(value: object) -> object:
    return value


if __name__ == "__main__":
    for _ in range(5):
        r = asyncio.run(measure())
        print(f"session look-up, wall: thread hop {r['thread_hop_us']:.0f} µs, on the loop {r['on_loop_us']:.0f} µs; "
              f"CPU: thread hop {r['thread_hop_cpu_us']:.0f} µs, on the loop {r['on_loop_cpu_us']:.0f} µs "
              f"({r['thread_hop_cpu_us'] / r['on_loop_cpu_us']:.1f}x)")
