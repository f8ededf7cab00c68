"""A naive datetime is stamped with the UTC offset in force on its own date (README "Differences from Anvil"),
checked in zones with daylight saving time: each case runs in a fresh interpreter with TZ set. (The browser
side: tests/e2e/test_time_zones.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ENCODE = """
import datetime as dt, json, sys
from anvil._wire import encode_message
when = [dt.datetime(*parts) for parts in json.loads(sys.argv[1])]
encoded = encode_message({"type": "CALL", "id": "x", "command": "f", "args": when, "kwargs": {}})
print(json.dumps([entry["value"] for entry in encoded.message["objects"]]))
"""

#: Winter, summer, and both sides of London's 2024 switches (31 March 01:00 UTC, 27 October 01:00 UTC).
DATES = [(2024, 1, 15, 12, 0), (2024, 7, 15, 12, 0), (2024, 3, 31, 0, 30), (2024, 3, 31, 3, 30), (2024, 10, 27, 0, 30),
         (2024, 10, 27, 3, 0)]


@pytest.mark.parametrize("zone, offsets", [
    ("Europe/London", ["+0000", "+0100", "+0000", "+0100", "+0100", "+0000"]),
    ("America/New_York", ["-0500", "-0400", "-0400", "-0400", "-0400", "-0400"]),
    ("Australia/Sydney", ["+1100", "+1000", "+1100", "+1100", "+1100", "+1100"]),
])
def test_each_naive_datetime_gets_the_offset_of_its_own_date(zone: str, offsets: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", ENCODE, json.dumps(DATES)], capture_output=True, text=True,
                          env={"TZ": zone, "PATH": "/usr/bin:/bin"}, check=True, timeout=120)
    values = json.loads(done.stdout)
    expected = [f"{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:00.000000{o}" for (y, m, d, h, mi), o in zip(DATES, offsets)]
    assert values == expected
