"""Chrome CPU profiles of the browser benchmark's rows, through CDP (Playwright's CDP session), with a
summary of where the time goes: self time per function, grouped by where the function lives (our bridge,
Pyodide's JS glue, wasm = the Python interpreter, V8 builtins, idle = waiting for the network/server).

Usage: .venv/bin/python bench/profile_browser.py [row ...]   (rows: see ROWS and JS_ROWS, the raw baselines;
default: ROWS)
Writes build/profiles/<row>.cpuprofile (open in Chrome DevTools > Performance) and prints the summary.
With --cpu: the page's main-thread CPU time per call instead (CDP Performance metrics, ThreadTime), 7 runs each:
the steadier figure on a shared machine, e.g. ``bench/profile_browser.py --cpu call_sync_fn call_sync_fn_raw``.

Example:
    >>> where({"url": "http://h/_/runtime/abc/transport.mjs", "functionName": "receive"})
    'bridge (js_bridge/*.mjs)'
"""

from __future__ import annotations

import collections
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import browser_calls as rows_src  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

OUT = ROOT / "build" / "profiles"

#: row -> (Python code run in the page, setup code run first or None)
ROWS = {
    "call_sync_fn": (rows_src.py_sequential("noop"), None),
    "call_async_def_fn": (rows_src.py_sequential("noop_async"), None),
    "receive_1mb": (rows_src.PY_RECEIVE, rows_src.PY_FETCH_BIG),
    "media_down_8mb": (rows_src.PY_MEDIA_DOWN, None),
    "call_async_1000": (rows_src.PY_CONCURRENT, None),
}
#: baseline rows: row -> (JS function run in the page, its arguments given the /_/ws URL)
JS_ROWS = {
    "call_sync_fn_raw": (rows_src.RAW_WS_CALLS, lambda ws_url: [ws_url, "noop", rows_src.CALLS]),
    "call_async_def_fn_raw": (rows_src.RAW_WS_CALLS, lambda ws_url: [ws_url, "noop_async", rows_src.CALLS]),
}
#: rows whose summary is also printed per call (they make rows_src.CALLS calls)
PER_CALL = {"call_sync_fn", "call_sync_fn_raw", "call_async_def_fn", "call_async_def_fn_raw"}


def where(node: dict[str, Any]) -> str:
    """The part of the page a profile node's function belongs to."""
    url, name = node.get("url", ""), node.get("functionName", "")
    if name in ("(idle)", "(program)", "(garbage collector)"):
        return name
    if url.endswith(".wasm") or "wasm-function" in name or url.startswith("wasm://"):
        return "wasm (the Python interpreter)"
    if any(url.endswith(f) for f in ("transport.mjs", "frames.mjs", "runtime.mjs", "wire_types.mjs", "spinner.mjs",
                                     "snapshot.mjs", "bridge.mjs", "session.mjs", "json_marshal.mjs")):
        return "bridge (js_bridge/*.mjs)"
    if "pyodide" in url:
        return "pyodide JS glue (pyodide.asm.mjs)"
    if not url:
        return "V8/builtins (" + (name or "anonymous") + ")"
    return "other JS"


def summarise(profile: dict[str, Any], top: int = 12, calls: int = 0) -> list[str]:
    """Self time by part and the functions with the most self time (and per call, given ``calls``)."""
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    deltas = profile["timeDeltas"]
    self_ms: collections.Counter[int] = collections.Counter()
    for sample, delta in zip(profile["samples"], deltas[1:] + [0]):
        self_ms[sample] += delta / 1000
    total = sum(self_ms.values()) or 1.0
    parts: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    for node_id, ms in self_ms.items():
        frame = nodes[node_id]
        parts[where(frame)] += ms
        functions[f"{frame.get('functionName') or '(anonymous)'} {frame.get('url', '').rsplit('/', 1)[-1]}"] += ms
    per_call = (lambda ms: f" {1000 * ms / calls:7.1f} us/call") if calls else (lambda ms: "")
    lines = [f"  total {total:.0f} ms" + per_call(total) + (f", not idle{per_call(total - parts['(idle)'])}" if calls else "")]
    lines += [f"  {ms:8.1f} ms {100 * ms / total:5.1f}%{per_call(ms)}  {part}" for part, ms in parts.most_common()]
    lines.append("  top functions (self time):")
    lines += [f"  {ms:8.1f} ms  {name}" for name, ms in functions.most_common(top)]
    return lines


def thread_cpu_ms(cdp: Any) -> float:
    """The page's main thread CPU time so far (CDP ``Performance`` metrics, ``ThreadTime``), in ms."""
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return 1000 * next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def main(names: list[str], cpu: bool = False) -> None:
    """Profile each row once after a warm-up; with ``cpu``, print instead the main thread's CPU time per call of
    7 runs (median [min-max]): less disturbed by other processes on the machine than wall time or a profile."""
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with LiveServer(ROOT / "bench" / "apps" / "browser") as app, sync_playwright() as playwright, \
            tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile_dir:
        context, page = rows_src.open_app(playwright, profile_dir, app)
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 100})
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        for name in names or list(ROWS):
            if name in JS_ROWS:
                function, arguments = JS_ROWS[name]
                run = (lambda: page.evaluate(function, arguments(app.ws_url + "/_/ws")))
            else:
                code, setup = ROWS[name]
                if setup:
                    rows_src.run_python(page, setup)
                    page.evaluate(rows_src.JS_MAKE_REPLY)
                run = (lambda: rows_src.run_python(page, code))
            run()  # warm-up
            if cpu:
                calls = rows_src.CALLS if name in PER_CALL else 1
                samples = []
                for _ in range(7):
                    before = thread_cpu_ms(cdp)
                    run()
                    samples.append(1000 * (thread_cpu_ms(cdp) - before) / calls)
                unit = "us of main-thread CPU per call" if name in PER_CALL else "us of main-thread CPU"
                print(f"{name}: {statistics.median(samples):.1f} [{min(samples):.1f}-{max(samples):.1f}] {unit}")
                continue
            cdp.send("Profiler.start")
            result = run()
            profile = cdp.send("Profiler.stop")["profile"]
            (OUT / f"{name}.cpuprofile").write_text(json.dumps(profile))
            print(f"{name}: row result {result}")
            print("\n".join(summarise(profile, calls=rows_src.CALLS if name in PER_CALL else 0)))
        context.close()


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if a != "--cpu"], cpu="--cpu" in sys.argv[1:])
