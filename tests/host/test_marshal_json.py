"""js_bridge/marshal_json.mjs: the JSON text it writes from ``marshal.dumps(value)`` reads back (json.loads) as
exactly the value, for every plain-JSON value; for every other value it gives null, so Python's encoder
decides (sends ``objects`` entries, or raises). Floats are written as Python's repr writes them.
"""

from __future__ import annotations

import base64
import json
import marshal
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anvil._wire.encode import is_plain_json

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "tests" / "js" / "marshal_json_cli.mjs"
sys.path.insert(0, str(Path(__file__).parent))
from test_json_marshal import identical  # noqa: E402


def run(values: list[Any], floats: list[float] = ()) -> tuple[list[str | None], list[str]]:
    request = {"marshal": [base64.b64encode(marshal.dumps(v)).decode() for v in values], "floats": list(floats)}
    out = subprocess.run(["node", str(CLI)], input=json.dumps(request), capture_output=True, text=True,
                         check=True, timeout=120)
    answer = json.loads(out.stdout)
    return answer["texts"], answer["floats"]


def as_sent(value: Any) -> Any:
    """What the receiver gets for a plain value: tuples arrive as lists."""
    if isinstance(value, (list, tuple)):
        return [as_sent(v) for v in value]
    if isinstance(value, dict):
        return {k: as_sent(v) for k, v in value.items()}
    return value


shared = ["shared"]
PLAIN = [
    None, True, False, 0, -1, 2147483647, -2147483647, 0.0, -0.0, 1.0, 1e16, 1e-5, 0.0001, 123456789012345.6,
    5e-324, 1.7976931348623157e308, -2.5, "", "plain", 'q"uote \\ back \n\t\x00\x1f\x7f', "h\u00e9 \U0001f600 \ud800 x\udfff",
    "x" * 70_000, [], (), (1, "a"), {}, {"b": 1, "a": [1, 2.5, {"c": None}]}, {"k": shared, "j": shared},
    [{"name": "a"}, {"name": "b"}], {"\u00e9": 1, "": 2}, ("t",) * 300, [[[[]]]],
]
NOT_PLAIN = [
    2147483648, -2147483648, 2 ** 70, math.nan, math.inf, -math.inf, {1: 2}, {(1,): 2}, b"bytes", {1, 2},
    frozenset(), 1j, [1, 2 ** 40], {"a": {"b": math.nan}}, [[]] * 2 + [b""], [[[[[[0]]]]]] * 1,
]


def test_plain_values_read_back_exactly() -> None:
    texts, _ = run(PLAIN)
    for value, text in zip(PLAIN, texts):
        assert text is not None, value
        assert identical(json.loads(text), as_sent(value)), value


def test_other_values_are_left_to_the_python_encoder() -> None:
    texts, _ = run(NOT_PLAIN[:-1])
    assert texts == [None] * (len(NOT_PLAIN) - 1)
    deep: Any = 0
    for _ in range(300):
        deep = [deep]
    assert run([deep])[0] == [None]


def test_floats_are_written_as_python_writes_them() -> None:
    floats = [0.0, -0.0, 1.0, -1.0, 0.1, 1e16, 1e15, 123456789012345.0, 1234567890123456.0, 1e-4, 1e-5, 1.5e-5,
              5e-324, 1.7976931348623157e308, 2.5e-300, 0.30000000000000004, 100.0, 1e22, 1e21, 9.999999999999999e15]
    assert run([], floats)[1] == [repr(f) for f in floats]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=50, max_size=50))
def test_random_floats_are_written_as_python_writes_them(floats: list[float]) -> None:
    assert run([], floats)[1] == [repr(f) for f in floats]


values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2 ** 40, max_value=2 ** 40) | st.floats() | st.text(),
    lambda children: (st.lists(children, max_size=5) | st.tuples(children, children)
                      | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=5)),
    max_leaves=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(values, min_size=20, max_size=20))
def test_random_values_plain_or_left_to_python(batch: list[Any]) -> None:
    texts, _ = run(batch)
    for value, text in zip(batch, texts):
        plain = is_plain_json(as_sent(value))
        assert (text is not None) == plain, (value, text)
        if plain:
            assert identical(json.loads(text), as_sent(value)), value
