"""The server's JSON reader (calls/json_text.py): orjson where it gives what ``json.loads`` gives, ``json.loads``
for the rest — so every value, error and message is ``json.loads``'s; and the garbage-collector pause of big parses."""

from __future__ import annotations

import gc
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anvil_pyodide.calls import json_text
from anvil_pyodide.calls.json_text import CollectorPause, has_long_integer, loads


def same(a: object, b: object) -> bool:
    """Equal values of equal types all the way down (1 is not 1.0; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


READ_LIKE_JSON = [
    '{"type": "CALL", "id": "c1", "args": [1, 2.5, null, true, "x"], "kwargs": {}}',
    "[NaN, Infinity, -Infinity]",  # browsers never send them, but the README promises they are read as floats
    "[18446744073709551616, -9223372036854775809, 123456789012345678901234567890]",  # past 64 bits: still ints
    "[18446744073709551615, -9223372036854775808, 9223372036854775807]",
    "[1e400, -1e400, 1e-400, -0.0, 0.1, 4.9e-324]",
    "[-0.0013206914347847487, 1234567890123456789012.5, 1e-0000000000000000000005]",
    '["\\ud800", "\\udc00x", "\\u00e9\\ud83d\\ude00"]',  # lone surrogates: json.loads keeps them
    '{"a": 1, "a": 2}',
    '"digits 12345678901234567890 in a string"',
    "[" * 300 + "]" * 300,
    " \n\t[1]\r\n ",
]


@pytest.mark.parametrize("text", READ_LIKE_JSON)
def test_values_are_what_json_loads_gives(text: str) -> None:
    assert same(loads(text), json.loads(text))


def test_nan_and_infinity_literals_are_read_as_floats() -> None:
    value = loads('{"args": [NaN, Infinity, -Infinity]}')["args"]
    assert math.isnan(value[0]) and value[1:] == [math.inf, -math.inf]


NOT_JSON = ["[1, ", "{'a': 1}", "[1] x", "", "nul", '"\x01"', "[01]", "[1,]", '{"a" 1}']


@pytest.mark.parametrize("text", NOT_JSON)
def test_errors_are_what_json_loads_raises(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        loads(text)
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)


def test_text_nested_too_deeply_still_raises_recursion_error() -> None:
    with pytest.raises(RecursionError):
        loads("[" * 100_000 + "]" * 100_000)


def test_long_integer_detection() -> None:
    assert has_long_integer("[18446744073709551616]") and has_long_integer("-1234567890123456789")
    assert has_long_integer('{"a":1234567890123456789}')
    assert not has_long_integer("[-0.0013206914347847487, 1.5E+12345678901234567890, 12345678901234567890e5]")
    assert not has_long_integer("[123456789012345678]")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_text_reads_as_json_loads_reads_it(value: object) -> None:
    text = json.dumps(value)
    assert same(loads(text), json.loads(text))


def test_a_big_text_is_parsed_with_the_collector_paused_and_it_is_on_again_after(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = json_text._loads
    monkeypatch.setattr(json_text, "_loads", lambda text: (seen.append(gc.isenabled()), real(text))[1])
    monkeypatch.setattr(json_text, "GC_PAUSE_CHARS", 100)
    big = json.dumps([{"n": n} for n in range(50)])
    assert loads(big) == json.loads(big) and loads("[1]") == [1]
    assert seen == [False, True] and gc.isenabled()


def test_the_pause_nests_and_leaves_a_collector_that_was_off_off() -> None:
    pause = CollectorPause()
    with pause.paused():
        with pause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer caller is still inside
    assert gc.isenabled()
    gc.disable()
    try:
        with pause.paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
