"""The soak's long parts: a server killed (-9) and restarted under 1,000 in-flight calls and a real page, and a
mixed soak (calls, media, sessions, capabilities, a real anvil-uplink, a real Chromium page) watching RSS.

Example:
    >>> growth([100.0] * 5 + [105.0] * 5, warm_up=2)
    0.05
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from anvil import BlobMedia

from bench.soak_support import (ROOT, SERVER_ARGS, SOAK_APP, UPLINK_KEY, UPLINK_PYTHON, BrowserClient, LiveServer,
                                Row, rss_mb, server_alive, tracebacks)
from tests.support.live_server import free_port

READY = "() => document.body.dataset.ready || (window.anvilPyodide && anvilPyodide.error)"


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium (headless, the e2e suite's flags) as one persistent Playwright context."""
    from playwright.async_api import async_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                yield context
            finally:
                await context.close()


async def open_page(context: Any, server: LiveServer) -> Any:
    page = await context.new_page()
    await page.goto(server.url + "/")
    await page.wait_for_function(READY, timeout=120_000)
    error = await page.evaluate("() => anvilPyodide.error && String(anvilPyodide.error)")
    if error:
        raise RuntimeError(f"the soak page failed to start: {error}")
    return page


async def run_in_page(page: Any, code: str) -> Any:
    """Run Python in the page (entered promising: calls block through JSPI); returns the value of ``result``."""
    return await page.evaluate("code => anvilPyodide.app.runPython(code)", f"{code}\nresult")


RECOVER = """
import anvil.server
try:
    result = anvil.server.call("echo", "back")
except anvil.server.SessionExpiredError:
    anvil.server.reset_session()          # the restart ended the session (sessions live in memory)
    result = anvil.server.call("echo", "back")
"""


async def restart_under_load(context: Any, calls: int) -> list[Row]:
    """Kill -9 the server with ``calls`` calls in flight (and one in a page), restart it on the same port."""
    journal = Path(tempfile.mkstemp(prefix="soak-journal-")[1])
    port = free_port()
    env = {**os.environ, "ANVIL_SOAK_JOURNAL": str(journal)}
    server = LiveServer(SOAK_APP, *SERVER_ARGS, port=port, env=env).start()
    clients: list[BrowserClient] = []
    try:
        page = await open_page(context, server)
        await page.evaluate("""() => { window.pageOutcome = anvilPyodide.app.runPython(`
import anvil.server
try:
    anvil.server.call("hold", "page-call", 120)
    result = "finished"
except anvil.server.AppOfflineError:
    result = "offline"
result`); }""")
        sockets = 10
        for _ in range(sockets):
            clients.append(await BrowserClient(server.ws_url).__aenter__())
        pending = []
        for n in range(calls):
            client = clients[n % sockets]
            pending.append(client.result(await client.send_call("hold", f"call-{n}", 120), timeout=120))
        deadline = time.monotonic() + 60
        while len(journal.read_text().split()) < calls + 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        started = len(journal.read_text().split())
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        killed_at = time.monotonic()
        outcomes = await asyncio.gather(*[asyncio.wait_for(p, 30) for p in pending], return_exceptions=True)
        offline = sum(isinstance(o, ConnectionError) for o in outcomes)
        hung = sum(isinstance(o, asyncio.TimeoutError) for o in outcomes)
        page_outcome = await asyncio.wait_for(page.evaluate("() => window.pageOutcome"), 60)
        settle = time.monotonic() - killed_at
        server.stop()
        server = LiveServer(SOAK_APP, *SERVER_ARGS, port=port, env=env).start()
        recovered = await asyncio.wait_for(run_in_page(page, RECOVER), 60)
        async with BrowserClient(server.ws_url) as fresh:
            fresh_ok = await fresh.call("echo", "fresh") == "fresh"
        ids = journal.read_text().split()
        twice = len(ids) - len(set(ids))
        await page.close()
        return [
            Row(f"restart: kill -9 under {calls:,} in-flight calls + a page",
                f"{started:,} started, {offline:,} failed offline, {hung} hung (settled in {settle:.1f} s); "
                f"page call: {page_outcome}", started == calls + 1 and offline == calls and hung == 0
                and page_outcome == "offline"),
            Row("restart: none ran twice, pages recover", f"{twice} ran twice; page after restart: {recovered!r}; "
                f"new socket works: {fresh_ok}", twice == 0 and len(ids) == calls + 1 and recovered == "back"
                and fresh_ok),
        ]
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
        server.stop()
        journal.unlink(missing_ok=True)


def start_uplink(server: LiveServer) -> subprocess.Popen[str]:
    """bench/soak_uplink.py in .venv-uplink (the real anvil-uplink package), once it has connected."""
    process = subprocess.Popen([str(UPLINK_PYTHON), str(ROOT / "bench" / "soak_uplink.py"),
                                server.ws_url + "/_/uplink", UPLINK_KEY], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    ready = threading.Event()

    def watch() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if "soak uplink ready" in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(60):
        process.kill()
        raise RuntimeError("the soak uplink did not connect")
    return process


def growth(samples: list[float], warm_up: int) -> float:
    """RSS growth after warm-up: the median of the last 5 samples against the median of 5 around warm-up's end."""
    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    base = median(samples[max(0, warm_up - 2):warm_up + 3])
    return round(median(samples[-5:]) / base - 1, 4)


class MixedLoad:
    """Users doing everything a browser does, a page in Chromium, and the uplink; counts work and surprises."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.done = 0
        self.unexpected: list[str] = []

    def expect(self, what: str, got: Any, wanted: Any) -> None:
        self.done += 1
        if got != wanted:
            self.unexpected.append(f"{what}: {got!r} != {wanted!r}")

    async def user(self, n: int, until: float) -> None:
        media = BlobMedia("application/octet-stream", os.urandom(96 * 1024), name="m.bin")
        while time.monotonic() < until:
            async with BrowserClient(self.server.ws_url) as client:  # a new session every 40 rounds
                for i in range(40):
                    if time.monotonic() >= until:
                        break
                    try:
                        self.expect("echo", await client.call("echo", [n, i]), [n, i])
                        await client.call("store", "k", {"n": n, "i": i})
                        self.expect("session", await client.call("load", "k"), {"n": n, "i": i})
                        back = await client.call("reverse_media", media)
                        self.expect("media", back.get_bytes(), media.get_bytes()[::-1])
                        cap = await client.call("issue", i)
                        self.expect("capability", await client.call("check", cap, i), i)
                        self.expect("uplink", await client.call("through_uplink", i), 2 * i)
                    except Exception as e:  # noqa: BLE001 - every failure is a finding
                        self.unexpected.append(f"user {n}: {type(e).__name__}: {e}")

    async def page_user(self, page: Any, until: float) -> None:
        while time.monotonic() < until:
            try:
                got = await run_in_page(page, "import anvil.server\nresult = anvil.server.call('through_uplink', 21)")
                self.expect("page", got, 42)
            except Exception as e:  # noqa: BLE001
                self.unexpected.append(f"page: {type(e).__name__}: {e}")
            await asyncio.sleep(1)


async def mixed_soak(context: Any, seconds: float, users: int = 4) -> list[Row]:
    with LiveServer(SOAK_APP, *SERVER_ARGS) as server:
        uplink = start_uplink(server)
        try:
            page = await open_page(context, server)
            load = MixedLoad(server)
            until = time.monotonic() + seconds
            jobs = [asyncio.create_task(load.user(n, until)) for n in range(users)]
            jobs.append(asyncio.create_task(load.page_user(page, until)))
            samples = []
            while not all(job.done() for job in jobs):
                samples.append(rss_mb(server.process.pid))
                await asyncio.sleep(1)
            await asyncio.gather(*jobs)
            await page.close()
            warm_up = max(3, len(samples) // 4)
            grew = growth(samples, warm_up)
            found = tracebacks(server)
            alive = server_alive(server) and uplink.poll() is None
        finally:
            uplink.terminate()
            uplink.wait(10)
    surprises = "; ".join(load.unexpected[:3])
    return [
        Row(f"mixed soak: {seconds:.0f} s, {users} users + a page + an uplink",
            f"{load.done:,} checks, {len(load.unexpected)} unexpected, {found} tracebacks, alive: {alive}"
            + (f" ({surprises})" if surprises else ""), not load.unexpected and found == 0 and alive),
        Row("mixed soak: RSS growth after warm-up < 10%",
            f"{samples[warm_up]:.0f} MB after warm-up, {samples[-1]:.0f} MB at the end ({grew:+.1%})", grew < 0.10),
    ]
