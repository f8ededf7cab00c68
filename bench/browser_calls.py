"""Browser benchmark, in headless Chromium against the real server; each figure is a ratio to a baseline
measured in the same page:

- sequential ``anvil.server.call`` round trip vs a raw JS WebSocket echo CALL to the same server's /_/ws;
- decoding a ~1 MB response in Python vs ``JSON.parse`` of the same text;
- 8 MB media up and down through ``anvil.server.call`` vs a raw ``fetch`` of the same bytes;
- navigation to the first completed call vs navigation to a bare Pyodide being ready;
- 1,000 concurrent ``call_async`` calls (calls/s) vs a raw JS pipelined WebSocket loop of echo CALLs;
- ``defer(fn, 0)`` vs a bare ``setTimeout(fn, 0)``.

Example:
    >>> median([3.0, 1.0, 2.0])
    2.0
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server_calls import wait_online  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.support.live_server import LiveServer, free_port  # noqa: E402

CALLS = 300
MEDIA_BYTES = 8 * 1024 * 1024
NAVIGATIONS = 3


def median(values: list[float]) -> float:
    return statistics.median(values)


def run_python(page: Any, code: str) -> Any:
    return json.loads(page.evaluate("code => anvilPyodide.app.runPython(code)", f"import json\n{code}\njson.dumps(result)"))


RAW_WS_ECHO = """async ([url, calls]) => {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  await new Promise((ok) => ws.onopen = ok);
  const text = (n) => JSON.stringify({type: "CALL", id: "raw-" + n, command: "anvil.private.echo", args: ["x"], kwargs: {}, objects: []});
  const start = performance.now();
  for (let n = 0; n < calls; n++) {
    const reply = new Promise((ok) => ws.onmessage = ok);
    ws.send(text(n));
    await reply;
  }
  const elapsed = performance.now() - start;
  ws.close();
  return elapsed / calls;
}"""

PY_SEQUENTIAL = f"""
import anvil.server, time
anvil.server.call("noop")
start = time.perf_counter()
for _ in range({CALLS}):
    anvil.server.call("noop")
result = (time.perf_counter() - start) * 1000 / {CALLS}
"""

PY_DECODE = """
import json, time, js
from anvil._wire import encode_message
from anvil._browser.calls import decode_reply
import sys
sys.path.insert(0, "/home/pyodide")
text = json.dumps(encode_message({"id": "x", "response": anvil.server.call("big_response")}).message)
js.benchText = text
best = float("inf")
for _ in range(5):
    start = time.perf_counter()
    decode_reply(text, [])
    best = min(best, time.perf_counter() - start)
result = [best * 1000, len(text)]
"""

JS_PARSE = """() => {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    JSON.parse(window.benchText);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}"""

PY_MEDIA = f"""
import anvil, anvil.server, random, time
data = random.Random({MEDIA_BYTES}).randbytes({MEDIA_BYTES})
start = time.perf_counter()
assert anvil.server.call("media_length", anvil.BlobMedia("application/octet-stream", data)) == {MEDIA_BYTES}
up = time.perf_counter() - start
start = time.perf_counter()
assert anvil.server.call("random_media", {MEDIA_BYTES}).length == {MEDIA_BYTES}
down = time.perf_counter() - start
result = [up * 1000, down * 1000]
"""

JS_RAW_FETCH = """async ([base, size]) => {
  const bytes = new Uint8Array(size);
  crypto.getRandomValues(bytes.subarray(0, 65536));
  let start = performance.now();
  const sent = await (await fetch(base + "/sink", {method: "POST", body: bytes})).text();
  const up = performance.now() - start;
  start = performance.now();
  const got = await (await fetch(base + "/blob?size=" + size)).arrayBuffer();
  const down = performance.now() - start;
  if (Number(sent) !== size || got.byteLength !== size) throw new Error("baseline transfer incomplete");
  return [up, down];
}"""


CONCURRENT = 1000
HOPS = 200

PY_CONCURRENT = f"""
import time
from anvil_labs.non_blocking import call_async
start = time.perf_counter()
calls = [call_async("noop") for _ in range({CONCURRENT})]
for c in calls:
    await c
result = (time.perf_counter() - start) * 1000
"""

JS_PIPELINED = """async ([url, calls]) => {
  const ws = new WebSocket(url);
  await new Promise((ok) => ws.onopen = ok);
  let received = 0;
  const done = new Promise((ok) => ws.onmessage = () => { if (++received === calls) ok(); });
  const start = performance.now();
  for (let n = 0; n < calls; n++) {
    ws.send(JSON.stringify({type: "CALL", id: "pipe-" + n, command: "anvil.private.echo", args: ["x"], kwargs: {}, objects: []}));
  }
  await done;
  const elapsed = performance.now() - start;
  ws.close();
  return elapsed;
}"""

PY_DEFER = f"""
import asyncio, time
from anvil_labs.non_blocking import defer
loop = asyncio.get_event_loop()
async def hop():
    landed = loop.create_future()
    defer(lambda: landed.set_result(None), 0)
    await landed
await hop()
start = time.perf_counter()
for _ in range({HOPS}):
    await hop()
result = (time.perf_counter() - start) * 1000 / {HOPS}
"""

JS_SET_TIMEOUT = """async (hops) => {
  await new Promise((ok) => setTimeout(ok, 0));
  const start = performance.now();
  for (let i = 0; i < hops; i++) await new Promise((ok) => setTimeout(ok, 0));
  return (performance.now() - start) / hops;
}"""


def navigation_ms(context: Any, url: str, marker: str) -> float:
    """Median time from navigation start to ``document.body.dataset[marker]`` being set (warm cache)."""
    times = []
    for attempt in range(NAVIGATIONS + 1):
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(f"() => document.body.dataset.{marker}", timeout=120_000)
        if attempt:  # the first load fills the cache
            times.append(float(page.evaluate(f"() => document.body.dataset.{marker}")))
        page.close()
    return median(times)


def run() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    baseline_port = free_port()
    baseline = subprocess.Popen([sys.executable, str(ROOT / "bench" / "echo_server.py"), str(baseline_port)])
    base_url = f"http://127.0.0.1:{baseline_port}"
    try:
        wait_online(base_url)
        with LiveServer(ROOT / "bench" / "apps" / "browser") as app, LiveServer(ROOT / "bench" / "apps" / "bare") as bare, \
                sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
            context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                                    args=CHROMIUM_FLAGS)
            page = context.new_page()
            page.set_default_timeout(180_000)
            page.goto(app.url + "/")
            page.wait_for_function("() => document.body.dataset.firstCall", timeout=120_000)
            call_ms = run_python(page, PY_SEQUENTIAL)
            raw_ms = page.evaluate(RAW_WS_ECHO, [app.ws_url + "/_/ws", CALLS])
            decode_ms, decode_bytes = run_python(page, PY_DECODE)
            parse_ms = page.evaluate(JS_PARSE)
            media_up_ms, media_down_ms = run_python(page, PY_MEDIA)
            fetch_up_ms, fetch_down_ms = page.evaluate(JS_RAW_FETCH, [base_url, MEDIA_BYTES])
            concurrent_ms = run_python(page, PY_CONCURRENT)
            pipelined_ms = page.evaluate(JS_PIPELINED, [app.ws_url + "/_/ws", CONCURRENT])
            defer_ms = run_python(page, PY_DEFER)
            timeout_ms = page.evaluate(JS_SET_TIMEOUT, HOPS)
            first_call_ms = navigation_ms(context, app.url + "/", "firstCall")
            bare_ms = navigation_ms(context, bare.url + "/", "ready")
            context.close()
    finally:
        baseline.terminate()
        baseline.wait()
    return {
        "sequential_call": {"ours_ms": call_ms, "baseline_ms": raw_ms, "ratio": call_ms / raw_ms,
                            "baseline": "raw JS WebSocket echo CALL to the same /_/ws"},
        "decode_1mb": {"bytes": decode_bytes, "ours_ms": decode_ms, "baseline_ms": parse_ms,
                       "ratio": decode_ms / parse_ms, "baseline": "JSON.parse of the same text"},
        "media_up_8mb": {"ours_ms": media_up_ms, "baseline_ms": fetch_up_ms, "ratio": media_up_ms / fetch_up_ms,
                         "baseline": "raw fetch POST of 8 MB"},
        "media_down_8mb": {"ours_ms": media_down_ms, "baseline_ms": fetch_down_ms,
                           "ratio": media_down_ms / fetch_down_ms, "baseline": "raw fetch GET of 8 MB"},
        "call_async_1000": {"ours_ms": concurrent_ms, "baseline_ms": pipelined_ms, "ratio": concurrent_ms / pipelined_ms,
                            "ours_calls_per_s": CONCURRENT * 1000 / concurrent_ms,
                            "baseline_calls_per_s": CONCURRENT * 1000 / pipelined_ms,
                            "baseline": "raw JS pipelined WebSocket loop of 1,000 echo CALLs (time for all)"},
        "defer_0": {"ours_ms": defer_ms, "baseline_ms": timeout_ms, "ratio": defer_ms / timeout_ms,
                    "baseline": "bare setTimeout(fn, 0), per hop"},
        "navigation": {"ours_ms": first_call_ms, "baseline_ms": bare_ms, "ratio": first_call_ms / bare_ms,
                       "baseline": "navigation to a bare Pyodide ready (same server, warm cache)"},
    }


if __name__ == "__main__":
    start = time.time()
    print(json.dumps(run(), indent=2), f"\n({time.time() - start:.0f} s)")
