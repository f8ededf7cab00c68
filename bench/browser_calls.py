"""Browser benchmark, in headless Chromium against the real server; every row compares with a baseline
measured in the same run (bench/report.py: warm-up, >= 5 samples, medians, goal, PASS/MISS):

- sequential ``anvil.server.call`` of a sync and of an ``async def`` server function vs a raw JS WebSocket
  loop sending the same CALL for the same function over the same ``/_/ws``;
- receiving a ~1 MB response in the page (the runtime's own receive path: bridge reply to Python values)
  vs ``JSON.parse`` of the same text;
- 8 MB media down and up through ``anvil.server.call`` vs a raw ``fetch`` of the same bytes from the same
  server process (an ``http_endpoint`` of the bench app);
- 1,000 concurrent ``call_async`` calls vs a raw JS pipelined WebSocket loop of the same 1,000 CALLs;
- ``defer(fn, 0)`` vs a bare ``setTimeout(fn, 0)``;
- navigation to the first completed call, on a first visit (no stored snapshot; HTTP cache warm) and on a
  return visit (snapshot stored), vs navigation to a bare Pyodide being ready (same server build, warm cache);
- the Skulpt runtime (data-runtime="skulpt"): navigation to the first completed call vs the same app on Pyodide
  (first visit), and sequential calls vs the raw JS WebSocket loop.

Usage: .venv/bin/python bench/browser_calls.py [ROW ...]   (default: every row of ROWS; bench/run_all.py runs
it with the other benchmarks)

Example (the Python side of a sequential row):
    >>> "anvil.server.call('noop_async')" in py_sequential("noop_async")
    True
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import Goal, Row, interleave  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

CALLS = 100
MEDIA_BYTES = 8 * 1024 * 1024
CONCURRENT = 1000
HOPS = 200


def run_python(page: Any, code: str) -> Any:
    return json.loads(page.evaluate("code => anvilPyodide.app.runPython(code)", f"import json\n{code}\njson.dumps(result)"))


RAW_WS_CALLS = """async ([url, command, calls]) => {
  // The same CALL the runtime sends (same function, same fields), one after another, over the same /_/ws.
  if (!window.rawSocket || window.rawSocket.readyState !== 1) {
    window.rawSocket = new WebSocket(url);
    await new Promise((ok, fail) => { rawSocket.onopen = ok; rawSocket.onerror = fail; });
  }
  const ws = window.rawSocket;
  const text = (n) => JSON.stringify({type: "CALL", id: "raw-" + n, command, args: [], kwargs: {}, vt_global: [], objects: []});
  const start = performance.now();
  for (let n = 0; n < calls; n++) {
    const reply = new Promise((ok) => ws.onmessage = (event) => { if (JSON.parse(event.data).id === "raw-" + n) ok(); });
    ws.send(text(n));
    await reply;
  }
  return (performance.now() - start) / calls;
}"""


def py_sequential(command: str) -> str:
    return f"""
import anvil.server, time
start = time.perf_counter()
for _ in range({CALLS}):
    anvil.server.call({command!r})
result = (time.perf_counter() - start) * 1000 / {CALLS}
"""


PY_FETCH_BIG = """
import anvil.server, json, js
from anvil._wire import encode_message
js.benchText = json.dumps(encode_message({"id": "big", "response": anvil.server.call("big_response")}).message)
result = len(js.benchText)
"""

JS_MAKE_REPLY = """async () => {
  // The reply object the transport hands Python (transport.mjs replyOf), when the runtime has one.
  const build = await (await fetch("/_/runtime/build.json")).json();
  const transport = await import(`/_/runtime/${build.buildId}/transport.mjs`);
  const incoming = {text: window.benchText, media: null, error: null};
  window.benchReply = transport.replyOf ? transport.replyOf(incoming) : incoming;
}"""

PY_RECEIVE = """
import js, time
reply = js.benchReply
try:
    from anvil._browser.calls import decode_js_reply
except ImportError:  # the runtime before the bridge assembled media (for before/after runs)
    from anvil._browser.calls import decode_reply
    decode_js_reply = lambda reply: decode_reply(str(reply.text), [])
start = time.perf_counter()
value = decode_js_reply(reply)
result = (time.perf_counter() - start) * 1000
del value  # freed after the clock stops, as JSON.parse's value is (V8 collects it later)
"""

#: The receive path before the bridge transcoded replies to marshal (its UTF-8 bytes through json.loads),
#: measured in the same run for the before/after in docs/performance.md.
PY_RECEIVE_JSON = """
import js, time
from anvil._browser.calls import decode_reply
reply = js.benchReply
start = time.perf_counter()
value = decode_reply(reply.utf8.to_bytes(), None, reply.error)
result = (time.perf_counter() - start) * 1000
del value
"""

JS_PARSE = """() => {
  const start = performance.now();
  JSON.parse(window.benchText);
  return performance.now() - start;
}"""

PY_MEDIA_DOWN = f"""
import anvil.server, time
start = time.perf_counter()
assert len(anvil.server.call("random_media", {MEDIA_BYTES}).get_bytes()) == {MEDIA_BYTES}
result = (time.perf_counter() - start) * 1000
"""

PY_MEDIA_UP = f"""
import anvil, anvil.server, time
data = bytes({MEDIA_BYTES})
start = time.perf_counter()
assert anvil.server.call("media_length", anvil.BlobMedia("application/octet-stream", data)) == {MEDIA_BYTES}
result = (time.perf_counter() - start) * 1000
"""

JS_FETCH_DOWN = """async (size) => {
  const start = performance.now();
  const got = await (await fetch("/_/api/blob?size=" + size, {cache: "no-store"})).arrayBuffer();
  if (got.byteLength !== size) throw new Error("baseline download incomplete");
  return performance.now() - start;
}"""

JS_FETCH_UP = """async (size) => {
  const bytes = new Uint8Array(size);
  const start = performance.now();
  const sent = await (await fetch("/_/api/sink", {method: "POST", body: bytes})).text();
  if (Number(sent) !== size) throw new Error("baseline upload incomplete: " + sent);
  return performance.now() - start;
}"""

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
    ws.send(JSON.stringify({type: "CALL", id: "pipe-" + n, command: "noop", args: [], kwargs: {}, vt_global: [], objects: []}));
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
start = time.perf_counter()
for _ in range({HOPS}):
    await hop()
result = (time.perf_counter() - start) * 1000 / {HOPS}
"""

JS_SET_TIMEOUT = """async (hops) => {
  const start = performance.now();
  for (let i = 0; i < hops; i++) await new Promise((ok) => setTimeout(ok, 0));
  return (performance.now() - start) / hops;
}"""

FORGET_SNAPSHOTS = "async () => { for (const name of await caches.keys()) await caches.delete(name); }"


def navigation_ms(context: Any, url: str, marker: str, before: Callable[[], None] = lambda: None) -> float:
    """Time from navigation start to ``document.body.dataset[marker]``; waits for a snapshot being stored."""
    before()
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_function(f"() => document.body.dataset.{marker}", timeout=120_000)
        page.evaluate("async () => window.anvilPyodide && anvilPyodide.app && await anvilPyodide.app.snapshotSaved")
        return float(page.evaluate(f"() => document.body.dataset.{marker}"))
    finally:
        page.close()


def navigation_rows(context: Any, app: LiveServer, bare: LiveServer) -> list[Row]:
    def forget() -> None:
        page = context.new_page()
        page.goto(app.url + "/_/check-app-online")
        page.evaluate(FORGET_SNAPSHOTS)
        page.close()

    def first_visit() -> float:
        return navigation_ms(context, app.url + "/", "firstCall", forget)

    def return_visit() -> float:
        return navigation_ms(context, app.url + "/", "firstCall")

    def bare_ready() -> float:
        return navigation_ms(context, bare.url + "/", "ready")

    first, bare_1 = interleave(first_visit, bare_ready)
    navigation_ms(context, app.url + "/", "firstCall")  # stores the snapshot
    again, bare_2 = interleave(return_visit, bare_ready)
    return [
        Row("nav_first_call_first", first, bare_1, Goal("diff_max", 150),
            "navigation -> bare Pyodide ready (same server build, warm HTTP cache; no snapshot stored)"),
        Row("nav_first_call_return", again, bare_2, Goal("ratio_max", 0.5),
            "navigation -> bare Pyodide ready (same server build, warm HTTP cache; snapshot stored)"),
    ]


def py_sequential_skulpt(command: str) -> str:
    """``py_sequential`` for the Skulpt runtime (whose ``time`` has no ``perf_counter``)."""
    return f"""
import anvil.js, anvil.server
now = anvil.js.window.performance.now
start = now()
for _ in range({CALLS}):
    anvil.server.call({command!r})
result = (now() - start) / {CALLS}
"""


def skulpt_rows(context: Any, app: LiveServer, skulpt_app: LiveServer) -> list[Row]:
    """The Skulpt runtime (data-runtime="skulpt"): navigation to the first completed call vs the same app on Pyodide
    (first visit: no stored snapshot), and sequential calls vs the raw JS WebSocket loop."""
    def forget() -> None:
        page = context.new_page()
        page.goto(app.url + "/_/check-app-online")
        page.evaluate(FORGET_SNAPSHOTS)
        page.close()

    skulpt_nav, pyodide_nav = interleave(lambda: navigation_ms(context, skulpt_app.url + "/", "firstCall"),
                                         lambda: navigation_ms(context, app.url + "/", "firstCall", forget))
    page = context.new_page()
    page.goto(skulpt_app.url + "/")
    page.wait_for_function("() => document.body.dataset.firstCall", timeout=120_000)
    ours, base = interleave(lambda: run_python(page, py_sequential_skulpt("noop")),
                            lambda: page.evaluate(RAW_WS_CALLS, [skulpt_app.ws_url + "/_/ws", "noop", CALLS]))
    page.close()
    return [
        Row("nav_first_call_skulpt", skulpt_nav, pyodide_nav, Goal("ratio_max", 0.25),
            "the same app on Pyodide: navigation -> first completed call (first visit, warm HTTP cache)"),
        Row("call_sync_fn_skulpt", ours, base, Goal("ratio_max", 1.5),
            "raw JS WebSocket loop: the same CALL (noop) over the same /_/ws, per call (page on Skulpt)"),
    ]


def open_app(playwright: Any, profile_dir: str, app: LiveServer) -> tuple[Any, Any]:
    """Headless Chromium (a persistent context in ``profile_dir``) with the bench app's page open and ready."""
    context = playwright.chromium.launch_persistent_context(profile_dir, executable_path=CHROMIUM, headless=True,
                                                            args=CHROMIUM_FLAGS)
    page = context.new_page()
    page.set_default_timeout(300_000)
    page.goto(app.url + "/")
    page.wait_for_function("() => document.body.dataset.firstCall", timeout=120_000)
    page.evaluate("async () => await anvilPyodide.app.snapshotSaved")  # measure once the first visit's work is done
    return context, page


#: Every row's name, in the order a run measures them (``run(names)`` measures only those given).
ROWS = ["call_sync_fn", "call_async_def_fn", "receive_1mb", "media_down_8mb", "media_up_8mb", "call_async_1000",
        "defer_0", "nav_first_call_first", "nav_first_call_return"]
#: The rows of the Skulpt runtime (data-runtime="skulpt"), measured on a page of their own.
SKULPT_ROWS = ["nav_first_call_skulpt", "call_sync_fn_skulpt"]
ROWS += SKULPT_ROWS


def page_rows(page: Any, ws_url: str, names: set[str]) -> list[Row]:
    """The rows measured inside the open app page, those of ``names`` only."""
    rows = []
    for command, name in (("noop", "call_sync_fn"), ("noop_async", "call_async_def_fn")):
        if name in names:
            ours, base = interleave(lambda: run_python(page, py_sequential(command)),
                                    lambda: page.evaluate(RAW_WS_CALLS, [ws_url, command, CALLS]))
            rows.append(Row(name, ours, base, Goal("ratio_max", 1.3),
                            f"raw JS WebSocket loop: the same CALL ({command}) over the same /_/ws, per call"))
    if "receive_1mb" in names:
        size = run_python(page, PY_FETCH_BIG)
        page.evaluate(JS_MAKE_REPLY)
        json_path: list[float] = []

        def receive() -> float:
            json_path.append(run_python(page, PY_RECEIVE_JSON))
            return run_python(page, PY_RECEIVE)

        ours, base = interleave(receive, lambda: page.evaluate(JS_PARSE))
        rows.append(Row("receive_1mb", ours, base, Goal("ratio_max", 2),
                        "JSON.parse of the same text; the json.loads path (before): "
                        f"{statistics.median(json_path):.1f} [{min(json_path):.1f}-{max(json_path):.1f}] ms",
                        extra={"bytes": size, "json_loads_path_samples": json_path}))
    if "media_down_8mb" in names:
        ours, base = interleave(lambda: run_python(page, PY_MEDIA_DOWN),
                                lambda: page.evaluate(JS_FETCH_DOWN, MEDIA_BYTES))
        rows.append(Row("media_down_8mb", ours, base, Goal("ratio_max", 1.25),
                        "raw fetch GET of the same 8 MB from the same server process (/_/api/blob)"))
    if "media_up_8mb" in names:
        ours, base = interleave(lambda: run_python(page, PY_MEDIA_UP), lambda: page.evaluate(JS_FETCH_UP, MEDIA_BYTES))
        rows.append(Row("media_up_8mb", ours, base, Goal("ratio_max", 1.25),
                        "raw fetch POST of 8 MB to the same server process (/_/api/sink)"))
    if "call_async_1000" in names:
        ours, base = interleave(lambda: run_python(page, PY_CONCURRENT),
                                lambda: page.evaluate(JS_PIPELINED, [ws_url, CONCURRENT]))
        rows.append(Row("call_async_1000", ours, base, Goal("ratio_max", 2),
                        "raw JS pipelined WebSocket loop of the same 1,000 CALLs (noop), time for all"))
    if "defer_0" in names:
        ours, base = interleave(lambda: run_python(page, PY_DEFER), lambda: page.evaluate(JS_SET_TIMEOUT, HOPS))
        rows.append(Row("defer_0", ours, base, None, "bare setTimeout(fn, 0), per hop"))
    return rows


def run(names: list[str] | None = None) -> list[Row]:
    """Measure the rows of ``names`` (every row of ROWS when None or empty)."""
    from playwright.sync_api import sync_playwright

    wanted = set(names or ROWS)
    unknown = wanted - set(ROWS)
    if unknown:
        raise SystemExit(f"Unknown browser rows {sorted(unknown)}; the rows are {', '.join(ROWS)}")
    with LiveServer(ROOT / "bench" / "apps" / "browser") as app, LiveServer(ROOT / "bench" / "apps" / "bare") as bare, \
            sync_playwright() as playwright, tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        context, page = open_app(playwright, profile, app)
        rows = page_rows(page, app.ws_url + "/_/ws", wanted)
        page.close()
        if wanted & {"nav_first_call_first", "nav_first_call_return"}:
            rows += [row for row in navigation_rows(context, app, bare) if row.name in wanted]
        if wanted & set(SKULPT_ROWS):
            from tests.e2e.conftest import on_skulpt

            with tempfile.TemporaryDirectory() as skulpt_dir, \
                    LiveServer(on_skulpt(ROOT / "bench" / "apps" / "browser", Path(skulpt_dir) / "app")) as skulpt_app:
                rows += [row for row in skulpt_rows(context, app, skulpt_app) if row.name in wanted]
        context.close()
    return rows


if __name__ == "__main__":
    from bench.report import print_rows

    began = time.time()
    print_rows("browser", run(sys.argv[1:]))
    print(f"({time.time() - began:.0f} s)")
