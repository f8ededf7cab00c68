"""The bridge's pre-parsed ``objects`` (js_bridge/json_marshal.mjs with ``scalarEntries``) and
client/anvil/_browser/scalar_entries.py: when they put a message's values in place, the result is what the codec
decodes from the same text (same values, same UTC offsets); when the codec would refuse the message, they never
succeed (the browser then decodes the text again with the codec, which names the problem).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import marshal
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import anvil.server
from anvil._browser.scalar_entries import apply_scalar_entries
from anvil._wire import decode_message, encode_message

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "tests" / "js" / "json_marshal_cli.mjs"
sys.path.insert(0, str(Path(__file__).parent))
from test_wire_properties import corrupted_messages, equal  # noqa: E402


def packed(texts: list[str]) -> list[Any]:
    out = subprocess.run(["node", str(CLI), "--scalar-entries"], input=json.dumps(texts), capture_output=True,
                         text=True, check=True, timeout=120)
    return [None if p is None else marshal.loads(base64.b64decode(p)) for p in json.loads(out.stdout)]


def codec(text: str) -> Any:
    try:
        return decode_message(json.loads(text)).message
    except anvil.server.SerializationError as e:
        return e


def fast(value: Any) -> Any:
    """The fast path's result, or None when it is not taken or gives up."""
    if type(value) is dict and type(value.get("objects")) is tuple and apply_scalar_entries(value):
        return value
    return None


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.datetime):
        return isinstance(b, dt.datetime) and a == b and a.utcoffset() == b.utcoffset() and (a.tzinfo is None) == (b.tzinfo is None)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


TZ = dt.timezone(dt.timedelta(hours=-3, minutes=-30))
VALUES = [dt.date(2024, 2, 29), dt.datetime(2024, 1, 2, 3, 4, 5, 6, TZ), dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc),
          2 ** 40, -2 ** 100, math.nan, math.inf, -math.inf, {"d": dt.date(1999, 1, 1), "n": [None, 2 ** 31]}]
HAND_WRITTEN = [  # what other senders may write; each either decodes as the codec does or is left to it
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["DateTime"], "value": "2024-05-01T12:00:00Z"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["DateTime"], "value": "2024-05-01 12:00:00.5+05:30"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["DateTime"], "value": "2024-05-01 12:00:00"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Date"], "value": ""}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Date"]}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Date"], "value": "2024-02-30"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["DateTime"], "value": "2024-05-01 12:00:00+2400"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0.0], "type": ["Long"], "value": "12345678901"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 1], "type": ["Long"], "value": "12345678901"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Long"], "value": "1.5"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Long"], "value": 5}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Float"], "value": "nan"}]}',
    '{"id": "c", "response": "abc", "objects": [{"path": ["response", 0], "type": ["Long"], "value": "5"}]}',
    '{"id": "c", "response": {"\\ud800": 1, "\\ufffd": 2}, "objects": [{"path": ["response", "\\ud800"], "type": ["Long"], "value": "5"}]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Date"], "value": "2024-01-01"},'
    ' {"path": ["response", 0, 1], "type": ["Long"], "value": "7"}]}',
    '{"objects": [{"path": ["response", 0], "type": ["Date"], "value": "2024-01-01"}], "response": [null]}',
    '{"id": "c", "response": [null], "objects": [{"path": ["response", 0], "type": ["Date"], "value": "2024-01-01"}]}',
]


def check(texts: list[str]) -> int:
    """Asserts the rule above for each text; the number that took the fast path."""
    taken = 0
    for text, value in zip(texts, packed(texts)):
        result = fast(value)
        if result is None:
            continue
        taken += 1
        expected = codec(text)
        assert not isinstance(expected, Exception), (text, expected)
        assert same(expected, result), (text, result, expected)
    return taken


def test_encoded_values_take_the_fast_path_and_decode_as_the_codec() -> None:
    texts = [json.dumps(encode_message({"id": "c", "response": v}).message, allow_nan=False) for v in VALUES]
    assert check(texts) == len(texts)


def test_hand_written_entries_decode_as_the_codec_or_are_left_to_it() -> None:
    assert check(HAND_WRITTEN) == 6  # the first five and the last


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))  # 10 composite cases per example
@given(st.lists(corrupted_messages(), min_size=10, max_size=10))
def test_corrupted_entries_never_succeed_where_the_codec_fails(cases: list[Any]) -> None:
    check([json.dumps(message) for message, contents in cases if not contents])  # (Infinity: JSON as json.loads reads it)
