"""Property tests of the wire codec: random values round-trip; random corruption only ever gives SerializationError."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import anvil
import anvil.server
from anvil._wire import decode_message, encode_message, reassemble


@anvil.server.portable_class("props.Pair")
class Pair:
    def __init__(self, left: Any, right: Any) -> None:
        self.left, self.right = left, right

    def __eq__(self, other: object) -> bool:
        return type(other) is Pair and equal(self.left, other.left) and equal(self.right, other.right)


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)))
aware_datetimes = st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=offsets)
naive_datetimes = st.datetimes(min_value=dt.datetime(1971, 1, 2), max_value=dt.datetime(2037, 1, 1))
media = st.builds(anvil.BlobMedia, st.sampled_from(["text/plain", "application/octet-stream", "image/png"]),
                  st.binary(max_size=70_000), st.none() | st.text(max_size=10))

leaves = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
          | st.dates() | aware_datetimes | naive_datetimes | media)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (st.lists(children, max_size=5) | st.tuples(children, children)
            | st.dictionaries(st.text(max_size=8), children, max_size=5)
            | st.builds(Pair, children, children))


values = st.recursive(leaves, containers, max_leaves=25)


def equal(sent: Any, received: Any) -> bool:
    """What a receiver should see for a sent value: tuples as lists, naive datetimes stamped local."""
    if isinstance(sent, float) and math.isnan(sent):
        return isinstance(received, float) and math.isnan(received)
    if isinstance(sent, (list, tuple)):
        return type(received) is list and len(sent) == len(received) and all(map(equal, sent, received))
    if isinstance(sent, dict):
        return type(received) is dict and sent.keys() == received.keys() and all(equal(sent[k], received[k]) for k in sent)
    if isinstance(sent, dt.datetime):
        expected = sent if sent.tzinfo is not None else sent.astimezone()
        return (isinstance(received, dt.datetime) and received == expected
                and received.utcoffset() == expected.utcoffset())
    if isinstance(sent, anvil.BlobMedia):
        return (isinstance(received, anvil.Media) and received.get_bytes() == sent.get_bytes()
                and received.content_type == sent.content_type and received.name == sent.name)
    return type(sent) is type(received) and sent == received


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_random_values_round_trip(value: Any) -> None:
    encoded = encode_message({"id": "c", "args": [value]})
    wire = json.loads(json.dumps(encoded.message, allow_nan=False))
    received = decode_message(wire, reassemble(encoded)).message["args"][0]
    assert equal(value, received)


small_values = st.recursive(
    leaves.filter(lambda v: not isinstance(v, anvil.Media)) | st.builds(anvil.BlobMedia, st.just("a/b"), st.binary(max_size=300)),
    containers, max_leaves=12)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(allow_nan=False),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                           max_leaves=6)


@st.composite
def corrupted_messages(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, bytes]]:
    value = draw(small_values)
    encoded = encode_message({"id": "c", "args": [value, [1, {"k": None}]]})
    contents = reassemble(encoded)
    message = json.loads(json.dumps(encoded.message, allow_nan=False))
    objects = message["objects"]
    objects.append({"path": ["args", 1, 1, "k"], "type": ["Date"], "value": "2020-02-02"})
    for _ in range(draw(st.integers(1, 3))):
        entries = [o for o in objects if isinstance(o, dict) and o]
        entry = draw(st.sampled_from(entries)) if entries else None
        action = draw(st.sampled_from(["set", "drop", "path", "type", "swap", "replace"]))
        if entry is None or action == "replace":
            objects.insert(draw(st.integers(0, len(objects))), draw(json_values))
        elif action == "set":
            entry[draw(st.sampled_from(sorted(entry) + ["value", "typeName", "scope", "id"]))] = draw(json_values)
        elif action == "drop":
            entry.pop(draw(st.sampled_from(sorted(entry))), None)
        elif action == "path":
            entry["path"] = draw(st.lists(st.integers(-2, 3) | st.sampled_from(["args", "kwargs", "k", "x"]), max_size=4))
        elif action == "type":
            entry["type"] = draw(st.lists(st.sampled_from(
                ["Long", "Float", "Date", "DateTime", "ValueType", "ClassType", "Capability", "LiveObject",
                 "DataMedia", "Primitive", "Nope"]), max_size=2))
        elif action == "swap" and len(objects) > 1:
            i, j = draw(st.integers(0, len(objects) - 1)), draw(st.integers(0, len(objects) - 1))
            objects[i], objects[j] = objects[j], objects[i]
    return message, contents


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_messages())
def test_corrupted_objects_give_serialization_error_only(case: tuple[dict[str, Any], dict[str, bytes]]) -> None:
    message, contents = case
    before = copy.deepcopy(message)
    try:
        decode_message(message, contents)
    except anvil.server.SerializationError:
        pass
    assert message == before


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_messages())
def test_owned_messages_decode_as_copied_ones(case: tuple[dict[str, Any], dict[str, bytes]]) -> None:
    """``owned=True`` (the browser's fresh messages, filled in place) gives the same value or the same error."""
    message, contents = case

    def outcome(owned: bool) -> Any:
        try:
            return decode_message(copy.deepcopy(message), contents, owned=owned).message
        except anvil.server.SerializationError as e:
            return str(e)

    copied, owned = outcome(False), outcome(True)
    assert type(copied) is type(owned)
    assert copied == owned or isinstance(copied, dict) and equal(copied, owned)
