#!/usr/bin/env python3
"""Summarise the junit XML files of `./build.sh test` and decide the overall result.

Usage: test_summary.py RESULTS_DIR --rc NAME=EXITCODE [--rc NAME=EXITCODE ...]

RESULTS_DIR holds one junit XML per run (host.xml, conformance.xml, pyodide.xml, e2e.xml from pytest,
js-bridge.xml from `node --test`); each `--rc` gives a run's exit code. Prints one line per category, so
that the numbers mean what they say:

    host behaviour tests   tests/host, without the docstring examples
    host doctests          the docstring examples (documentation that must stay true; counted apart)
    conformance            tests/conformance (real anvil-uplink clients against the server)
    node codec / chrome codec
                           tests/pyodide, split by the runtime in each test id (`test_x[chrome-...]`)
    js-bridge unit         tests/js (Node's test runner: transport, frames, spinner)
    e2e browser tests      tests/e2e that drive headless Chromium (junit property browser=chromium)
    e2e non-browser tests  the other tests/e2e tests (README blocks checked without a page, ...)

then a final line `N passed, N failed`. Exits 1 if any run exited non-zero (pytest's 5, nothing collected,
included) or any category ran zero tests (only skips counts as zero); such a category or run counts as one
failure in the final line.

Example:
    >>> bucket("host", "tests.host.test_docstring_examples::test_docstring_examples[anvil]", {})
    'host doctests'
    >>> bucket("pyodide", "tests.pyodide.test_shared_cases::test_case[chrome-int]", {})
    'chrome codec'
    >>> bucket("e2e", "tests.e2e.test_readme::test_the_cli_block", {})
    'e2e non-browser tests'
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Iterator

#: Every category a full run must fill, in print order.
CATEGORIES = ("host behaviour tests", "host doctests", "conformance", "node codec", "chrome codec",
              "js-bridge unit", "e2e browser tests", "e2e non-browser tests")
PYODIDE_RUNTIME = re.compile(r"\[(node|chrome|firefox|safari)(?:-[^\]]*)?\]$")
DOCTESTS = "test_docstring_examples"
SEVERITY = {"passed": 0, "skipped": 1, "failed": 2}


def _cases(element: ET.Element, suites: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], ET.Element]]:
    """Every testcase with the names of the testsuites around it (node's runner nests one per describe)."""
    for child in element:
        if child.tag == "testcase":
            yield suites, child
        elif child.tag in ("testsuite", "testsuites"):
            yield from _cases(child, suites + ((child.get("name") or "",) if child.tag == "testsuite" else ()))


def outcomes(xml_path: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Test id -> (passed / failed / skipped, junit properties); errors count as failed, the worst entry wins."""
    result: dict[str, tuple[str, dict[str, str]]] = {}
    for suites, case in _cases(ET.parse(xml_path).getroot()):
        tags = {child.tag for child in case}
        status = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
        properties = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        test_id = "::".join([*suites, case.get("classname") or "", case.get("name") or ""])
        if SEVERITY[status] >= SEVERITY[result.get(test_id, ("passed", {}))[0]]:
            result[test_id] = (status, properties)
    return result


def bucket(run: str, test_id: str, properties: dict[str, str]) -> str:
    """Which summary line a test belongs to."""
    if run == "host":
        return "host doctests" if DOCTESTS in test_id else "host behaviour tests"
    if run == "pyodide":
        match = PYODIDE_RUNTIME.search(test_id)
        return f"{match.group(1)} codec" if match else "pyodide host-side"
    if run == "e2e":
        return "e2e browser tests" if properties.get("browser") else "e2e non-browser tests"
    if run == "js-bridge":
        return "js-bridge unit"
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description="Summarise ./build.sh test results.")
    parser.add_argument("results", type=Path)
    parser.add_argument("--rc", action="append", default=[], metavar="NAME=CODE")
    args = parser.parse_args()
    exit_codes = {name: int(code) for name, code in (item.split("=", 1) for item in args.rc)}

    counts: dict[str, Counter[str]] = {category: Counter() for category in CATEGORIES}
    failed_in_run: Counter[str] = Counter()
    for run in exit_codes:
        xml_path = args.results / f"{run}.xml"
        if not xml_path.exists():
            continue
        for test_id, (status, properties) in outcomes(xml_path).items():
            counts.setdefault(bucket(run, test_id, properties), Counter())[status] += 1
            failed_in_run[run] += status == "failed"

    problems: list[str] = []
    broken: set[str] = set()  # categories / runs that failed without a failing test
    width = max(len(name) for name in counts)
    for name, c in counts.items():
        print(f"{name:<{width}}  {c['passed']:5} passed, {c['failed']} failed, {c['skipped']} skipped")
        if name in CATEGORIES and c["passed"] + c["failed"] == 0:  # all skipped = ran nothing
            problems.append(f"{name}: ran no tests")
            broken.add(name)
    for run, code in exit_codes.items():
        if code != 0:
            why = " (no tests collected)" if code == 5 else ""
            problems.append(f"run '{run}' exited {code}{why}")
            if not failed_in_run[run]:
                broken.add(run)
    for problem in problems:
        print(f"FAILED: {problem}")

    passed = sum(c["passed"] for c in counts.values())
    # Each broken category or run counts as one failure, so the closing line never says 0 failed on exit 1.
    failed = sum(c["failed"] for c in counts.values()) + len(broken)
    doctests = counts["host doctests"]["passed"]
    print(f"{passed} passed ({passed - doctests} behaviour tests + {doctests} doctests), {failed} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
