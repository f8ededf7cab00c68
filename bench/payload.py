"""The benchmark payloads: ~1 MB of nested app-like data, built the same way on CPython and in Pyodide.

Example:
    >>> len(make_payload(10, special=False))
    10
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any


def make_payload(records: int = 2600, special: bool = True) -> list[dict[str, Any]]:
    """Records of strings, numbers, lists and dicts; with ``special`` some dates, datetimes and Longs."""
    rng = random.Random(42)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    payload = []
    for i in range(records):
        record: dict[str, Any] = {
            "id": i,
            "name": " ".join(rng.choice(words) for _ in range(3)),
            "score": rng.random() * 100,
            "active": rng.random() < 0.5,
            "tags": [rng.choice(words) for _ in range(rng.randint(1, 5))],
            "address": {"street": f"{rng.randint(1, 999)} {rng.choice(words).title()} Road",
                        "zip": f"{rng.randint(10000, 99999)}", "geo": [rng.uniform(-90, 90), rng.uniform(-180, 180)]},
            "history": [{"step": j, "ok": j % 3 != 0, "note": None} for j in range(rng.randint(0, 4))],
        }
        if special and i % 4 == 0:
            record["joined"] = dt.date(2000 + i % 25, 1 + i % 12, 1 + i % 28)
            record["seen"] = dt.datetime(2024, 1 + i % 12, 1 + i % 28, i % 24, i % 60, tzinfo=dt.timezone.utc)
            record["big"] = 2 ** 40 + i
        payload.append(record)
    return payload
