"""Times our codec against plain ``json`` on one interpreter (run on CPython, and inside Pyodide).

Example:
    >>> result = time_codec(make_payload(50), samples=2)
    >>> sorted(result)
    ['bytes', 'codec_samples', 'json_samples']
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
SAMPLES = 7


def timed(fn: Callable[[], Any], samples: int) -> list[float]:
    """Seconds of each of ``samples`` runs after one warm-up run."""
    fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def wire_text(payload: Any) -> str:
    """The JSON text our codec sends for a response carrying ``payload``."""
    return json.dumps(encode_message({"id": "bench", "response": payload}).message)


def time_codec(payload: Any, samples: int = SAMPLES) -> dict[str, Any]:
    """Encode+decode through our codec (to and from JSON text) vs ``json.dumps``+``json.loads`` of the same data."""
    message = {"id": "bench", "response": payload}
    plain_message = json.loads(wire_text(payload))

    def ours() -> None:
        decode_message(json.loads(json.dumps(encode_message(message).message)))

    def plain() -> None:
        json.loads(json.dumps(plain_message))

    return {"bytes": len(wire_text(payload)), "codec_samples": timed(ours, samples),
            "json_samples": timed(plain, samples)}


def run() -> dict[str, dict[str, Any]]:
    """Every payload of PAYLOADS, timed on this interpreter."""
    return {name: time_codec(make_payload(records, special)) for name, records, special in PAYLOADS}
