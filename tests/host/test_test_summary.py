"""scripts/test_summary.py: what `./build.sh test` prints and when it fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test_summary.py"

PYTEST_XML = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>"""
CASE = '<testcase classname="{cls}" name="{name}">{inner}</testcase>'
BROWSER = '<properties><property name="browser" value="chromium" /></properties>'


def write(results: Path, name: str, *cases: tuple[str, str, str]) -> None:
    (results / f"{name}.xml").write_text(PYTEST_XML.format(
        cases="".join(CASE.format(cls=c, name=n, inner=i) for c, n, i in cases)))


def full_run(results: Path) -> None:
    write(results, "host", ("tests.host.test_x", "test_a", ""), ("tests.host.test_x", "test_b", ""),
          ("tests.host.test_docstring_examples", "test_docstring_examples[anvil]", ""))
    write(results, "conformance", ("tests.conformance.test_c", "test_c", ""))
    write(results, "pyodide", ("tests.pyodide.test_s", "test_s[node-int]", ""), ("tests.pyodide.test_s", "test_s[chrome-int]", ""))
    # node's runner nests a testsuite per describe; equal names in two suites are two tests
    (results / "js-bridge.xml").write_text('<testsuites><testsuite name="frames"><testcase name="t" classname="test"/>'
                                           '</testsuite><testsuite name="spinner"><testcase name="t" classname="test"/>'
                                           '</testsuite></testsuites>')
    write(results, "e2e", ("tests.e2e.test_p", "test_page", BROWSER), ("tests.e2e.test_p", "test_cli", ""))


def summary(results: Path, *codes: str) -> tuple[int, list[str]]:
    args = [arg for code in codes for arg in ("--rc", code)]
    done = subprocess.run([sys.executable, str(SCRIPT), str(results), *args], capture_output=True, text=True)
    return done.returncode, done.stdout.splitlines()


RUNS = ("host=0", "conformance=0", "pyodide=0", "js-bridge=0", "e2e=0")


def test_counts_each_category_apart(tmp_path: Path) -> None:
    full_run(tmp_path)
    code, lines = summary(tmp_path, *RUNS)
    counts = {line.split("  ")[0]: line.split()[-6] for line in lines[:-1]}
    assert counts == {"host behaviour tests": "2", "host doctests": "1", "conformance": "1", "node codec": "1",
                      "chrome codec": "1", "js-bridge unit": "2", "e2e browser tests": "1",
                      "e2e non-browser tests": "1"}
    assert lines[-1] == "10 passed (9 behaviour tests + 1 doctests), 0 failed"
    assert code == 0


def test_a_category_that_ran_nothing_fails_the_run(tmp_path: Path) -> None:
    full_run(tmp_path)
    write(tmp_path, "e2e", ("tests.e2e.test_p", "test_cli", ""))  # no browser test ran
    code, lines = summary(tmp_path, *RUNS)
    assert code == 1 and "FAILED: e2e browser tests: ran no tests" in lines
    assert lines[-1].endswith(", 1 failed")


def test_a_run_that_exits_non_zero_fails_even_without_a_failing_test(tmp_path: Path) -> None:
    full_run(tmp_path)
    code, lines = summary(tmp_path, "host=0", "conformance=5", "pyodide=0", "js-bridge=1", "e2e=0")
    assert code == 1
    assert "FAILED: run 'conformance' exited 5 (no tests collected)" in lines
    assert "FAILED: run 'js-bridge' exited 1" in lines


def test_a_failing_test_is_counted(tmp_path: Path) -> None:
    full_run(tmp_path)
    write(tmp_path, "conformance", ("tests.conformance.test_c", "test_c", '<failure message="x"/>'))
    code, lines = summary(tmp_path, "host=0", "conformance=1", "pyodide=0", "js-bridge=0", "e2e=0")
    assert code == 1 and "conformance" in lines[2] and "1 failed" in lines[2]
    assert lines[-1] == "9 passed (8 behaviour tests + 1 doctests), 1 failed"
