"""js_bridge/pickle_json.mjs with client/anvil/_browser/wire_text.py's pickler: for a message of plain JSON,
dates, aware datetimes, Longs and non-finite floats, the JSON text it writes is what the codec sends
(``json.dumps(encode_message(message).message)``): the same values, dict keys in the same order, the same
``objects`` entries in the same order. For anything else it gives null (or the pickler stops), so the codec
decides.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anvil._browser.typed_pickle import typed_pickle
from anvil._wire import encode_message

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "tests" / "js" / "pickle_json_cli.mjs"
sys.path.insert(0, str(Path(__file__).parent))
from test_json_marshal import identical  # noqa: E402


def js_texts(messages: list[Any]) -> list[str | None]:
    """The JS writer's text for each message (None where the pickler stops or the writer refuses)."""
    packed = [typed_pickle(m) for m in messages]
    request = {"pickle": [base64.b64encode(p).decode() for p in packed if p is not None]}
    out = subprocess.run(["node", str(CLI)], input=json.dumps(request), capture_output=True, text=True,
                         check=True, timeout=120)
    texts = iter(json.loads(out.stdout)["texts"])
    return [None if p is None else next(texts) for p in packed]


def codec_text(message: dict[str, Any]) -> str:
    return json.dumps(encode_message(message).message, allow_nan=False, ensure_ascii=False)


UTC = dt.timezone.utc
EAST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
WEST = dt.timezone(-dt.timedelta(hours=3, minutes=45))
TYPED = [
    {"id": "c1", "response": dt.date(2024, 5, 1)},
    {"id": "c1", "response": [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.datetime(2024, 2, 29, 23, 59, 59, 999999, UTC)]},
    {"type": "CALL", "id": "c2", "command": "f", "args": [dt.datetime(2024, 1, 2, 3, 4, 5, 6, EAST),
                                                          dt.datetime(1999, 12, 31, 0, 0, tzinfo=WEST)],
     "kwargs": {"z": 1, "a": 2 ** 40, "m": -2 ** 31, "b": -2 ** 31 + 1}, "vt_global": []},
    {"id": "c3", "response": {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "ok": 1.5, "big": -2 ** 100}},
    {"id": "c4", "response": {"b": (1, 2), "a": "x"}},  # a tuple: the codec walks (and sorts) the dict
    {"id": "c5", "response": {"plain": {"z": 1, "a": 2}, "typed": {"z": dt.date(2000, 1, 1), "a": None}}},
    {"id": "c6", "response": [dt.datetime(2021, 11, 7, 1, 30, fold=1, tzinfo=UTC)]},
    {"id": "c7", "response": {"é": dt.date(2020, 2, 2), "e": 1, "\U0001f600": 2, "\uffff": 3, 'q"\\\n': 4}},
    {"when": [dt.date(2024, 5, 1)] * 3},  # the same object three times: three entries
    {"id": "c8", "response": "plain, but sent this way after marshal refused"},
    {},
    # The pickle's shapes a one-pass writer has to place: tuples (items before their opcode) first in a list,
    # nested, starting with a date, of more than 3 items; empty containers followed by siblings; a tuple or
    # a list as a container's only item; the pickler's batches of 1000 (1000 keys: an extra empty batch).
    {"r": [((1, dt.date(2024, 1, 1)), "x"), (dt.date(2024, 1, 2),), ((), [], {}, (4,)), [(5, 6, 7, 8)], [[]]]},
    {"r": {"t": (1, 2, 3, 4, 5), "e": [], "d": {}, "x": [{}], "y": (dt.date(2024, 1, 3), [(), {"k": ()}])}},
    {"r": [{f"k{i}": i for i in range(1000)}, {f"k{i}": i for i in range(1001)}, list(range(1000)),
           list(range(1001)), tuple(range(1001))]},
    {"r": {**{f"k{999 - i}": i for i in range(999)}, "k999": dt.date(2024, 1, 4), "a": 2 ** 40}},
    {"z": {"b": [dt.date(2024, 1, 5), {"y": 2 ** 33, "x": dt.date(2024, 1, 6)}], "a": {"d": 2 ** 34, "c": (1,)}},
     "y": [{"b": 1, "a": 2}], "a": math.nan},
    # dicts to sort one after another: the same keys in the same order (the order found is reused), the same
    # keys in another order, other keys of the same count
    {"r": [{"c": 1, "a": math.inf, "b": 2}, {"c": 3, "a": math.inf, "b": 4}, {"a": 5, "c": math.inf, "b": 6},
           {"z": math.inf, "y": 7, "x": 8}]},
]
REFUSED = [
    {"response": dt.datetime(2024, 5, 1)},  # naive: the codec stamps the local offset
    {"response": dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(seconds=30)))},  # offset with seconds
    {"response": dt.timedelta(1)}, {"response": UTC}, {"response": b"bytes"}, {"response": {1, 2}},
    {"response": {1: dt.date(2024, 1, 1)}}, {"response": dt.date}, {"objects": [], "response": dt.date(2024, 1, 1)},
    {"response": [[dt.date(2024, 1, 1)]] * 2},  # the same list twice: the codec writes it twice
    {"response": bytearray(b"x")}, {"response": frozenset()},
]


def test_typed_messages_are_written_as_the_codec_writes_them() -> None:
    for message, text in zip(TYPED, js_texts(TYPED)):
        assert text is not None, message
        assert identical(json.loads(text), json.loads(codec_text(message))), (message, text)


def test_without_lone_surrogates_the_text_is_the_codecs_byte_for_byte() -> None:
    for message, text in zip(TYPED, js_texts(TYPED)):
        assert text == codec_text(message), message


def test_other_values_are_left_to_the_codec() -> None:
    assert js_texts(REFUSED) == [None] * len(REFUSED)
    looped: list[Any] = [dt.date(2024, 1, 1)]
    looped.append(looped)
    deep: Any = dt.date(2024, 1, 1)
    for _ in range(300):
        deep = [deep]
    assert js_texts([{"r": looped}, {"r": deep}]) == [None, None]


keys = st.text(max_size=6)
timezones = st.builds(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)), st.integers(-1439, 1439))
scalars = (st.none() | st.booleans() | st.integers(min_value=-2 ** 70, max_value=2 ** 70) | st.floats() | st.text()
           | st.dates() | st.datetimes(timezones=timezones))
values = st.recursive(scalars, lambda children: (st.lists(children, max_size=5) | st.tuples(children, children)
                                                 | st.dictionaries(keys, children, max_size=5)), max_leaves=30)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(keys.filter(lambda k: k != "objects"), values, max_size=4), min_size=20, max_size=20))
def test_random_messages_match_the_codec(batch: list[dict[str, Any]]) -> None:
    for message, text in zip(batch, js_texts(batch)):
        assert text is not None, message
        assert identical(json.loads(text), json.loads(codec_text(message))), (message, text)


def test_nothing_but_the_datetime_types_runs_its_reduce() -> None:
    calls: list[str] = []

    class Spy:
        def __reduce_ex__(self, protocol: int) -> Any:
            calls.append("Spy")
            return (Spy, ())

    class Zone(dt.tzinfo):
        def __reduce_ex__(self, protocol: int) -> Any:
            calls.append("Zone")
            return (Zone, ())

    class Mapping(dict):  # type: ignore[type-arg]
        def __reduce_ex__(self, protocol: int) -> Any:
            calls.append("Mapping")
            return (dict, ())

    for value in [Spy(), dt.datetime(2024, 1, 1, tzinfo=Zone()), Mapping(), [1, Spy()], {"k": (Spy(),)}]:
        assert typed_pickle({"id": "c1", "response": value}) is None
    assert calls == []
