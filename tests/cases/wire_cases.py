"""Codec cases shared by CPython and Pyodide: every ``case_*`` function runs unchanged on both.

They import only the standard library and ``anvil``, and use plain ``assert`` (no pytest), so
tests/host/test_shared_cases.py and tests/pyodide/test_shared_cases.py run the same set.

Every case here that is about what goes on the wire (values, their JSON, media chunks, encode and decode errors,
the malformed messages of ``_bad_messages``) is also data in codec_json_cases.json, and every received error object
in error_cases.json; the Skulpt runtime runs both too (tests/e2e/test_skulpt_codec_cases.py). What stays only here
is Python API behaviour: the media assembler, import and capability-check hooks, the Capability API, sending
errors (``error_to_wire``), circular and aliased values, and that encoding and decoding leave their input untouched.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import random
from typing import Any, Callable

import anvil
import anvil.server
from anvil import _errors
from anvil._wire import (
    MediaAssembler,
    decode_message,
    encode_message,
    media_ids,
    reassemble,
    split_media,
)


# ---------------------------------------------------------------- helpers

def expect_error(exc_type: type[BaseException], fn: Callable[[], Any], message: str | None = None) -> BaseException:
    """Run ``fn``; it must raise exactly ``exc_type`` (and ``message`` must be its text, if given)."""
    try:
        fn()
    except BaseException as e:  # noqa: BLE001 - we check the type below
        assert type(e) is exc_type, f"expected {exc_type.__name__}, got {type(e).__name__}: {e}"
        if message is not None:
            assert str(e) == message, f"expected message {message!r}, got {str(e)!r}"
        return e
    raise AssertionError(f"expected {exc_type.__name__}, nothing was raised")


def round_trip(message: dict[str, Any]) -> dict[str, Any]:
    """Encode, pass through real JSON text and the chunk framing, decode."""
    encoded = encode_message(message)
    wire_text = json.dumps(encoded.message, allow_nan=False)
    decoded = decode_message(json.loads(wire_text), reassemble(encoded))
    return decoded.message


def call(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return {"type": "CALL", "id": "call-1", "command": "fn", "args": list(args), "kwargs": kwargs}


def objects_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return encode_message(message).message["objects"]


# ---------------------------------------------------------------- portable classes used below

@anvil.server.portable_class
class Point:
    def __init__(self, x: Any, y: Any) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


@anvil.server.portable_class("cases.Money")
class Money:
    """Custom wire form through __serialize__ / __deserialize__."""

    def __init__(self, cents: int, currency: str) -> None:
        self.cents, self.currency = cents, currency

    def __serialize__(self, info: Any) -> list[Any]:
        return [self.cents, self.currency]

    def __deserialize__(self, data: list[Any], info: Any) -> None:
        self.cents, self.currency = data

    def __eq__(self, other: object) -> bool:
        return type(other) is Money and (self.cents, self.currency) == (other.cents, other.currency)


@anvil.server.portable_class(name="cases.Interned")
class Interned:
    """Rebuilt with __new_deserialized__ (instances shared per key)."""

    cache: dict[str, "Interned"] = {}

    def __init__(self, key: str) -> None:
        self.key = key

    def __serialize__(self, info: Any) -> str:
        return self.key

    @classmethod
    def __new_deserialized__(cls, data: str, info: Any) -> "Interned":
        return cls.cache.setdefault(data, cls(data))


@anvil.server.portable_class
class Box:
    """A portable whose content holds other portables."""

    def __init__(self, items: list[Any], label: Any = None) -> None:
        self.items, self.label = items, label

    def __eq__(self, other: object) -> bool:
        return type(other) is Box and (self.items, self.label) == (other.items, other.label)


class SubPoint(Point):
    """A subclass of a portable class, not itself registered."""


@anvil.server.portable_class("cases.Node")
class Node:
    """Uses shared_data: every Node of one message shares one transmitted table."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __serialize__(self, info: Any) -> int:
        shared, _ = info.shared_data()
        names = shared.setdefault("names", [])
        names.append(self.name)
        return len(names) - 1

    @classmethod
    def __new_deserialized__(cls, index: int, info: Any) -> "Node":
        shared, _ = info.shared_data()
        return cls(shared["names"][index])


class OutOfStock(anvil.server.AnvilWrappedError):
    pass


anvil.server._register_exception_type("cases.OutOfStock", OutOfStock)


# ---------------------------------------------------------------- JSON natives, numbers

def case_json_natives_stay_inline() -> None:
    value = {"s": "héllo ✓ 漢字", "t": True, "f": False, "n": None, "x": 1.5, "i": -7,
             "max": 2147483647, "min": -2147483647, "nested": [[], {}, [1, [2, {"a": "b"}]]]}
    encoded = encode_message(call(value))
    assert encoded.message["objects"] == []
    assert encoded.message["args"] == [value]
    assert round_trip(call(value))["args"] == [value]


def case_long_outside_int32() -> None:
    values = [2147483648, -2147483648, 2 ** 100, -(2 ** 70)]
    objects = objects_of(call(*values))
    assert [o["type"] for o in objects] == [["Long"]] * 4
    assert [o["value"] for o in objects] == [str(v) for v in values]
    assert [o["path"] for o in objects] == [["args", i] for i in range(4)]
    assert round_trip(call(*values))["args"] == values


def case_non_finite_floats() -> None:
    objects = objects_of(call(math.nan, math.inf, -math.inf))
    assert [o["value"] for o in objects] == ["NaN", "Infinity", "-Infinity"]
    nan, inf, ninf = round_trip(call(math.nan, math.inf, -math.inf))["args"]
    assert math.isnan(nan) and inf == math.inf and ninf == -math.inf


def case_tuples_become_lists() -> None:
    assert round_trip(call((1, (2, 3)), [(), ("a",)]))["args"] == [[1, [2, 3]], [[], ["a"]]]


def case_dict_keys_walked_in_sorted_order() -> None:
    objects = objects_of(call({"b": 2 ** 40, "a": 2 ** 41, "c": 2 ** 42}))
    assert [o["path"][-1] for o in objects] == ["a", "b", "c"]


def case_subclasses_of_natives_are_sent_as_natives() -> None:
    import collections
    import enum

    class Colour(enum.IntEnum):
        RED = 1

    value = collections.OrderedDict([("k", Colour.RED)])
    args = round_trip(call(value, True))["args"]
    assert args == [{"k": 1}, True] and type(args[0]["k"]) is int and args[1] is True


# ---------------------------------------------------------------- dates and times

def case_date_round_trip() -> None:
    day = dt.date(2024, 2, 29)
    assert objects_of(call(day)) == [{"type": ["Date"], "value": "2024-02-29", "path": ["args", 0]}]
    assert round_trip(call(day))["args"] == [day]


def case_datetime_aware_offsets_and_microseconds() -> None:
    for hours, minutes, text_offset in [(0, 0, "+0000"), (1, 0, "+0100"), (-3, -30, "-0330"),
                                        (5, 45, "+0545"), (0, -30, "-0030"), (14, 0, "+1400")]:
        tz = dt.timezone(dt.timedelta(hours=hours, minutes=minutes))
        when = dt.datetime(2024, 5, 1, 12, 0, 0, 7, tzinfo=tz)
        (entry,) = objects_of(call(when))
        assert entry["value"] == "2024-05-01 12:00:00.000007" + text_offset, entry
        (back,) = round_trip(call(when))["args"]
        assert back == when and back.utcoffset() == when.utcoffset() and back.microsecond == 7


def case_datetime_naive_stamped_with_local_offset() -> None:
    when = dt.datetime(2023, 11, 5, 8, 30, 15, 123456)
    (entry,) = objects_of(call(when))
    offset = when.astimezone().utcoffset()
    assert entry["value"].startswith("2023-11-05 08:30:15.123456")
    (back,) = round_trip(call(when))["args"]
    assert back.tzinfo is not None and back.utcoffset() == offset
    assert back.replace(tzinfo=None) == when


def case_datetime_offset_with_seconds_is_refused() -> None:
    odd = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=30)))
    error = expect_error(anvil.server.SerializationError, lambda: encode_message(call(odd)))
    assert "msg['args'][0]" in str(error) and "seconds" in str(error)


def case_datetime_text_forms_accepted() -> None:
    def decode_dt(text: str) -> dt.datetime:
        msg = {"v": None, "objects": [{"path": ["v"], "type": ["DateTime"], "value": text}]}
        return decode_message(msg).message["v"]

    assert decode_dt("2024-05-01 12:00:00.5") == dt.datetime(2024, 5, 1, 12, 0, 0, 500000)
    assert decode_dt("2024-05-01 12:00:00") == dt.datetime(2024, 5, 1, 12)
    assert decode_dt("2024-05-01 12:00:00.000000+0100").utcoffset() == dt.timedelta(hours=1)


# ---------------------------------------------------------------- media

def case_media_descriptor_and_chunks() -> None:
    data = bytes(random.Random(1).getrandbits(8) for _ in range(200_000))
    media = anvil.BlobMedia("image/png", data, name="pic.png")
    encoded = encode_message(call({"file": media}))
    (entry,) = encoded.message["objects"]
    assert entry["type"] == ["DataMedia"] and entry["path"] == ["args", 0, "file"]
    assert entry["mime-type"] == "image/png" and entry["name"] == "pic.png"
    frames = list(encoded.chunks())
    assert [len(d) for _, d in frames] == [65536, 65536, 65536, 200_000 - 3 * 65536]
    assert [h["chunkIndex"] for h, _ in frames] == [0, 1, 2, 3]
    assert [h["lastChunk"] for h, _ in frames] == [False, False, False, True]
    assert all(h["requestId"] == "call-1" and h["mediaId"] == entry["id"] for h, _ in frames)
    back = round_trip(call({"file": media}))["args"][0]["file"]
    assert back.get_bytes() == data and back.content_type == "image/png" and back.name == "pic.png"
    assert back.length == 200_000


def case_media_boundaries() -> None:
    for size, chunk_sizes in [(0, [0]), (1, [1]), (65536, [65536]), (65537, [65536, 1])]:
        frames = list(split_media("r", "m", b"\x07" * size))
        assert [len(d) for _, d in frames] == chunk_sizes, size
        assert [h["lastChunk"] for h, _ in frames] == [False] * (len(chunk_sizes) - 1) + [True]
        back = round_trip(call(anvil.BlobMedia("application/octet-stream", b"\x07" * size)))["args"][0]
        assert back.get_bytes() == b"\x07" * size


def case_media_zero_length_final_chunk_is_legal() -> None:
    assembler = MediaAssembler("r", ["m"])
    assembler.add_chunk({"type": "CHUNK_HEADER", "requestId": "r", "mediaId": "m", "chunkIndex": 0, "lastChunk": False}, b"a" * 65536)
    assert not assembler.complete
    assembler.add_chunk({"type": "CHUNK_HEADER", "requestId": "r", "mediaId": "m", "chunkIndex": 1, "lastChunk": True}, b"")
    assert assembler.complete and assembler.contents() == {"m": b"a" * 65536}


def case_several_media_in_one_message() -> None:
    first, second = anvil.BlobMedia("text/plain", b"one"), anvil.BlobMedia("text/csv", b"two,2", name="t.csv")
    encoded = encode_message(call(first, [second, first]))
    assert len(set(media_ids(encoded.message))) == 3
    args = round_trip(call(first, [second, first]))["args"]
    assert [args[0].get_bytes(), args[1][0].get_bytes(), args[1][1].get_bytes()] == [b"one", b"two,2", b"one"]
    assert args[1][0].name == "t.csv" and args[1][0].content_type == "text/csv"


def case_media_assembler_refuses_bad_streams() -> None:
    SE = anvil.server.SerializationError

    def header(index: int, last: bool, media: str = "m", request: str = "r") -> dict[str, Any]:
        return {"type": "CHUNK_HEADER", "requestId": request, "mediaId": media, "chunkIndex": index, "lastChunk": last}

    fresh = lambda: MediaAssembler("r", ["m"], max_bytes=100_000)  # noqa: E731
    expect_error(SE, lambda: fresh().add_chunk(header(1, True), b"x"))
    expect_error(SE, lambda: fresh().add_chunk(header(0, True, media="other"), b"x"))
    expect_error(SE, lambda: fresh().add_chunk(header(0, True, request="q"), b"x"))
    expect_error(SE, lambda: fresh().add_chunk(header(0, False), b"x" * 65537))
    expect_error(SE, lambda: fresh().add_chunk({"type": "CHUNK_HEADER", "mediaId": "m"}, b"x"))
    expect_error(SE, lambda: fresh().add_chunk({**header(0, True), "lastChunk": "yes"}, b"x"))
    done = fresh()
    done.add_chunk(header(0, True), b"x")
    expect_error(SE, lambda: done.add_chunk(header(1, True), b"y"))
    big = fresh()
    big.add_chunk(header(0, False), b"x" * 65536)
    expect_error(SE, lambda: big.add_chunk(header(1, False), b"x" * 65536))


def case_media_content_missing_at_decode() -> None:
    encoded = encode_message(call(anvil.BlobMedia("text/plain", b"hi")))
    expect_error(anvil.server.SerializationError, lambda: decode_message(encoded.message, {}))


# ---------------------------------------------------------------- portable classes

def case_portable_default_name_round_trip() -> None:
    encoded = encode_message(call(Point(1, 2 ** 40)))
    assert encoded.message["args"] == [{"x": 1, "y": None}]
    types = [(o["type"], o["path"]) for o in encoded.message["objects"]]
    assert types == [(["Long"], ["args", 0, "y"]), (["ValueType"], ["args", 0])]
    assert encoded.message["objects"][1]["typeName"].endswith("wire_cases.Point")
    assert round_trip(call(Point(1, 2 ** 40)))["args"] == [Point(1, 2 ** 40)]


def case_portable_named_with_serialize_and_deserialize() -> None:
    encoded = encode_message(call(Money(250, "EUR")))
    assert encoded.message["args"] == [[250, "EUR"]]
    assert encoded.message["objects"][0]["typeName"] == "cases.Money"
    assert round_trip(call(Money(250, "EUR")))["args"] == [Money(250, "EUR")]


def case_portable_new_deserialized() -> None:
    first, second = round_trip(call(Interned("k1"), Interned("k1")))["args"]
    assert first is second and first.key == "k1"


def case_portable_nested_in_portable() -> None:
    box = Box([Point(1, 2), Money(5, "GBP"), Box([Point(dt.date(2024, 1, 1), None)])], label=Interned("l"))
    (back,) = round_trip(call(box))["args"]
    assert back.items[:2] == [Point(1, 2), Money(5, "GBP")]
    assert back.items[2] == Box([Point(dt.date(2024, 1, 1), None)])
    assert back.label is Interned.cache["l"]


def case_portable_class_object_as_class_type() -> None:
    encoded = encode_message(call(Money, [Point]))
    assert encoded.message["args"] == [None, [None]]
    assert [o["type"] for o in encoded.message["objects"]] == [["ClassType"], ["ClassType"]]
    assert round_trip(call(Money, [Point]))["args"] == [Money, [Point]]


def case_portable_shared_data_travels_once() -> None:
    nodes = [Node("a"), Node("b"), Node("c")]
    encoded = encode_message(call(nodes))
    assert encoded.message["args"] == [[0, 1, 2]]
    assert encoded.message["vt_global"] == ["cases.Node", {"names": ["a", "b", "c"]}]
    assert [n.name for n in round_trip(call(nodes))["args"][0]] == ["a", "b", "c"]


def case_unregistered_subclass_is_refused() -> None:
    expect_error(anvil.server.SerializationError, lambda: encode_message(call([SubPoint(1, 2)])),
                 "Type SubPoint is not registered with @anvil.server.portable_class. at msg['args'][0][0]")


def case_unregistered_class_object_is_refused() -> None:
    expect_error(anvil.server.SerializationError, lambda: encode_message(call(SubPoint)),
                 "Type SubPoint is not registered with @anvil.server.portable_class. at msg['args'][0]")


def case_unknown_portable_type_is_not_imported_by_default() -> None:
    msg = {"args": [{}], "objects": [{"path": ["args", 0], "type": ["ValueType"], "typeName": "os.Evil"}]}
    expect_error(anvil.server.SerializationError, lambda: decode_message(msg),
                 "No such serializable type: os.Evil at msg['args'][0]")
    asked: list[str] = []
    expect_error(anvil.server.SerializationError, lambda: decode_message(msg, import_module=asked.append))
    assert asked == ["os"]


def case_import_hook_can_register_the_type() -> None:
    msg = {"args": [{"v": 1}], "objects": [{"path": ["args", 0], "type": ["ValueType"], "typeName": "late.Thing"}]}

    def import_module(name: str) -> None:
        assert name == "late"

        @anvil.server.portable_class("late.Thing")
        class Thing:
            pass

    (thing,) = decode_message(msg, import_module=import_module).message["args"]
    assert type(thing).__name__ == "Thing" and thing.v == 1


# ---------------------------------------------------------------- capabilities and live objects

def case_capability_entries_and_narrowing() -> None:
    cap = anvil.server.Capability(["folder", 42], mac={"sig": "abc"})
    narrowed = cap.narrow(["file", 7])
    encoded = encode_message(call(cap, narrowed))
    first, second = encoded.message["objects"]
    assert first == {"type": ["Capability"], "scope": ["folder", 42], "mac": {"sig": "abc"}, "path": ["args", 0]}
    assert second["scope"] == ["folder", 42] and second["narrow"] == ["file", 7] and second["mac"] == {"sig": "abc"}
    assert encoded.capabilities == [cap, narrowed]
    decoded = decode_message(json.loads(json.dumps(encoded.message)))
    back_cap, back_narrowed = decoded.message["args"]
    assert back_cap.scope == ["folder", 42] and back_narrowed.scope == ["folder", 42, "file", 7]
    assert back_narrowed._mac == {"sig": "abc"} and decoded.capabilities == [back_cap, back_narrowed]


def case_capability_check_hook_can_refuse() -> None:
    cap = anvil.server.Capability(["x"], mac="forged")

    def check(c: anvil.server.Capability) -> None:
        raise anvil.server.InvalidObjectError("Invalid Capability")

    message = encode_message(call(cap)).message
    expect_error(anvil.server.InvalidObjectError, lambda: decode_message(message, check_capability=check))


def case_capability_api() -> None:
    Capability = anvil.server.Capability
    cap = Capability(["a", 1])
    assert anvil.server.unwrap_capability(cap, ["a", Capability.ANY, "c"]) == ["a", 1, None]
    expect_error(ValueError, lambda: anvil.server.unwrap_capability(cap, ["a"]))
    expect_error(ValueError, lambda: anvil.server.unwrap_capability(cap, ["b", 1]))
    expect_error(TypeError, lambda: anvil.server.unwrap_capability("cap", ["a"]))
    expect_error(ValueError, lambda: Capability([]))
    expect_error(TypeError, lambda: Capability(("a",)))
    seen: list[Any] = []
    cap.set_update_handler(seen.append)
    cap.send_update({"p": 1})
    cap.send_update({"q": 2})
    assert seen == [{"p": 1}, {"q": 2}] and cap._take_update() == {"p": 1, "q": 2} and cap._take_update() is None
    cap.send_update(5)
    cap.send_update(6)
    assert cap._take_update() == 6


def case_live_object_round_trip() -> None:
    spec = {"backend": "anvil.tables.Row", "id": "[169,42]", "permissions": ["r"],
            "mac": "m4c", "methods": ["get", "update"], "itemCache": {}}
    row = anvil.LiveObjectProxy(spec)
    (entry,) = objects_of(call(row))
    assert entry["type"] == ["LiveObject"] and entry["backend"] == spec["backend"] and entry["mac"] == "m4c"
    (back,) = round_trip(call(row))["args"]
    assert back == row and back._spec == spec


def case_first_known_type_wins() -> None:
    msg = {"v": None, "objects": [{"path": ["v"], "type": ["FancyFutureType", "Date"], "value": "2020-01-31"}]}
    assert decode_message(msg).message["v"] == dt.date(2020, 1, 31)


# ---------------------------------------------------------------- encode errors

def case_unsupported_value_names_path() -> None:
    expect_error(anvil.server.SerializationError, lambda: encode_message(call({1, 2})),
                 "Cannot serialize <class 'set'> object at msg['args'][0]")
    expect_error(anvil.server.SerializationError, lambda: encode_message(call(k={"deep": [0, b"x"]})),
                 "Cannot serialize <class 'bytes'> object at msg['kwargs']['k']['deep'][1]")


def case_non_string_dict_key_names_path() -> None:
    expect_error(anvil.server.SerializationError, lambda: encode_message(call({1: "a"})),
                 "Cannot serialize dictionaries with keys that aren't strings at msg['args'][0][1]")
    expect_error(anvil.server.SerializationError, lambda: encode_message(call({"a": 1, 2: 3})),
                 "Cannot serialize dictionaries with keys that aren't strings at msg['args'][0][2]")


def case_circular_value_refused() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    error = expect_error(anvil.server.SerializationError, lambda: encode_message(call(loop)))
    assert "contains itself" in str(error) and "msg['args'][0][1]" in str(error)


def case_shared_value_is_not_circular() -> None:
    shared = {"k": [1, 2]}
    assert round_trip(call(shared, shared, [shared]))["args"] == [shared, shared, [shared]]


def case_encode_leaves_input_untouched() -> None:
    message = call({"when": dt.date(2024, 1, 1), "n": 2 ** 40}, (1, 2))
    before = copy.deepcopy(message)
    encode_message(message)
    assert message == before


# ---------------------------------------------------------------- malformed incoming messages

_GOOD_LONG = {"path": ["args", 0], "type": ["Long"], "value": "5000000000"}


def _bad_messages() -> list[tuple[str, Any]]:
    base = {"id": "x", "args": [None, {"k": None}], "kwargs": {}}

    def with_objects(*entries: Any) -> dict[str, Any]:
        return {**copy.deepcopy(base), "objects": list(entries)}

    return [
        ("message not an object", ["objects"]),
        ("objects not a list", {**base, "objects": {"path": ["args", 0]}}),
        ("entry not an object", with_objects(_GOOD_LONG, "Long")),
        ("path missing", with_objects({"type": ["Long"], "value": "5"})),
        ("path empty", with_objects({"path": [], "type": ["Long"], "value": "5"})),
        ("path not a list", with_objects({"path": "args", "type": ["Long"], "value": "5"})),
        ("path to nowhere", with_objects({"path": ["args", 7], "type": ["Long"], "value": "5"})),
        ("path missing key", with_objects({"path": ["args", 1, "nope"], "type": ["Long"], "value": "5"})),
        ("path through a scalar", with_objects({"path": ["id", 0], "type": ["Long"], "value": "5"})),
        ("path bool index", with_objects({"path": ["args", True], "type": ["Long"], "value": "5"})),
        ("path negative index", with_objects({"path": ["args", -1], "type": ["Long"], "value": "5"})),
        ("path float index", with_objects({"path": ["args", 0.0], "type": ["Long"], "value": "5"})),
        ("type not a list", with_objects({"path": ["args", 0], "type": "Long", "value": "5"})),
        ("type empty", with_objects({"path": ["args", 0], "type": [], "value": "5"})),
        ("type of numbers", with_objects({"path": ["args", 0], "type": [3], "value": "5"})),
        ("unknown type", with_objects({"path": ["args", 0], "type": ["Mystery"]})),
        ("long with letters", with_objects({"path": ["args", 0], "type": ["Long"], "value": "12a"})),
        ("long with underscore", with_objects({"path": ["args", 0], "type": ["Long"], "value": "1_0"})),
        ("long as number", with_objects({"path": ["args", 0], "type": ["Long"], "value": 5})),
        ("float text", with_objects({"path": ["args", 0], "type": ["Float"], "value": "nan"})),
        ("date month 13", with_objects({"path": ["args", 0], "type": ["Date"], "value": "2024-13-01"})),
        ("date short", with_objects({"path": ["args", 0], "type": ["Date"], "value": "2024-1-1"})),
        ("date as list", with_objects({"path": ["args", 0], "type": ["Date"], "value": [2024]})),
        ("datetime garbage", with_objects({"path": ["args", 0], "type": ["DateTime"], "value": "yesterday"})),
        ("datetime hour 25", with_objects({"path": ["args", 0], "type": ["DateTime"], "value": "2024-01-01 25:00:00.000000+0000"})),
        ("datetime offset 99h", with_objects({"path": ["args", 0], "type": ["DateTime"], "value": "2024-01-01 01:00:00.000000+9900"})),
        ("value type unknown", with_objects({"path": ["args", 1], "type": ["ValueType"], "typeName": "no.Such"})),
        ("value type name missing", with_objects({"path": ["args", 1], "type": ["ValueType"]})),
        ("class type unknown", with_objects({"path": ["args", 0], "type": ["ClassType"], "typeName": "no.Such"})),
        ("capability scope missing", with_objects({"path": ["args", 0], "type": ["Capability"], "mac": "m"})),
        ("capability scope not json list", with_objects({"path": ["args", 0], "type": ["Capability"], "scope": "a", "mac": "m"})),
        ("capability narrow not list", with_objects({"path": ["args", 0], "type": ["Capability"], "scope": ["a"], "mac": "m", "narrow": 3})),
        ("capability empty without mac", with_objects({"path": ["args", 0], "type": ["Capability"], "scope": []})),
        ("live object no id", with_objects({"path": ["args", 0], "type": ["LiveObject"], "backend": "b"})),
        ("media without id", with_objects({"path": ["args", 0], "type": ["DataMedia"], "mime-type": "a/b"})),
        ("media name not str", with_objects({"path": ["args", 0], "type": ["DataMedia"], "id": "m", "mime-type": "a/b", "name": 5})),
        ("portable content wrong shape", with_objects({"path": ["args", 0], "type": ["ValueType"], "typeName": "cases.Money"})),
        ("good entry then a bad one", with_objects(_GOOD_LONG, {"path": ["args", 1, "k"], "type": ["Long"], "value": "x"})),
    ]


def case_malformed_messages_give_serialization_error_only() -> None:
    for label, message in _bad_messages():
        before = copy.deepcopy(message)
        media = {"m": b""} if "media" in label else {}
        try:
            decode_message(message, media)
        except anvil.server.SerializationError as e:
            assert str(e), label
        except BaseException as e:  # noqa: BLE001
            raise AssertionError(f"{label}: got {type(e).__name__}: {e}") from e
        else:
            raise AssertionError(f"{label}: decoded without error")
        assert message == before, f"{label}: the received message was modified"


def case_decode_is_all_or_nothing() -> None:
    message = {"args": [None, [None, {"x": None}]], "objects": [
        {"path": ["args", 0], "type": ["Long"], "value": "9999999999"},
        {"path": ["args", 1, 1, "x"], "type": ["Date"], "value": "2024-01-01"},
        {"path": ["args", 1, 0], "type": ["Date"], "value": "not a date"},
    ]}
    before = copy.deepcopy(message)
    expect_error(anvil.server.SerializationError, lambda: decode_message(message))
    assert message == before


def case_decode_does_not_alias_changed_containers() -> None:
    message = {"args": [[None]], "objects": [{"path": ["args", 0, 0], "type": ["Long"], "value": "9999999999"}]}
    decoded = decode_message(message).message
    assert decoded["args"] == [[9999999999]] and message["args"] == [[None]]


# ---------------------------------------------------------------- exceptions

DEFAULT_ERROR_NAMES = [
    "SessionExpiredError", "AppOfflineError", "UplinkDisconnectedError", "ExecutionTerminatedError",
    "TimeoutError", "SerializationError", "InternalError", "RuntimeUnavailableError", "QuotaExceededError",
    "NoServerFunctionError", "PermissionDenied", "InvalidResponseError", "BackgroundTaskError",
    "BackgroundTaskNotFound", "BackgroundTaskKilled", "ServiceNotAdded",
]


def case_default_exception_types_registered() -> None:
    for name in DEFAULT_ERROR_NAMES:
        cls = getattr(anvil.server, name)
        trace = [["server_code/mod.py", 12], ["server_code/other.py", 3]]
        exc = _errors.error_from_wire({"type": f"anvil.server.{name}", "message": "boom", "trace": trace})
        assert type(exc) is cls, name
        assert str(exc) == "boom" and exc.trace == trace
        assert isinstance(exc, anvil.server.AnvilWrappedError)
        assert _errors.error_to_wire(cls("again"))["type"] == f"anvil.server.{name}"


def case_unknown_exception_type_is_wrapped() -> None:
    exc = _errors.error_from_wire({"type": "somelib.WeirdError", "message": "odd", "trace": []})
    assert type(exc) is anvil.server.AnvilWrappedError
    assert repr(exc) == "AnvilWrappedError(somelib.WeirdError('odd'))"
    assert _errors.error_to_wire(exc)["type"] == "somelib.WeirdError"


def case_builtin_exception_types_travel_by_bare_name() -> None:
    wire = _errors.error_to_wire(ValueError("bad value"), [["server_code/mod.py", 12]])
    assert wire == {"type": "ValueError", "message": "bad value", "trace": [["server_code/mod.py", 12]]}
    exc = _errors.error_from_wire(json.loads(json.dumps(wire)))
    assert type(exc) is ValueError and str(exc) == "bad value"
    assert exc._anvil_error_obj["trace"] == [["server_code/mod.py", 12]]


def case_custom_registered_exception_round_trip() -> None:
    wire = _errors.error_to_wire(OutOfStock("sold out"), [["server_code/shop.py", 40]])
    assert wire["type"] == "cases.OutOfStock"
    exc = _errors.error_from_wire(wire)
    assert type(exc) is OutOfStock and str(exc) == "sold out" and exc.trace == [["server_code/shop.py", 40]]


def case_reraised_remote_error_keeps_its_trace() -> None:
    exc = _errors.error_from_wire({"type": "cases.OutOfStock", "message": "x", "trace": [["uplink.py", 1]]})
    wire = _errors.error_to_wire(exc, [["server_code/relay.py", 9]])
    assert wire["trace"] == [["uplink.py", 1], ["server_code/relay.py", 9]]


def case_registering_non_wrapped_error_is_refused() -> None:
    expect_error(TypeError, lambda: anvil.server._register_exception_type("x.Y", ValueError))


def case_malformed_error_object() -> None:
    for bad in ["just text", None, ["type"]]:
        assert type(_errors.error_from_wire(bad)) is anvil.server.InvalidResponseError
    exc = _errors.error_from_wire({"type": 7, "message": 5, "trace": "nope"})
    assert type(exc) is anvil.server.AnvilWrappedError and str(exc) == "5" and exc.trace == []


# ---------------------------------------------------------------- a nested mixture

def case_deep_mixture_round_trip() -> None:
    tz = dt.timezone(dt.timedelta(hours=-5))
    value = {
        "people": [{"name": "Ada", "born": dt.date(1815, 12, 10), "id": 2 ** 45,
                    "seen": dt.datetime(2024, 3, 1, 9, 15, 0, 250, tzinfo=tz)}],
        "stats": (1.25, math.inf, [Point(3, Money(1, "USD"))]),
        "blob": anvil.BlobMedia("application/json", b'{"a": 1}', name="a.json"),
        "kinds": [Point, Money],
        "empty": {"list": [], "dict": {}},
    }
    back = round_trip(call(value, extra=[value["stats"]]))
    got = back["args"][0]
    assert got["people"] == value["people"]
    assert got["stats"][0] == 1.25 and got["stats"][1] == math.inf and got["stats"][2] == [Point(3, Money(1, "USD"))]
    assert got["blob"].get_bytes() == b'{"a": 1}' and got["kinds"] == [Point, Money] and got["empty"] == value["empty"]
    assert back["kwargs"]["extra"][0][2] == [Point(3, Money(1, "USD"))]
