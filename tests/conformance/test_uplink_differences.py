"""Where our codec and anvil-uplink 0.7.0 deliberately or knowingly behave differently.

Each test pins down *both* behaviours, so a change on either side shows up here. Tests named
``test_uplink_*`` document an anvil-uplink weakness we do not copy; the others document a
deliberate choice of ours (docs/protocol.md's **(ours)** notes).
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any, Iterator

import pytest

import anvil._portable
import conformance_cases as cc
from anvil._errors import AnvilWrappedError, SerializationError, error_from_wire, error_to_wire
from anvil._wire import decode_message, encode_message
from conformance_host import PeerError, UplinkPeer, local_timezone, our_encode

PROBE_MODULE = "conformance_import_probe"
PROBE_TYPE = f"{PROBE_MODULE}.Probe"


def _forget_probe() -> None:
    """Unload the probe module here and unregister its portable class from our registry."""
    sys.modules.pop(PROBE_MODULE, None)
    cls = anvil._portable._classes_by_name.pop(PROBE_TYPE, None)
    if cls is not None:
        anvil._portable._names_by_class.pop(cls, None)


@pytest.fixture
def probe_unloaded() -> Iterator[None]:
    _forget_probe()
    yield
    _forget_probe()


def _probe_message(type_name: str = PROBE_TYPE) -> dict[str, Any]:
    return {"id": "probe", "response": {"a": 1},
            "objects": [{"path": ["response"], "type": ["ValueType"], "typeName": type_name}]}


def _sent_datetime_text(message: dict[str, Any]) -> str:
    (entry,) = message["objects"]
    assert entry["type"] == ["DateTime"]
    return entry["value"]


# --------------------------------------------------------------------------------------------
# Unknown portable type names
# --------------------------------------------------------------------------------------------


def test_unknown_portable_type_uplink_imports_its_module_we_refuse(uplink: UplinkPeer, probe_unloaded: None) -> None:
    """anvil-uplink imports the module named by an unknown typeName (a sender can trigger imports);
    ours refuses with ``SerializationError("No such serializable type: ...")`` and imports nothing."""
    got = uplink.request("decode", message=_probe_message(), frames=[], watch_modules=[PROBE_MODULE])
    assert got["modules_imported"] == [PROBE_MODULE]
    assert got["value"] == {"portable": PROBE_TYPE, "state": {"dict": {"a": 1}}}

    with pytest.raises(SerializationError) as refused:
        decode_message(_probe_message())
    assert str(refused.value) == f"No such serializable type: {PROBE_TYPE} at msg['response']"
    assert PROBE_MODULE not in sys.modules


def test_unknown_portable_type_we_import_only_through_the_hook(probe_unloaded: None) -> None:
    """With an ``import_module`` hook (the server passes one allowing only the app's packages) our
    decoder asks the hook for the type's module, then finds the class."""
    asked: list[str] = []

    def import_module(name: str) -> None:
        asked.append(name)
        importlib.import_module(name)

    decoded = decode_message(_probe_message(), import_module=import_module).message
    assert asked == [PROBE_MODULE]
    assert type(decoded["response"]).__name__ == "Probe" and decoded["response"].a == 1


def test_uplink_unknown_type_in_a_missing_module_is_not_a_serialization_error(uplink: UplinkPeer) -> None:
    """anvil-uplink lets the ImportError of the named module escape; ours says SerializationError."""
    message = _probe_message("no_such_module_for_conformance.Thing")
    with pytest.raises(PeerError) as theirs:
        uplink.request("decode", message=message, frames=[])
    assert theirs.value.error["class"] == "ModuleNotFoundError"
    with pytest.raises(SerializationError, match="No such serializable type: no_such_module_for_conformance.Thing"):
        decode_message(message)


# --------------------------------------------------------------------------------------------
# DateTime offsets
# --------------------------------------------------------------------------------------------


def test_naive_datetime_stamped_with_the_offset_at_its_own_date_not_today(uplink: UplinkPeer) -> None:
    """A naive datetime is stamped with the local offset. Ours uses the offset in force *at that
    date* (``value.astimezone()``); anvil-uplink's ``anvil.tz.tzlocal`` uses the offset in force
    *now* for every date, so in a DST zone half the year's values arrive an hour off."""
    zone = "Europe/London"
    with local_timezone(zone):
        now_offset = "+0100" if time.localtime().tm_isdst else "+0000"
        ours = {name: _sent_datetime_text(our_encode({"id": "x", "response": cc.build_value(name)})[0])
                for name in ("naive_january", "naive_july")}
        theirs = {name: _sent_datetime_text(uplink.request("encode", case=name, tz=zone)["message"])
                  for name in ("naive_january", "naive_july")}
    assert ours == {"naive_january": "2024-01-15 12:00:00.000000+0000",
                    "naive_july": "2024-07-15 12:00:00.000000+0100"}
    assert theirs == {"naive_january": "2024-01-15 12:00:00.000000" + now_offset,
                      "naive_july": "2024-07-15 12:00:00.000000" + now_offset}


@pytest.mark.parametrize("name, correct, uplinks", [
    ("aware_minus_0545", "2024-03-10 18:45:00.000000-0545", "2024-03-10 18:45:00.000000-0515"),
    ("aware_minus_0015", "2024-03-10 18:45:00.000000-0015", "2024-03-10 18:45:00.000000-0045"),
])
def test_uplink_misformats_negative_offsets_that_are_not_whole_or_half_hours(
        uplink: UplinkPeer, name: str, correct: str, uplinks: str) -> None:
    """anvil-uplink formats the minutes of an offset as ``(seconds % 3600) / 60``, which is wrong for
    negative offsets unless the minutes are 0 or 30 (-05:45 goes out as -0515). Ours is exact.
    (-03:30 and -09:30, the real negative half-hour zones, are right on both sides.)"""
    assert _sent_datetime_text(our_encode({"id": "x", "response": cc.build_value(name)})[0]) == correct
    assert _sent_datetime_text(uplink.request("encode", case=name)["message"]) == uplinks


# --------------------------------------------------------------------------------------------
# Capabilities
# --------------------------------------------------------------------------------------------


def test_uplink_drops_capability_narrowing_on_decode(uplink: UplinkPeer) -> None:
    """Both sides *send* a narrowed Capability as base scope + mac + ``narrow``, but anvil-uplink 0.7.0
    rebuilds a received one from ``scope`` and ``mac`` only: the narrowing is lost (it gets the
    broader capability). Ours keeps it."""
    ours, _ = our_encode({"id": "cap", "response": cc.build_value("capability_narrowed_once")})
    theirs = uplink.request("encode", case="capability_narrowed_once")["message"]
    expected_entry = {"path": ["response"], "type": ["Capability"], "scope": ["folder", 42],
                      "mac": {"sig": "c0ffee"}, "narrow": ["files"]}
    assert ours["objects"] == theirs["objects"] == [expected_entry]

    assert decode_message(theirs).message["response"].scope == ["folder", 42, "files"]
    got = uplink.request("decode", message=ours, frames=[])
    assert got["value"] == {"capability": {"scope": {"list": ["folder", 42]}, "mac": {"dict": {"sig": "c0ffee"}}}}


# --------------------------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------------------------


def test_builtin_exception_types_we_rebuild_uplink_wraps(uplink: UplinkPeer) -> None:
    """``{"type": "ValueError", ...}`` becomes a real ValueError with us; anvil-uplink only knows
    KeyError among the builtins and gives an AnvilWrappedError whose error_obj names ValueError."""
    error = error_to_wire(ValueError("bad"), [["server_code/a.py", 1]])
    ours = error_from_wire(error)
    assert type(ours) is ValueError and not isinstance(ours, AnvilWrappedError)
    theirs = uplink.request("decode", message={"id": "e", "error": error, "objects": []}, frames=[])["error"]
    assert theirs["class"] == "AnvilWrappedError" and theirs["type"] == "ValueError"


def test_uplink_anvil_errors_lose_the_remote_trace(uplink: UplinkPeer) -> None:
    """anvil-uplink rebuilds most ``anvil.server.*`` errors (its MaybeWrappedError subclasses, e.g.
    TimeoutError) from the message alone, so the remote trace is lost; ours keeps ``error_obj``."""
    error = {"type": "anvil.server.TimeoutError", "message": "slow", "trace": [["server_code/a.py", 9]]}
    assert error_from_wire(error).trace == [["server_code/a.py", 9]]
    theirs = uplink.request("decode", message={"id": "e", "error": error, "objects": []}, frames=[])["error"]
    assert theirs == {"class": "TimeoutError", "type": "anvil.server.TimeoutError", "message": "slow", "trace": None}


# --------------------------------------------------------------------------------------------
# Values neither side will send
# --------------------------------------------------------------------------------------------

_SAME = "SerializationError"

#: case -> (our SerializationError message, anvil-uplink's exception class, its message or message start)
REFUSALS: dict[str, tuple[str, str, str]] = {
    "refuse_set": ("Cannot serialize <class 'set'> object at msg['response']['ok'][1]", _SAME, "="),
    "refuse_object": ("Cannot serialize <class 'object'> object at msg['response'][0]", _SAME, "="),
    "refuse_bytes": ("Cannot serialize <class 'bytes'> object at msg['response']", _SAME, "="),
    "refuse_time": ("Cannot serialize <class 'datetime.time'> object at msg['response']", _SAME, "="),
    "refuse_timedelta": ("Cannot serialize <class 'datetime.timedelta'> object at msg['response']", _SAME, "="),
    "refuse_non_str_key": ("Cannot serialize dictionaries with keys that aren't strings at msg['response']['d'][1]",
                           _SAME, "="),
    # anvil-uplink sorts the keys before checking them, so mixed keys fail inside sorted().
    "refuse_mixed_keys": ("Cannot serialize dictionaries with keys that aren't strings at msg['response'][2]",
                          "TypeError", "'<' not supported between instances of 'int' and 'str'"),
    # anvil-uplink recurses until the interpreter's recursion limit.
    "refuse_self_containing": ("Cannot serialize a value that contains itself at msg['response'][1]",
                               "RecursionError", "maximum recursion depth exceeded"),
    # Same error and path, different wording (ours is the one docs/protocol.md documents).
    "refuse_unregistered_subclass": (
        "Type SubPoint is not registered with @anvil.server.portable_class. at msg['response'][0]", _SAME,
        "Cannot serialize <class 'shared_types.SubPoint'> (must be registered with @anvil.server.portable_class) "
        "at msg['response'][0]"),
    "refuse_plain_class": ("Type int is not registered with @anvil.server.portable_class. at msg['response'][0]",
                           _SAME, "Cannot serialize <class 'type'> object at msg['response'][0]"),
}


@pytest.mark.parametrize("case", list(cc.REFUSAL_CASES))
def test_encode_refusals_compared_with_uplink(uplink: UplinkPeer, case: str) -> None:
    """We refuse every value anvil-uplink refuses, always with a SerializationError naming the path
    (``"="``: anvil-uplink's message is identical). Where anvil-uplink fails with another exception
    (mixed key types, a value containing itself) the table says which."""
    ours_expected, their_class, their_message = REFUSALS[case]
    with pytest.raises(SerializationError) as ours:
        encode_message({"id": cc.message_id(case), "response": cc.build_value(case)})
    assert str(ours.value) == ours_expected
    theirs = uplink.request("refuse", case=case)
    assert theirs["class"] == their_class
    if their_message == "=":
        assert theirs["message"] == ours_expected
    else:
        assert theirs["message"].startswith(their_message)


def test_uplink_truncates_offsets_with_seconds_we_refuse(uplink: UplinkPeer) -> None:
    """A UTC offset with seconds (e.g. historical LMT zones) cannot be written as ±HHMM: anvil-uplink
    silently truncates it (+00:05:30 goes out as +0005); ours refuses with a SerializationError."""
    assert _sent_datetime_text(uplink.request("encode", case="aware_offset_with_seconds")["message"]) == \
        "2020-01-01 00:00:00.000000+0005"
    with pytest.raises(SerializationError, match=r"UTC offset 0:05:30 has seconds.* at msg\['response'\]"):
        encode_message({"id": "x", "response": cc.build_value("aware_offset_with_seconds")})
