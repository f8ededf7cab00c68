"""Times our codec against plain ``json`` on one interpreter (run on CPython, and inside Pyodide).

Example:
    >>> result = time_codec(make_payload(50), repeats=2)
    >>> sorted(result)
    ['bytes', 'codec_seconds', 'json_seconds', 'ratio']
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from anvil._wire import decode_message, encode_message

try:
    from payload import make_payload  # inside Pyodide the file sits on sys.path directly
except ImportError:  # on the host, bench/ is imported as a package
    from bench.payload import make_payload

#: The two payloads every run measures: (name, records, with dates/datetimes/Longs)
PAYLOADS = [("json_only", 3100, False), ("mixed", 2600, True)]


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def wire_text(payload: Any) -> str:
    """The JSON text our codec sends for a response carrying ``payload``."""
    return json.dumps(encode_message({"id": "bench", "response": payload}).message)


def time_codec(payload: Any, repeats: int = 7) -> dict[str, float]:
    """Encode+decode through our codec vs ``json.dumps``+``json.loads`` of the same data."""
    message = {"id": "bench", "response": payload}
    plain_message = json.loads(wire_text(payload))

    def ours() -> None:
        decode_message(json.loads(json.dumps(encode_message(message).message)))

    def plain() -> None:
        json.loads(json.dumps(plain_message))

    codec_seconds, json_seconds = best_of(ours, repeats), best_of(plain, repeats)
    return {"bytes": len(wire_text(payload)), "codec_seconds": codec_seconds, "json_seconds": json_seconds,
            "ratio": codec_seconds / json_seconds}


def run() -> dict[str, dict[str, float]]:
    """Every payload of PAYLOADS, timed on this interpreter."""
    return {name: time_codec(make_payload(records, special)) for name, records, special in PAYLOADS}
