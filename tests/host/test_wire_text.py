"""client/anvil/_browser/wire_text.py picks the bridge's path for a long message: one whose first values hold a
date or a datetime goes straight to the typed (pickle) path, without the marshal attempt (which walks the whole
message before refusing a date); any other is tried on the plain (marshal) path first, as before. The bridge
here is a stand-in that records which helper was asked."""

from __future__ import annotations

import datetime as dt
import marshal
import math
import sys
import types
from typing import Any

import pytest

from anvil._browser import wire_text


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the code asked for, in order: "marshal" (a marshal.dumps), "plain" and "typed" (the bridge's helpers,
    which both refuse here, so that every path is taken to its end)."""
    log: list[str] = []
    bridge = types.SimpleNamespace(plainJson=lambda packed: log.append("plain"),
                                   typedJson=lambda packed: log.append("typed"))
    monkeypatch.setitem(sys.modules, "_anvil_bridge", bridge)
    monkeypatch.setattr(wire_text, "_to_js", lambda packed: packed)
    monkeypatch.setattr(wire_text, "marshal", types.SimpleNamespace(
        dumps=lambda value: log.append("marshal") or marshal.dumps(value)))
    return log


def records(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"record {i}", "tags": ["a", "b"], **extra} for i in range(count)]


@pytest.mark.parametrize("value", [dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)])
def test_a_message_starting_with_a_date_skips_the_marshal_attempt(asked: list[str], value: Any) -> None:
    wire_text.js_message_text({"id": "c1", "response": records(300, when=value)})
    assert asked == ["typed"]


@pytest.mark.parametrize("value", [2 ** 40, -2 ** 31, math.nan, -math.inf])
def test_longs_and_nan_are_left_to_the_marshal_attempt(asked: list[str], value: Any) -> None:
    wire_text.js_message_text({"id": "c1", "response": records(300, when=value)})
    assert asked == ["marshal", "plain", "typed"]  # marshal holds them; its JSON writer refuses them


def test_a_typed_value_after_the_first_values_still_takes_the_plain_attempt_first(asked: list[str]) -> None:
    late = records(300) + [{"when": dt.date(2024, 5, 1)}]
    wire_text.js_message_text({"id": "c1", "response": late})
    assert asked == ["marshal", "typed"]  # marshal refused the date
    asked.clear()
    wire_text.js_message_text({"id": "c1", "response": records(300) + [{"big": 2 ** 40}]})
    assert asked == ["marshal", "plain", "typed"]  # marshal holds a Long; its JSON writer refuses it


def test_a_plain_message_takes_the_plain_path(asked: list[str]) -> None:
    wire_text.js_message_text({"id": "c1", "response": records(300, score=1.5, flag=True)})
    assert asked[:2] == ["marshal", "plain"]


def test_the_look_is_bounded() -> None:
    wide = {f"k{i}": i for i in range(100_000)}
    deep: Any = dt.date(2024, 5, 1)
    for _ in range(wire_text.FIRST_VALUES_LOOKED_AT):
        deep = [deep]
    assert not wire_text.starts_typed({"a": wide, "b": dt.date(2024, 5, 1)})  # past the first values
    assert not wire_text.starts_typed({"a": deep})
    assert wire_text.starts_typed({"a": [[[dt.date(2024, 5, 1)]]]})
