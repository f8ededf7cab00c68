"""Two versions of js_bridge/json_marshal.mjs compared inside one Chromium page of the bench app, on the
``receive_1mb`` reply: the JS transcoding time of each, ``marshal.loads`` of each one's bytes (the value held
until the clock stops) and ``JSON.parse``, interleaved sample by sample (wall time on a loaded machine moves
2-5x between runs; within one page and one run the two sides see the same load).

Usage:
    .venv/bin/python bench/transcoder_ab.py OLD.mjs [NEW.mjs] [--samples 40]
    (e.g. OLD.mjs from `git show main:js_bridge/json_marshal.mjs > /tmp/old.mjs`; NEW defaults to this tree's)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser_calls import JS_MAKE_REPLY, JS_PARSE, PY_FETCH_BIG, open_app, run_python  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

JS_LOAD = """async ([a, b]) => {
  const load = async (src) => import(URL.createObjectURL(new Blob([src], {type: "text/javascript"})));
  const [modA, modB] = [await load(a), await load(b)];
  window.packA = () => modA.jsonToMarshal(window.benchText, {scalarEntries: true});
  window.packB = () => modB.jsonToMarshal(window.benchText, {scalarEntries: true});
}"""
JS_TIME = "(name) => { const start = performance.now(); window[name](); return performance.now() - start; }"
PY_SETUP = """import js, time, marshal
packed = {"A": js.packA().to_bytes(), "B": js.packB().to_bytes()}
assert marshal.loads(packed["A"]) == marshal.loads(packed["B"])
result = [len(packed["A"]), len(packed["B"])]"""
PY_LOADS = """start = time.perf_counter()
value = marshal.loads(packed[{side!r}])
result = (time.perf_counter() - start) * 1000
del value"""


def measure(old: str, new: str, samples: int) -> dict[str, list[float]]:
    """Milliseconds of each piece, ``samples`` interleaved samples after 3 warm-up rounds."""
    from playwright.sync_api import sync_playwright

    with LiveServer(ROOT / "bench" / "apps" / "browser") as app, sync_playwright() as playwright, \
            tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        context, page = open_app(playwright, profile, app)
        run_python(page, PY_FETCH_BIG)
        page.evaluate(JS_MAKE_REPLY)
        page.evaluate(JS_LOAD, [old, new])
        print("marshal bytes (A, B):", run_python(page, PY_SETUP))
        results: dict[str, list[float]] = {"JSON.parse": [], "js A": [], "js B": [], "loads A": [], "loads B": []}
        for round_ in range(samples + 3):
            got = {"js A": page.evaluate(JS_TIME, "packA"), "js B": page.evaluate(JS_TIME, "packB"),
                   "loads A": run_python(page, PY_LOADS.format(side="A")),
                   "loads B": run_python(page, PY_LOADS.format(side="B")), "JSON.parse": page.evaluate(JS_PARSE)}
            if round_ >= 3:
                for name, ms in got.items():
                    results[name].append(ms)
        context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?", default=ROOT / "js_bridge" / "json_marshal.mjs")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    for name, values in measure(args.old.read_text(), args.new.read_text(), args.samples).items():
        values.sort()
        print(f"{name:10} median {statistics.median(values):6.2f} ms  "
              f"q1-q3 {values[len(values) // 4]:.2f}-{values[3 * len(values) // 4]:.2f}  min {values[0]:.2f}")


if __name__ == "__main__":
    main()
