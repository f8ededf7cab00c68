"""Runs every benchmark, prints ratios against baselines measured in the same run, saves JSON.

Usage: .venv/bin/python bench/run_all.py   (or ./build.sh bench)
Results: bench/results/codec.json, server.json, store.json, browser.json
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import browser_calls, codec_timing, server_calls, store_calls  # noqa: E402

DIST = ROOT / "build" / "dist"
RESULTS = ROOT / "bench" / "results"


def pyodide_codec() -> dict:
    """The codec benchmark inside Pyodide on Node, against JSON.parse+JSON.stringify in the same runtime."""
    wheels = sorted(DIST.glob("anvil_pyodide_runtime-*.whl"))
    if not wheels:
        raise SystemExit(f"No runtime wheel in {DIST}: run ./build.sh setup first")
    out = subprocess.run(["node", str(ROOT / "bench" / "codec_pyodide.mjs"), str(DIST), wheels[-1].name],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    cpython = {"runtime": f"CPython {platform.python_version()}", "results": codec_timing.run()}
    pyodide = pyodide_codec()
    print("codec: encode+decode of a ~1 MB nested payload (ratio = ours / baseline; lower is better)")
    print(f"{'runtime':<34} {'payload':<10} {'bytes':>9} {'ours ms':>9} {'baseline ms':>12} {'ratio':>7}  baseline")
    for name, r in cpython["results"].items():
        print(f"{cpython['runtime']:<34} {name:<10} {r['bytes']:>9} {r['codec_seconds'] * 1e3:>9.1f} "
              f"{r['json_seconds'] * 1e3:>12.1f} {r['ratio']:>7.2f}  json.dumps+json.loads")
    for name, r in pyodide["results"].items():
        print(f"{pyodide['runtime']:<34} {name:<10} {r['bytes']:>9} {r['codec_seconds'] * 1e3:>9.1f} "
              f"{r['js_json_seconds'] * 1e3:>12.1f} {r['ratio_vs_js_json']:>7.2f}  JSON.parse+JSON.stringify")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "codec.json").write_text(json.dumps({"cpython": cpython, "pyodide": pyodide}, indent=2) + "\n")
    print(f"saved {RESULTS / 'codec.json'}")

    calls = server_calls.run()
    print("\nserver: no-op calls over /_/ws vs a bare Starlette WebSocket echo of the same text (ratio = ours / echo)")
    print(f"{'sockets':>7} {'ours calls/s':>13} {'p50 ms':>7} {'p99 ms':>7} {'echo msgs/s':>12} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}")
    for sockets, r in calls.items():
        o, e = r["ours"], r["echo"]
        print(f"{sockets:>7} {o['calls_per_second']:>13.0f} {o['p50_ms']:>7.2f} {o['p99_ms']:>7.2f} "
              f"{e['calls_per_second']:>12.0f} {e['p50_ms']:>7.2f} {e['p99_ms']:>7.2f} {r['throughput_ratio']:>6.2f}")
    (RESULTS / "server.json").write_text(json.dumps(calls, indent=2) + "\n")
    print(f"saved {RESULTS / 'server.json'}")

    stores = store_calls.run()
    print()
    store_calls.report(stores)
    (RESULTS / "store.json").write_text(json.dumps(stores, indent=2) + "\n")
    print(f"saved {RESULTS / 'store.json'}")

    browser = browser_calls.run()
    print("\nbrowser: headless Chromium against the real server (ratio = ours / baseline in the same page)")
    print(f"{'measure':<16} {'ours ms':>9} {'baseline ms':>12} {'ratio':>6}  baseline")
    for name, r in browser.items():
        print(f"{name:<16} {r['ours_ms']:>9.2f} {r['baseline_ms']:>12.2f} {r['ratio']:>6.2f}  {r['baseline']}")
    (RESULTS / "browser.json").write_text(json.dumps(browser, indent=2) + "\n")
    print(f"saved {RESULTS / 'browser.json'}")


if __name__ == "__main__":
    main()
