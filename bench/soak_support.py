"""What the soak's parts share: result rows, the server process's RSS and log, and a bystander whose call
latency is measured while an attack runs.

Example:
    >>> Row("fuzz", "100 messages", True).cells()
    ['fuzz', '100 messages', 'PASS']
    >>> Row("p99", "250 ms", False, timing=True).cells()
    ['p99', '250 ms', 'MISS (timing)']
    >>> percentile([0.010, 0.020, 0.030, 0.040], 0.5)
    0.02
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.browser_protocol import BrowserClient  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

SOAK_APP = ROOT / "bench" / "apps" / "soak"
UPLINK_KEY = "soak-uplink-key"
UPLINK_PYTHON = ROOT / ".venv-uplink" / "bin" / "python"
#: Memory one connection's calls waiting for media may hold, replies one connection may leave unread, and for
#: how long; worker threads one session may use (the soak server's, smaller than the defaults so that each
#: attack meets its limit quickly).
CONNECTION_BYTES = 32 * 1024 * 1024
REPLY_BUDGET = 32 * 1024 * 1024
STALL_SECONDS = 3
SESSION_THREADS = 4
#: The limits the soak server runs with (short ones, so each attack meets its limit quickly).
SERVER_ARGS = ["--uplink-key", UPLINK_KEY, "--header-timeout", "2", "--body-timeout", "2",
               "--max-media-bytes", str(CONNECTION_BYTES), "--uplink-failures-per-minute", "20",
               "--media-timeout", "2", "--max-connection-bytes", str(CONNECTION_BYTES),
               "--max-pending-reply-bytes", str(REPLY_BUDGET), "--reply-stall-timeout", str(STALL_SECONDS),
               "--session-threads", str(SESSION_THREADS)]


@dataclass
class Row:
    """One line of the soak's table."""

    name: str
    measured: str
    passed: bool
    #: A latency or rate, which a loaded machine can miss: enforced by the full soak, only shown by ``--short``.
    timing: bool = False

    def cells(self) -> list[str]:
        return [self.name, self.measured, "PASS" if self.passed else "MISS (timing)" if self.timing else "MISS"]


def print_table(rows: list[Row]) -> None:
    cells = [["check", "measured", "result"], *[row.cells() for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(3)]
    for n, line in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip(), flush=True)
        if n == 0:
            print("  ".join("-" * width for width in widths), flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))] if ordered else 0.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssPeak:
    """The server's resident memory while the block runs, sampled every 20 ms: ``grew_mb()`` is the peak over
    what it was on entry."""

    def __init__(self, server: LiveServer) -> None:
        self.pid = server.process.pid
        self.before = self.peak = 0.0
        self._sampler: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "RssPeak":
        self.before = self.peak = rss_mb(self.pid)
        self._sampler = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._sampler is not None
        self._sampler.cancel()
        await asyncio.gather(self._sampler, return_exceptions=True)
        self.peak = max(self.peak, rss_mb(self.pid))

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb(self.pid))
            await asyncio.sleep(0.02)

    def grew_mb(self) -> float:
        return self.peak - self.before

    def summary(self) -> str:
        return f"RSS {self.before:.0f} MB before, peak {self.peak:.0f} MB (+{self.grew_mb():.0f})"


def tracebacks(server: LiveServer, since: int = 0) -> int:
    return server.output()[since:].count("Traceback (most recent call last)")


def server_alive(server: LiveServer) -> bool:
    return server.process is not None and server.process.poll() is None


class Bystander:
    """An innocent client in its own process (so that the attacker's client load cannot slow it down) calling
    ``echo`` every 20 ms while the block runs; then ``latencies`` (seconds) and ``failures``.

    Its process is this file run as a script: ``python bench/soak_support.py WS_URL`` (stops at end of input).
    """

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.latencies: list[float] = []
        self.failures = 0
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> "Bystander":
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, self.server.ws_url, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        assert self._process.stdout is not None
        await asyncio.wait_for(self._process.stdout.readline(), 60)  # "ready": its first call worked
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._process is not None
        output, _ = await self._process.communicate(b"stop\n")
        result = json.loads(output.decode().strip().splitlines()[-1])
        self.latencies, self.failures = result["latencies"], result["failures"]

    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000

    def summary(self) -> str:
        return f"bystander p99 {self.p99_ms():.0f} ms over {len(self.latencies)} calls, {self.failures} failed"


async def _bystander_process(ws_url: str) -> None:
    """The bystander's own process: calls until its input ends, then prints its latencies as JSON."""
    latencies: list[float] = []
    failures = 0
    stop = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    async with BrowserClient(ws_url) as client:
        await client.call("echo", "ready")
        print("ready", flush=True)
        while not stop.done():
            started = time.perf_counter()
            try:
                await client.call("echo", "bystander")
                latencies.append(time.perf_counter() - started)
            except Exception:  # noqa: BLE001 - counted
                failures += 1
            await asyncio.sleep(0.02)
    print(json.dumps({"latencies": latencies, "failures": failures}), flush=True)


if __name__ == "__main__":
    asyncio.run(_bystander_process(sys.argv[1]))
