"""The conformance corpus and the canonical description of decoded values, for both interpreters.

Imported by the host tests (our ``anvil``) and by ``uplink_peer.py`` (anvil-uplink's ``anvil``), so
each side builds the *same* Python values from a case name and describes what it decoded in the
same tagged JSON form (:func:`canonical`). Only APIs both ``anvil`` packages share are used; the
one exception, building a LiveObject, goes through :func:`live_object`.

Every row of docs/protocol.md's "Values on the wire" table has at least one case; "Errors" has the ``error_*`` cases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any, Callable

import anvil
import anvil.server

import shared_types as st

# --------------------------------------------------------------------------------------------
# Helpers shared by both sides
# --------------------------------------------------------------------------------------------


def is_uplink() -> bool:
    """True in the anvil-uplink interpreter (its ``anvil`` has ``_server``; ours does not)."""
    import importlib.util
    return importlib.util.find_spec("anvil._server") is not None


def live_object(spec: dict[str, Any]) -> Any:
    """A LiveObject for ``spec`` in whichever ``anvil`` is loaded."""
    if hasattr(anvil, "LiveObjectProxy"):
        return anvil.LiveObjectProxy(dict(spec))
    from anvil._server import LiveObjectProxy  # anvil-uplink
    return LiveObjectProxy(dict(spec))


def pseudo_random_bytes(length: int, seed: bytes = b"anvil-conformance") -> bytes:
    """Deterministic, incompressible bytes (a SHA-256 counter stream), the same in every interpreter."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:length])


def tz(hours: int, minutes: int = 0) -> dt.timezone:
    """A fixed-offset timezone; ``minutes`` carries the sign of ``hours``."""
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes))


def row(row_id: str, methods: list[str] | None = None) -> dict[str, Any]:
    """A table-row LiveObject spec like the ones Anvil's server sends."""
    return {"backend": "anvil.tables.Row", "id": row_id, "permissions": 3,
            "mac": f"mac-of-{row_id}", "methods": methods or ["get", "update", "delete"]}


# --------------------------------------------------------------------------------------------
# Canonical descriptions
# --------------------------------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """A JSON description of a decoded value that both interpreters compute identically.

    Tags: ``{"float": repr}``, ``{"long": digits}``, ``{"date": iso}``, ``{"datetime": wall-clock iso,
    "offset_minutes": n|None}``, ``{"media": {...}}``, ``{"capability": {...}}``,
    ``{"live_object": spec}``, ``{"portable": name, "state": ...}``, ``{"class": name}``,
    ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dict": {...}}``. str, bool, None and small ints stay bare.
    """
    if not isinstance(value, type) and hasattr(type(value), "SERIALIZATION_INFO"):
        return _canonical_portable(value)  # before the builtins: a portable class may subclass dict
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -2147483647 <= value <= 2147483647 else {"long": str(value)}
    if isinstance(value, float):
        return {"float": "nan" if math.isnan(value) else repr(value)}
    if isinstance(value, list):
        return {"list": [canonical(v) for v in value]}
    if isinstance(value, tuple):
        return {"tuple": [canonical(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): canonical(v) for k, v in value.items()}}
    if isinstance(value, dt.datetime):
        return _canonical_datetime(value)
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, type):
        info = getattr(value, "SERIALIZATION_INFO", None)
        return {"class": info[0] if info and info[1] is value else f"unregistered:{value.__qualname__}"}
    return _canonical_object(value)


def _canonical_datetime(value: dt.datetime) -> dict[str, Any]:
    offset = value.utcoffset()
    return {"datetime": value.replace(tzinfo=None).isoformat(timespec="microseconds"),
            "offset_minutes": None if offset is None else int(offset.total_seconds()) // 60}


def _canonical_portable(value: Any) -> dict[str, Any]:
    """A portable instance: its registered name, attributes, and items if it is also a dict or list."""
    described = {"portable": type(value).SERIALIZATION_INFO[0], "state": canonical(dict(vars(value)))}
    if isinstance(value, dict):
        described["items"] = canonical(dict(value))
    elif isinstance(value, list):
        described["items"] = canonical(list(value))
    return described


def _canonical_object(value: Any) -> Any:
    """Media, Capability, LiveObject and portable instances, recognised by their shared interface."""
    if hasattr(value, "get_bytes") and hasattr(value, "get_content_type"):
        content = value.get_bytes()
        return {"media": {"content_type": value.get_content_type(), "name": value.get_name(),
                          "length": len(content), "sha256": hashlib.sha256(content).hexdigest()}}
    if type(value).__name__ == "Capability":
        return {"capability": {"scope": canonical(value.scope), "mac": canonical(value._mac)}}
    spec = getattr(value, "_spec", None)
    if isinstance(spec, dict) and "backend" in spec:
        kept = {k: v for k, v in spec.items() if k not in ("type", "path") and not (k == "itemCache" and not v)}
        return {"live_object": canonical(kept)}
    return {"unknown": f"{type(value).__module__}.{type(value).__qualname__}", "repr": repr(value)}


def describe_error(exc: BaseException) -> dict[str, Any]:
    """What a decoded exception kept: its class name, wire type name, message and remote trace.

    ``trace`` is None when the exception object kept no error object at all (anvil-uplink's
    ``MaybeWrappedError`` subclasses keep only the message).
    """
    error_obj = getattr(exc, "error_obj", None) or getattr(exc, "_anvil_error_obj", None)
    registered = getattr(type(exc), "registered_type_name", None)
    if not isinstance(error_obj, dict):
        return {"class": type(exc).__name__, "type": registered, "message": str(exc), "trace": None}
    trace = error_obj.get("trace")
    return {"class": type(exc).__name__, "type": error_obj.get("type") or registered,
            "message": error_obj.get("message"),
            "trace": None if trace is None else [list(frame) for frame in trace]}


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueCase:
    """A value sent as a response (``{"id": ..., "response": value}``).

    ``expect`` builds the value the receiver must rebuild when that differs from the value sent
    (tuples arrive as lists; a naive datetime arrives stamped with the sender's local offset).
    ``tz`` is the local timezone (TZ name) both interpreters use while encoding and decoding.
    """

    name: str
    build: Callable[[], Any]
    expect: Callable[[], Any] | None = None
    tz: str = "UTC"

    def expected(self) -> Any:
        return (self.expect or self.build)()


@dataclass(frozen=True)
class ErrorCase:
    """An exception raised by server code and sent as ``{"id": ..., "error": {type, message, trace}}``.

    ``host_class`` is the class our codec must rebuild; ``uplink_class`` the class name
    anvil-uplink rebuilds; ``uplink_keeps_trace`` whether anvil-uplink's rebuilt exception keeps
    the remote trace.
    """

    name: str
    build: Callable[[], BaseException]
    wire_type: str
    message: str
    host_class: Callable[[], type]
    uplink_class: str
    uplink_keeps_trace: bool = True


def _naive(year: int, month: int, day: int, *rest: int) -> Callable[[], dt.datetime]:
    return lambda: dt.datetime(year, month, day, *rest)


def _stamped_local(build: Callable[[], dt.datetime]) -> Callable[[], dt.datetime]:
    """A naive datetime as it must arrive: the same wall clock, tagged with the local offset."""
    return lambda: build().astimezone()


def _deep_mix() -> dict[str, Any]:
    """Every kind of value, in dicts (keys deliberately unsorted) and lists, several levels deep."""
    cap = anvil.server.Capability(["folder", 7], mac={"sig": "deep"})
    return {
        "zeta": [2**45, -math.inf, (dt.date(2020, 1, 2), None)],
        "alpha": {"media": anvil.BlobMedia("image/png", pseudo_random_bytes(70000), name="pic.png"),
                  "cap": cap,
                  "when": dt.datetime(2021, 6, 30, 8, 15, 0, 500, tzinfo=tz(-3, -30))},
        "mid": [{"row": live_object(row("[1,1]")), "pt": st.Point(-(10**20), "y")},
                [st.Line(st.Point(0, 0), st.Point(math.nan, 2)), st.Money]],
        "Upper": "Capital keys sort before lower-case ones",
        "10": "digit keys sort first",
        "_": {"nested": {"deeper": [[[{"long": 3**50, "nan": math.nan}]]]}},
    }


def _deep_mix_expected() -> dict[str, Any]:
    value = _deep_mix()
    value["zeta"][2] = [dt.date(2020, 1, 2), None]
    return value


def _deep_nesting(depth: int = 40) -> Any:
    """Alternating dict/list nesting ``depth`` levels deep with non-JSON leaves at the bottom."""
    value: Any = [2**40, dt.date(1999, 12, 31), math.inf]
    for level in range(depth):
        value = {f"k{level}": value, "n": level} if level % 2 else [level, value]
    return value


def _sorted_keys() -> dict[str, Any]:
    """Non-JSON values under keys inserted out of order: ``objects`` must follow sorted key order."""
    return {"b": dt.date(2024, 1, 2), "a": 2**33, "c": {"z": math.nan, "y": 2**34, "x": [st.Point(1, 2)]},
            "B": -(2**40), "aa": math.inf}


VALUE_CASES: list[ValueCase] = [
    # JSON natives
    ValueCase("str_ascii", lambda: "hello, world"),
    ValueCase("str_unicode", lambda: "ünïcødé – 日本語 – 🐍 – \u2028 – \u0000 – \"quoted\\\""),
    ValueCase("str_empty", lambda: ""),
    ValueCase("bools", lambda: [True, False]),
    ValueCase("none", lambda: None),
    ValueCase("floats_finite", lambda: [0.0, -0.0, 1.5, 0.1, -2.5e-308, 1.7976931348623157e308, 3.0]),
    ValueCase("int_small", lambda: [0, 1, -1, 42]),
    ValueCase("int_limits_inline", lambda: [2147483647, -2147483647]),
    # Long
    ValueCase("long_positive_boundary", lambda: 2147483648),
    ValueCase("long_negative_boundary", lambda: -2147483648),
    ValueCase("long_huge_positive", lambda: 10**40 + 7),
    ValueCase("long_huge_negative", lambda: -(2**100) - 3),
    # Float specials
    ValueCase("float_nan", lambda: math.nan),
    ValueCase("float_inf", lambda: math.inf),
    ValueCase("float_neg_inf", lambda: -math.inf),
    # Date / DateTime
    ValueCase("date", lambda: dt.date(2024, 2, 29)),
    ValueCase("date_edges", lambda: [dt.date(1, 1, 1), dt.date(9999, 12, 31)]),
    ValueCase("datetime_naive_kolkata", _naive(2024, 5, 1, 12, 0, 0, 123456),
              _stamped_local(_naive(2024, 5, 1, 12, 0, 0, 123456)), tz="Asia/Kolkata"),
    ValueCase("datetime_naive_marquesas", _naive(2023, 12, 31, 23, 59, 59),
              _stamped_local(_naive(2023, 12, 31, 23, 59, 59)), tz="Pacific/Marquesas"),
    ValueCase("datetime_naive_utc", _naive(2024, 7, 4, 0, 0), _stamped_local(_naive(2024, 7, 4, 0, 0))),
    ValueCase("datetime_aware_utc", lambda: dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)),
    ValueCase("datetime_plus_0100", lambda: dt.datetime(2024, 5, 1, 12, 0, tzinfo=tz(1))),
    ValueCase("datetime_minus_0330", lambda: dt.datetime(2024, 1, 15, 6, 30, 5, tzinfo=tz(-3, -30))),
    ValueCase("datetime_plus_0545", lambda: dt.datetime(2024, 3, 10, 18, 45, 0, 1, tzinfo=tz(5, 45))),
    ValueCase("datetime_microseconds", lambda: [dt.datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=tz(0)),
                                                dt.datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=tz(0)),
                                                dt.datetime(2000, 1, 1, 0, 0, 0, 0, tzinfo=tz(0))]),
    # Media
    ValueCase("media_named", lambda: anvil.BlobMedia("text/plain", b"hello, media", name="hello.txt")),
    ValueCase("media_unnamed", lambda: anvil.BlobMedia("application/json", b'{"a": 1}')),
    ValueCase("media_empty", lambda: anvil.BlobMedia("application/octet-stream", b"", name="empty.bin")),
    ValueCase("media_65536", lambda: anvil.BlobMedia("application/octet-stream", pseudo_random_bytes(65536),
                                                     name="exactly-one-chunk.bin")),
    ValueCase("media_65537", lambda: anvil.BlobMedia("application/octet-stream", pseudo_random_bytes(65537),
                                                     name="one-byte-over.bin")),
    ValueCase("media_200k_random", lambda: anvil.BlobMedia("image/jpeg", pseudo_random_bytes(200_000),
                                                           name="ünïcode name.jpg")),
    ValueCase("media_same_object_twice", lambda: (lambda m: [m, {"again": m}])(
        anvil.BlobMedia("text/plain", b"twice", name="t.txt"))),
    ValueCase("media_several", lambda: [anvil.BlobMedia("text/plain", b"first", name="1.txt"),
                                        anvil.BlobMedia("text/plain", b"", name="2.txt"),
                                        anvil.BlobMedia("text/csv", pseudo_random_bytes(131072, b"3"), name="3.csv")]),
    # Portable classes
    ValueCase("portable_default_name", lambda: st.Point(1, 2.5)),
    ValueCase("portable_explicit_name", lambda: st.Money(1234, "GBP")),
    ValueCase("portable_serialize_hooks", lambda: st.Temperature(273.15)),
    ValueCase("portable_new_deserialized", lambda: st.Version(3, 11)),
    ValueCase("portable_in_portable", lambda: st.Line(st.Point(0, 0), st.Point(3, [4, st.Point(5, 6)]))),
    ValueCase("portable_with_objects", lambda: st.Account(
        "ada", st.Money(10**12, "EUR"), dt.date(2024, 1, 1), anvil.BlobMedia("text/plain", b"stmt", name="s.txt"))),
    ValueCase("portable_shared_data", lambda: [st.Measure(1.5, "kg"), st.Measure(2.0, "kg")]),
    ValueCase("portable_global_shared_data", lambda: [st.GlobalMeasure(3, "m", dt.date(2024, 1, 1)),
                                                      st.GlobalMeasure(4, "m", dt.date(2024, 1, 1))]),
    ValueCase("portable_same_instance_twice", lambda: (lambda p: {"a": p, "b": [p]})(st.Point(1, 2))),
    ValueCase("portable_dict_subclass", lambda: st.Tags(colour="red", size=2**40)),
    ValueCase("portable_class_object", lambda: st.Point),
    ValueCase("portable_class_objects", lambda: {"classes": [st.Money, st.Line], "instance": st.Money(1, "USD")}),
    # Capability
    ValueCase("capability", lambda: anvil.server.Capability(["folder", 42], mac={"sig": "c0ffee", "k": 1})),
    ValueCase("capability_no_mac", lambda: anvil.server.Capability(["doc", 7])),
    ValueCase("capability_narrowed", lambda: anvil.server.Capability(
        ["folder", 42], mac={"sig": "c0ffee"}).narrow(["files", {"mode": "r"}])),
    # LiveObject
    ValueCase("live_object", lambda: live_object(row("[169,23]"))),
    ValueCase("live_objects_same_backend", lambda: [live_object(row("[169,1]")), live_object(row("[169,2]"))]),
    ValueCase("live_objects_two_backends", lambda: [live_object(row("[169,1]")),
                                                    live_object({**row("[7,7]"), "backend": "anvil.tables.Table",
                                                                 "methods": ["search"]}),
                                                    live_object(row("[169,3]"))]),
    # Containers
    ValueCase("tuple_becomes_list", lambda: (1, "a", (2.5, None, (2**40,))),
              lambda: [1, "a", [2.5, None, [2**40]]]),
    ValueCase("empty_containers", lambda: {"l": [], "d": {}, "t": ()}, lambda: {"l": [], "d": {}, "t": []}),
    ValueCase("dict_keys_sorted", _sorted_keys),
    ValueCase("deep_mix", _deep_mix, _deep_mix_expected),
    ValueCase("deep_nesting", _deep_nesting),
]


ERROR_CASES: list[ErrorCase] = [
    ErrorCase("error_builtin_valueerror", lambda: ValueError("bad value: ünï"), "ValueError", "bad value: ünï",
              lambda: ValueError, uplink_class="AnvilWrappedError"),
    ErrorCase("error_builtin_keyerror", lambda: KeyError("k"), "KeyError", "'k'",
              lambda: KeyError, uplink_class="KeyError"),
    ErrorCase("error_anvil_timeout", lambda: anvil.server.TimeoutError("Server code took too long"),
              "anvil.server.TimeoutError", "Server code took too long",
              lambda: anvil.server.TimeoutError, uplink_class="TimeoutError", uplink_keeps_trace=False),
    ErrorCase("error_anvil_no_server_function",
              lambda: anvil.server.NoServerFunctionError('No server function matching "nope" has been registered'),
              "anvil.server.NoServerFunctionError", 'No server function matching "nope" has been registered',
              lambda: anvil.server.NoServerFunctionError, uplink_class="NoServerFunctionError"),
    ErrorCase("error_custom_registered", lambda: st.ItemMissing("no item 42"), "conformance.ItemMissing",
              "no item 42", lambda: st.ItemMissing, uplink_class="ItemMissing"),
    ErrorCase("error_unregistered_type", lambda: st.Unshared("nobody knows me"), "Unshared", "nobody knows me",
              lambda: anvil.server.AnvilWrappedError, uplink_class="AnvilWrappedError"),
]

#: Values both codecs must refuse to encode, with the SerializationError message they must give.
def _self_containing() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


REFUSAL_CASES: dict[str, Callable[[], Any]] = {
    "refuse_set": lambda: {"ok": [1, {2, 3}]},
    "refuse_object": lambda: [object()],
    "refuse_bytes": lambda: b"raw",
    "refuse_time": lambda: dt.time(12, 30),
    "refuse_timedelta": lambda: dt.timedelta(days=1),
    "refuse_non_str_key": lambda: {"d": {1: "one"}},
    "refuse_mixed_keys": lambda: {"a": 1, 2: "b"},
    "refuse_self_containing": _self_containing,
    "refuse_unregistered_subclass": lambda: [st.SubPoint(1, 2)],
    "refuse_plain_class": lambda: [int],
}

#: Extra values used only by the tests of documented differences.
EXTRA_VALUES: dict[str, Callable[[], Any]] = {
    "naive_january": _naive(2024, 1, 15, 12, 0),
    "naive_july": _naive(2024, 7, 15, 12, 0),
    "aware_minus_0545": lambda: dt.datetime(2024, 3, 10, 18, 45, tzinfo=tz(-5, -45)),
    "aware_minus_0015": lambda: dt.datetime(2024, 3, 10, 18, 45, tzinfo=tz(0, -15)),
    "aware_offset_with_seconds": lambda: dt.datetime(2020, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=330))),
    "capability_narrowed_once": lambda: anvil.server.Capability(["folder", 42], mac={"sig": "c0ffee"}).narrow(
        ["files"]),
    # Built by anvil-uplink only: its LiveObjectProxy holds the item cache as rebuilt values.
    "uplink_row_with_item_cache": lambda: live_object({**row("[169,9]"), "itemCache": {
        "name": "ada", "joined": dt.date(2020, 1, 1), "score": 2**40}}),
}

CASES: dict[str, ValueCase | ErrorCase] = {case.name: case for case in [*VALUE_CASES, *ERROR_CASES]}


def build_value(name: str) -> Any:
    """The Python value of a value case, a refusal case or an extra value, by name."""
    case = CASES.get(name)
    if isinstance(case, ValueCase):
        return case.build()
    if name in REFUSAL_CASES:
        return REFUSAL_CASES[name]()
    return EXTRA_VALUES[name]()


def message_id(name: str) -> str:
    """The request id a case travels under."""
    return f"conformance-{name}"
