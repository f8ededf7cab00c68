"""CI's run of the soak (``./build.sh soak --short``): restart under in-flight calls, a few thousand fuzzed
messages, every attack of issue 15 with its limit, and a 30-second mixed soak with a real uplink and page.
Each row of its table must PASS, except latency and rate rows ("MISS (timing)"), which only the full soak
enforces; the table is in the failure message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT


@pytest.mark.timeout(600)
def test_short_soak_passes_every_row() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--short"], cwd=ROOT,
                         capture_output=True, text=True, timeout=540)
    table = run.stdout[run.stdout.rfind("soak (short)"):]
    print(table)
    assert run.returncode == 0, f"{table}\n{run.stderr[-3000:]}"
    assert not [line for line in table.splitlines() if line.rstrip().endswith("  MISS")], table
