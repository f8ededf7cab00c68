"""js_bridge/json_marshal.mjs: marshal.loads of what it makes from a JSON text is exactly json.loads of that
text (same types, int/float kept apart, key order, lone surrogates), and it leaves to json.loads (null) every
text json.loads would refuse.
"""

from __future__ import annotations

import base64
import json
import marshal
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "tests" / "js" / "json_marshal_cli.mjs"


def transcode(texts: list[str]) -> list[bytes | None]:
    out = subprocess.run(["node", str(CLI)], input=json.dumps(texts), capture_output=True, text=True,
                         check=True, timeout=120)
    return [None if packed is None else base64.b64decode(packed) for packed in json.loads(out.stdout)]


def identical(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down, dict keys in the same order, NaN equal to NaN, -0.0 not 0.0."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is list:
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    return a == b


ACCEPTED = [
    '{"id": "c1", "response": [1, 2.5, null, true, false], "objects": []}',
    '[0, -0, -0.0, 0.0, 1.0, 1e5, 1E5, 1e+5, 1e-5, 100.0, 1.5e300, 1e400, -1e400, 5e-324, 123456789.0]',
    '[2147483647, 2147483648, -2147483647, -2147483648, -2147483649, 999999999, 1000000000, -1000000000]',
    '[12345678901234567890123456789012345678901234567890, -98765432109876543210, 9007199254740993]',
    '[NaN, Infinity, -Infinity]',
    '"h\\u00e9 \\ud834\\udd1e \\ud800 \\udc00x \\ud834\\u0041 caf\u00e9 \U0001f600 \\"\\\\\\/\\b\\f\\n\\r\\t"',
    '{"a": 1, "b": 2, "a": 3}',
    '{"2": "x", "1": "y", "": null, "\u00e9": [], "k\\n": {}}',
    '[{"name": "a", "tags": ["x"]}, {"name": "b", "tags": ["y"]}, {"tags": [], "name": "c"}]',
    ' \t\n\r[ 1 , [ ] , { } , "" ] \n',
    '"' + "x" * 300 + '"',
    '{"' + "k" * 300 + '": "' + "\u00e9" * 300 + '"}',
    "[" * 150 + "]" * 150,
    "1", "-1", "3.25", "true", "null", '""',
]

REFUSED = [
    "", " ", "[1,]", "{\"a\":1,}", "[1 2]", "{'a': 1}", "{\"a\" 1}", "{1: 2}", "01", "1.", ".5", "-", "1e", "+1",
    "[1] x", "nul", "tru", "NaNa", "-NaN", "infinity", '"\\x41"', '"\\u12"', '"abc', '"a\tb"', '"a\nb"',
    "\ufeff[1]", "[" * 500 + "]" * 500, "1" * 4301,
]


def test_accepted_texts_give_exactly_what_json_loads_gives() -> None:
    for text, packed in zip(ACCEPTED, transcode(ACCEPTED)):
        assert packed is not None, text
        assert identical(marshal.loads(packed), json.loads(text)), text


def test_dict_keys_are_shared_like_json_loads_shares_them() -> None:
    text = '[{"name": 1}, {"name": 2}]'
    [packed] = transcode([text])
    first, second = marshal.loads(packed)
    assert next(iter(first)) is next(iter(second))


def test_a_short_text_dense_with_keys_shares_every_key() -> None:
    """The key table is sized by the text (a small one for a short reply): a text packed with as many distinct
    keys as its length allows still gets every repeated key shared, none left out for a full table."""
    names = [f"{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"][:200]
    entry = "{" + ",".join(f'"{name}":0' for name in names) + "}"
    [packed] = transcode([f"[{entry},{entry}]"])
    first, second = marshal.loads(packed)
    assert list(first) == names
    assert all(a is b for a, b in zip(first, second))


def test_texts_json_loads_refuses_or_too_deep_are_left_to_json_loads() -> None:
    for text, packed in zip(REFUSED, transcode(REFUSED)):
        assert packed is None, text
    for text in REFUSED[:-2]:  # the deep one and the long int: json.loads decides (here it accepts them)
        with pytest.raises(ValueError):
            json.loads(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, min_size=20, max_size=20), st.sampled_from([None, 1]), st.booleans())
def test_random_values_in_every_json_form(values: list[Any], indent: int | None, ensure_ascii: bool) -> None:
    texts = [json.dumps(value, indent=indent, ensure_ascii=ensure_ascii) for value in values]
    for text, packed in zip(texts, transcode(texts)):
        assert packed is not None, text
        assert identical(marshal.loads(packed), json.loads(text)), text


def test_repeated_short_strings_are_one_object_and_long_ones_are_not() -> None:
    short, long = "alpha beta", "x" * 40
    text = json.dumps([{"tag": short, "note": long}, {"tag": short, "note": long}, [short, "alpha beta "]])
    [packed] = transcode([text])
    first, second, third = marshal.loads(packed)
    assert first["tag"] is second["tag"] is third[0] and third[1] == "alpha beta "
    assert first["note"] == second["note"] and first["note"] is not second["note"]
    assert identical(marshal.loads(packed), json.loads(text))


def test_strings_past_the_sharing_table_and_trial_keep_their_values() -> None:
    """More distinct keys than the table holds (the rest are written out), a trial of all-distinct values
    (sharing stops) followed by repeats, and a text that keeps sharing: each exactly as json.loads."""
    many_keys = json.dumps({f"k{i}": [f"v{i % 7}", i] for i in range(5000)})
    distinct_then_repeats = json.dumps([f"s{i}" for i in range(3000)] + ["s1", "s2", {"s1": "s2"}] * 50)
    repeats = json.dumps([{"k": f"w{i % 300}", f"k{i % 900}": "w1"} for i in range(4000)])
    texts = [many_keys, distinct_then_repeats, repeats]
    for text, packed in zip(texts, transcode(texts)):
        assert packed is not None
        assert identical(marshal.loads(packed), json.loads(text))
    records = marshal.loads(transcode([repeats])[0])
    assert records[300]["k"] is records[0]["k"] and records[899]["k899"] is records[1]["k1"]


def number_texts() -> st.SearchStrategy[str]:
    """JSON numbers with a fraction and/or an exponent: around the fast path's bounds (15-16 digits, 1e22)."""
    digits = st.text("0123456789", min_size=1, max_size=20)
    whole = st.one_of(st.just("0"), st.builds(lambda first, rest: first + rest, st.sampled_from("123456789"),
                                              st.text("0123456789", max_size=19)))
    fraction = digits.map(lambda d: "." + d)
    exponent = st.builds(lambda e, sign, power: f"{e}{sign}{power}", st.sampled_from("eE"),
                         st.sampled_from(["", "+", "-"]), st.integers(0, 330))
    tail = st.one_of(fraction, exponent, st.builds(str.__add__, fraction, exponent))
    return st.builds(lambda sign, w, t: sign + w + t, st.sampled_from(["", "-"]), whole, tail)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(number_texts(), min_size=200, max_size=200))
def test_decimal_texts_are_the_floats_python_reads(numbers: list[str]) -> None:
    texts = ["[" + ", ".join(numbers) + "]"]
    [packed] = transcode(texts)
    assert packed is not None
    assert identical(marshal.loads(packed), json.loads(texts[0])), texts[0]
    assert all(type(value) is float for value in marshal.loads(packed))
