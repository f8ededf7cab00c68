"""Measure how often headless Chromium's renderer crashes while the demo page boots Pyodide.

Starts the demo app (a real server process), then loads ``/`` in new pages of one persistent Chromium
context (as tests/e2e does), waits for the app to be ready, runs one server call, closes the page, and
counts renderer crashes (Playwright's ``crash`` event: "Target crashed"). Chromium's own log
(``--enable-logging=stderr``) goes to ``build/chromium-crash-rate-<label>.log`` for the crash lines.

Example:
    .venv/bin/python scripts/chromium_crash_rate.py --loads 50 --label default
    .venv/bin/python scripts/chromium_crash_rate.py --loads 50 --label noshm --flag=--disable-dev-shm-usage
    .venv/bin/python scripts/chromium_crash_rate.py --loads 20 --keep-open 4     # pages left open meanwhile
    .venv/bin/python scripts/chromium_crash_rate.py --loads 50 --cold            # each load in a new context

``--cold`` loads each page in a new browser context (empty HTTP and compiled-code caches), as the first page
of each test server's origin is: Pyodide's WebAssembly is then compiled from scratch (and tiered up in the
background) while the page boots.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

READY = "() => document.body.dataset.ready || (window.anvilPyodide && anvilPyodide.error)"


def measure(loads: int, extra_flags: list[str], keep_open: int, label: str, cold: bool) -> dict[str, object]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    log_path = ROOT / "build" / f"chromium-crash-rate-{label}.log"
    results: dict[str, object] = {"label": label, "flags": extra_flags, "loads": 0, "crashes": 0, "errors": 0,
                                  "seconds": []}
    with LiveServer(ROOT / "demo") as server, sync_playwright() as playwright, \
            tempfile.TemporaryDirectory() as profile, log_path.open("w") as log:
        args = [*CHROMIUM_FLAGS, *extra_flags, "--enable-logging=stderr", "--v=0"]
        env = {**os.environ, "CHROME_LOG_FILE": str(log_path)}
        if cold:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args, env=env)
            context = None
        else:
            context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                                    args=args, env=env)
        held = []
        for i in range(loads):
            page = browser.new_context().new_page() if cold else context.new_page()
            crashed: list[bool] = []
            page.on("crash", lambda _page, crashed=crashed: crashed.append(True))
            started = time.monotonic()
            try:
                page.goto(server.url + "/")
                page.wait_for_function(READY, timeout=120_000)
                if page.evaluate("() => !!anvilPyodide.error"):
                    results["errors"] += 1  # type: ignore[operator]
                    log.write(f"load {i}: app error {page.evaluate('() => String(anvilPyodide.error)')}\n")
                else:
                    page.evaluate("() => anvilPyodide.app.runPython('import anvil.server; anvil.server.call(\"ping\")')")
            except PlaywrightError as e:
                if crashed or "crash" in str(e).lower():
                    results["crashes"] += 1  # type: ignore[operator]
                    log.write(f"load {i}: CRASH {str(e).splitlines()[0]}\n")
                else:
                    results["errors"] += 1  # type: ignore[operator]
                    log.write(f"load {i}: error {str(e).splitlines()[0]}\n")
            results["seconds"].append(round(time.monotonic() - started, 2))  # type: ignore[union-attr]
            results["loads"] += 1  # type: ignore[operator]
            log.flush()
            held.append(page)
            while len(held) > keep_open:
                old = held.pop(0)
                old.close()
                if cold:
                    old.context.close()
            print(f"{label}: load {i + 1}/{loads} crashes={results['crashes']} errors={results['errors']}", flush=True)
        for page in held:
            page.close()
        (browser if cold else context).close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--label", default="default")
    parser.add_argument("--flag", action="append", default=[], help="an extra Chromium flag (repeatable)")
    parser.add_argument("--keep-open", type=int, default=0, help="earlier pages left open while the next loads")
    parser.add_argument("--cold", action="store_true", help="each load in a new browser context (cold caches)")
    args = parser.parse_args()
    results = measure(args.loads, args.flag, args.keep_open, args.label, args.cold)
    seconds = results.pop("seconds")
    results["median_seconds"] = sorted(seconds)[len(seconds) // 2] if seconds else None  # type: ignore[arg-type]
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
