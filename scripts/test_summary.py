#!/usr/bin/env python3
"""Summarise the junit XML files of `./build.sh test` and decide the overall result.

Usage: test_summary.py RESULTS_DIR --rc NAME=EXITCODE [--rc NAME=EXITCODE ...]

RESULTS_DIR holds host.xml, conformance.xml and pyodide.xml (one per pytest run); each `--rc`
gives a run's exit code. Prints one line per runtime (host, conformance, node, chrome: the
pyodide run is split by the runtime in each test id, e.g. `test_x[chrome-...]`), then a final
line `N passed, N failed` (a runtime that ran nothing, or a run that failed without a failing
test, counts as one failure). Exits 1 if any pytest run exited non-zero (5, nothing collected,
included) or any of those runtimes ran zero tests (only skips counts as zero).
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

RUNTIMES = ("host", "conformance", "node", "chrome", "e2e")
PYODIDE_RUNTIME = re.compile(r"\[(node|chrome|firefox|safari)(?:-[^\]]*)?\]$")
SEVERITY = {"passed": 0, "skipped": 1, "failed": 2}


def outcomes(xml_path: Path) -> dict[str, str]:
    """Test id -> passed / failed / skipped (errors count as failed; the worst entry wins)."""
    result: dict[str, str] = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        status = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
        test_id = f"{case.get('classname')}::{case.get('name')}"
        if SEVERITY[status] >= SEVERITY[result.get(test_id, "passed")]:
            result[test_id] = status
    return result


def bucket(run: str, test_id: str) -> str:
    """Which summary line a test belongs to."""
    if run != "pyodide":
        return run
    match = PYODIDE_RUNTIME.search(test_id)
    return match.group(1) if match else "pyodide-host"


def main() -> int:
    parser = argparse.ArgumentParser(description="Summarise ./build.sh test results.")
    parser.add_argument("results", type=Path)
    parser.add_argument("--rc", action="append", default=[], metavar="NAME=CODE")
    args = parser.parse_args()
    exit_codes = {name: int(code) for name, code in (item.split("=", 1) for item in args.rc)}

    counts: dict[str, Counter[str]] = {rt: Counter() for rt in RUNTIMES}
    failed_in_run: Counter[str] = Counter()
    for run in exit_codes:
        xml_path = args.results / f"{run}.xml"
        if not xml_path.exists():
            continue
        for test_id, status in outcomes(xml_path).items():
            counts.setdefault(bucket(run, test_id), Counter())[status] += 1
            failed_in_run[run] += status == "failed"

    problems: list[str] = []
    broken: set[str] = set()  # runtimes / runs that failed without a failing test
    for name, c in counts.items():
        print(f"{name}: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped")
        if name in RUNTIMES and c["passed"] + c["failed"] == 0:  # all skipped = ran nothing
            problems.append(f"{name} ran no tests")
            broken.add(name)
    for run, code in exit_codes.items():
        if code != 0:
            why = " (no tests collected)" if code == 5 else ""
            problems.append(f"pytest run '{run}' exited {code}{why}")
            if not failed_in_run[run]:
                broken.add(run)
    for problem in problems:
        print(f"FAILED: {problem}")

    passed = sum(c["passed"] for c in counts.values())
    # Each broken runtime or run counts as one failure, so the closing line never says 0 failed on exit 1.
    failed = sum(c["failed"] for c in counts.values()) + len(broken)
    print(f"{passed} passed, {failed} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
