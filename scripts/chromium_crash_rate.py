"""Measure how often headless Chromium's renderer crashes while the demo page boots Pyodide (issue 15).

Starts the demo app (a real server process) and Debian's Chromium through Playwright with the e2e suite's
flags (tests/e2e/conftest.py), plus Chromium's own logging (``--enable-logging=stderr --v=0``, captured with
Playwright's ``DEBUG=pw:browser`` into ``build/crash-rate/<label>-<contexts>.log``) and a crash-dumps
directory (``build/crash-rate/dumps-<label>-<contexts>/``). Each load opens ``/``, waits until the app is
ready, checks that the page has JSPI and that a blocking ``anvil.server.call`` went through it
(``last_call_path() == "jspi"``), and closes the page. Counted: renderer crashes (Playwright's ``crash``
event, "Target crashed"), browser crashes (``disconnected``), other failures, crash lines in Chromium's log,
crash dumps written; recorded with them: the machine's available memory and Chromium's resident memory (all
its processes) at each load, and the load average.

Context modes (``--contexts``, comma-separated, run one after the other):

- ``reused``: one browser context for every load, a new page each time (as most e2e tests share ``browser``);
- ``fresh``: a new browser context per load, closed after it (cold HTTP and compiled-code caches, as each test
  server's first page is: Pyodide's WebAssembly is compiled from scratch while the page boots).

Results are printed as JSON lines and written to ``bench/results/crash_rate.json`` (``--out``).

Example:
    ./build.sh crash-rate                                          # 200 loads reused, then 200 fresh
    .venv/bin/python scripts/chromium_crash_rate.py --loads 20 --contexts fresh --label smoke
    .venv/bin/python scripts/chromium_crash_rate.py --keep-open 4 --label keep4    # pages left open meanwhile
    .venv/bin/python scripts/chromium_crash_rate.py --flag=--disable-dev-shm-usage --label noshm
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, READY, mem_available_mb  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

OUT_DIR = ROOT / "build" / "crash-rate"
#: What Chromium writes to stderr when one of its processes dies (renderer, GPU, zygote, the browser itself).
#: Its crash handler (crashpad) logs only when a process crashes: a renderer crashed on purpose
#: (``chrome://crash``) gives "Intentionally crashing" and crashpad lines, and no dump file on Debian's build.
CRASH_LINE = re.compile(r"Renderer process crashed|crashed with|Intentionally crashing|crashpad|Received signal|"
                        r"SIGSEGV|SIGBUS|SIGILL|SIGTRAP|Check failed|FATAL|STATUS_ACCESS_VIOLATION|Out of memory|OOM",
                        re.IGNORECASE)
#: Runs one blocking call in the page's Python (entered promising: the JSPI path) and says how it waited.
CALL = ("import anvil.server, json\n"
        "assert anvil.server.call('ping') == 'pong'\n"
        "json.dumps(anvil.server.last_call_path())")


def descendants(pid: int) -> list[int]:
    """The pids of every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def chromium_rss_mb() -> float:
    """Resident memory of all the Chromium processes this script started, in MB (from /proc)."""
    total = 0
    for pid in descendants(os.getpid()):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def load_once(page: Any, url: str) -> str:
    """Boot the app in ``page`` and make one blocking call; "ok", or what went wrong (raises on a crash)."""
    page.goto(url)
    page.wait_for_function(READY, timeout=180_000)
    if page.evaluate("() => !!anvilPyodide.error"):
        return "app error: " + page.evaluate("() => String(anvilPyodide.error)")
    if not page.evaluate("() => typeof WebAssembly.Suspending === 'function'"):
        return "no JSPI in this Chromium"
    path = json.loads(page.evaluate("code => anvilPyodide.app.runPython(code)", CALL))
    return "ok" if path == "jspi" else f"the call waited by {path!r}, not JSPI"


def measure(loads: int, contexts: str, extra_flags: list[str], keep_open: int, label: str) -> dict[str, Any]:
    """``loads`` page loads in one browser; the counts and the memory seen."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    name = f"{label}-{contexts}"
    dumps = OUT_DIR / f"dumps-{name}"
    dumps.mkdir(parents=True, exist_ok=True)
    log_path = OUT_DIR / f"{name}.log"
    args = [*CHROMIUM_FLAGS, *extra_flags, "--enable-logging=stderr", "--v=0", f"--crash-dumps-dir={dumps}"]
    result: dict[str, Any] = {
        "label": label, "contexts": contexts, "flags": extra_flags, "keep_open": keep_open, "loads": 0,
        "renderer_crashes": 0, "browser_crashes": 0, "failures": 0, "crash_log_lines": 0, "crash_dumps": 0,
        "load_average_start": os.getloadavg()[0], "mem_available_min_mb": mem_available_mb(),
        "chromium_rss_max_mb": 0.0, "chromium_version": None, "log": str(log_path.relative_to(ROOT)),
    }
    seconds: list[float] = []
    saved_stderr = os.dup(2)
    os.environ["DEBUG"] = "pw:browser"  # the driver copies Chromium's stderr into its own: our log file
    with log_path.open("w") as log:
        os.dup2(log.fileno(), 2)
        try:
            with LiveServer(ROOT / "demo") as server, sync_playwright() as playwright:
                browser = launch(playwright, args)
                result["chromium_version"] = browser.version
                shared = browser.new_context() if contexts == "reused" else None
                held: list[Any] = []
                for i in range(loads):
                    if not browser.is_connected():  # the browser process itself died: count it, start another
                        result["browser_crashes"] += 1
                        browser = launch(playwright, args)
                        shared = browser.new_context() if contexts == "reused" else None
                        held = []
                    page = (shared or browser.new_context()).new_page()
                    crashed: list[bool] = []
                    page.on("crash", lambda _page, crashed=crashed: crashed.append(True))
                    started = time.monotonic()
                    try:
                        outcome = load_once(page, server.url + "/")
                    except PlaywrightError as e:
                        outcome = ("CRASH " if crashed or "crash" in str(e).lower() else "error ") + str(e).splitlines()[0]
                    seconds.append(time.monotonic() - started)
                    result["loads"] += 1
                    if outcome.startswith("CRASH"):
                        result["renderer_crashes"] += 1
                    elif outcome != "ok":
                        result["failures"] += 1
                    if outcome != "ok":
                        log.write(f"### load {i}: {outcome}\n")
                    result["mem_available_min_mb"] = min(result["mem_available_min_mb"], mem_available_mb())
                    result["chromium_rss_max_mb"] = max(result["chromium_rss_max_mb"], chromium_rss_mb())
                    held.append(page)
                    while len(held) > keep_open:
                        _close(held.pop(0), shared)
                    print(f"{name}: load {i + 1}/{loads} {outcome[:60]} crashes={result['renderer_crashes']} "
                          f"failures={result['failures']}", file=sys.stdout, flush=True)
                for page in held:
                    _close(page, shared)
                browser.close()
        finally:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
    text = log_path.read_text(errors="replace")
    result["crash_log_lines"] = sum(1 for line in text.splitlines() if CRASH_LINE.search(line))
    result["crash_dumps"] = sum(1 for p in dumps.rglob("*") if p.is_file())
    result["load_average_end"] = os.getloadavg()[0]
    result["mem_available_min_mb"] = round(result["mem_available_min_mb"])
    result["chromium_rss_max_mb"] = round(result["chromium_rss_max_mb"])
    seconds.sort()
    result["median_load_seconds"] = round(seconds[len(seconds) // 2], 2) if seconds else None
    result["max_load_seconds"] = round(seconds[-1], 2) if seconds else None
    return result


def launch(playwright: Any, args: list[str]) -> Any:
    """Chromium as the e2e suite launches it, but with its crash handler on (Playwright turns it off with
    ``--disable-breakpad``): a crash can then leave a dump in ``--crash-dumps-dir``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args,
                                      ignore_default_args=["--disable-breakpad"])


def _close(page: Any, shared: Any) -> None:
    try:
        page.close()
        if shared is None:
            page.context.close()
    except Exception:  # noqa: BLE001 - a crashed page's context may refuse: the browser still frees it
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=200)
    parser.add_argument("--contexts", default="reused,fresh", help="reused, fresh, or both (comma-separated)")
    parser.add_argument("--label", default="default")
    parser.add_argument("--flag", action="append", default=[], help="an extra Chromium flag (repeatable)")
    parser.add_argument("--keep-open", type=int, default=0, help="earlier pages left open while the next loads")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "crash_rate.json")
    args = parser.parse_args()
    runs = []
    for contexts in args.contexts.split(","):
        if contexts not in ("reused", "fresh"):
            parser.error(f"unknown --contexts {contexts!r} (reused or fresh)")
        runs.append(measure(args.loads, contexts, args.flag, args.keep_open, args.label))
        print(json.dumps(runs[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d %H:%M:%S"), "runs": runs}, indent=1) + "\n")
    return 1 if any(r["renderer_crashes"] or r["browser_crashes"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
