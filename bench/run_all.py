"""Runs every benchmark, prints each row against its baseline measured in the same run with its goal and
PASS/MISS, and saves the results as JSON.

Usage: .venv/bin/python bench/run_all.py [codec] [server] [browser]   (or ./build.sh bench; default: all)
Results: bench/results/codec.json, server.json, browser.json
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import browser_calls, codec_timing, server_calls  # noqa: E402
from bench.report import Goal, Row, print_rows  # noqa: E402

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


def codec_rows() -> list[Row]:
    ms = lambda seconds: [s * 1e3 for s in seconds]  # noqa: E731
    cpython = codec_timing.run()
    pyodide = pyodide_codec()["results"]
    rows = [Row(f"codec_pyodide_{name}", ms(r["codec_samples"]), ms(r["js_json_samples"]), Goal("ratio_max", 3),
                "JSON.parse+JSON.stringify of the same text in the same JS runtime (Node); Python's own "
                f"json.dumps+json.loads there: {statistics.median(ms(r['python_json_samples'])):.1f} ms; the "
                f"Python-only codec path: {statistics.median(ms(r['python_codec_samples'])):.1f} ms",
                extra={"bytes": r["bytes"], "python_json_samples": ms(r["python_json_samples"]),
                       "python_codec_samples": ms(r["python_codec_samples"])})
            for name, r in pyodide.items()]
    rows += [Row(f"codec_cpython_{name}", ms(r["codec_samples"]), ms(r["json_samples"]), None,
                 f"json.loads+json.dumps of the same data (CPython {platform.python_version()})",
                 extra={"bytes": r["bytes"]})
             for name, r in cpython.items()]
    return rows


def save(name: str, rows: list[Row]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({row.name: row.as_json() for row in rows}, indent=2) + "\n")
    print(f"saved {path}")


SUITES = {
    "codec": ("codec: encode+decode of a ~1 MB nested payload (figure = ours / baseline; lower is better)", codec_rows),
    "server": ("server: no-op calls over /_/ws (figure = ours / echo calls per second; higher is better)", server_calls.run),
    "browser": ("browser: headless Chromium against the real server (figure = ours / baseline; lower is better)",
                browser_calls.run),
}


def main(names: list[str]) -> None:
    verdicts = []
    for name in names or list(SUITES):
        title, run = SUITES[name]
        rows = run()
        print_rows(title, rows)
        save(name, rows)
        verdicts += [row for row in rows if row.passed is not None]
    missed = [row.name for row in verdicts if not row.passed]
    print(f"\n{len(verdicts) - len(missed)} of {len(verdicts)} rows meet their goal"
          + (f"; MISS: {', '.join(missed)}" if missed else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
