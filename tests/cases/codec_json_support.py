"""Runs the cases of codec_json_cases.json against a codec; the same source runs on CPython (the Python codec) and
on the Skulpt runtime (its codec), so it is written in the Python both share (no f-strings with nested quotes,
no dataclasses or typing).

``check_cases(cases, codec)`` returns a list of problems (empty when the codec agrees with every case). ``codec``
names what differs between the runtimes: ``encode(message) -> (message_dict, {media_id: bytes})``,
``decode(message, media) -> message``, ``error`` (the SerializationError class), ``json`` (loads/dumps),
``tz(minutes)`` (a fixed-offset tzinfo), ``BlobMedia``, ``Capability``, ``LiveObject`` (a LiveObject proxy from its
spec), ``portable_class`` (the decorator that registers the portable classes of the cases, ``$portable`` /
``$class``: see ``case_classes``) and ``chunks(message)`` (the media chunks that encoding ``message`` sends, as
``[media id, chunk index, last chunk, length]``, checked against a case's ``chunks``).

Example (on CPython):
    >>> from tests.host.test_codec_json_cases import PYTHON_CODEC, CASES
    >>> check_cases(CASES, PYTHON_CODEC)
    []
"""

import datetime

_classes = {}
#: Media longer than this whose bytes are all the same are written {"$repeat": [byte, count]}.
REPEAT_FROM = 64


def bytes_of(tagged):
    """Bytes from a list of byte values, or from {"$repeat": [byte, count]}."""
    if isinstance(tagged, dict):
        byte, count = tagged["$repeat"]
        return bytes([byte]) * count
    return bytes(tagged)


def tagged_bytes(data):
    """The tagged form of bytes (see ``bytes_of``)."""
    if len(data) > REPEAT_FROM and data == bytes([data[0]]) * len(data):
        return {"$repeat": [data[0], len(data)]}
    return list(data)


def case_classes(codec):
    """The portable classes the cases use, by registered name, made (and registered) once per runtime:
    ``codec_cases.Point`` (travels as its ``__dict__``), ``codec_cases.Money`` (``__serialize__`` /
    ``__deserialize__``), ``codec_cases.Node`` (its names in the class's ``shared_data`` table, rebuilt by
    ``__new_deserialized__``), ``codec_cases.Label`` (its value in the ``"GLOBAL"`` shared table) and
``codec_cases.Probe`` (records whether a transmitted table was offered: not inside shared data). Each is made
    from its tagged ``state`` and gives it back from ``codec_case_state()``."""
    if _classes:
        return _classes
    portable_class = codec["portable_class"]

    class Point:
        def __init__(self, state):
            self.__dict__.update(state)

        def codec_case_state(self):
            return dict(self.__dict__)

    class Money:
        def __init__(self, state):
            self.cents, self.currency = state[0], state[1]

        def codec_case_state(self):
            return [self.cents, self.currency]

        def __serialize__(self, info):
            return [self.cents, self.currency]

        def __deserialize__(self, data, info):
            self.cents, self.currency = data[0], data[1]

    class Node:
        def __init__(self, state):
            self.name = state

        def codec_case_state(self):
            return self.name

        def __serialize__(self, info):
            shared, local = info.shared_data()
            names = shared.setdefault("names", [])
            names.append(self.name)
            return len(names) - 1

        @classmethod
        def __new_deserialized__(cls, index, info):
            shared, local = info.shared_data()
            return cls(shared["names"][index])

    class Label:
        def __init__(self, state):
            self.key, self.value = state[0], state[1]

        def codec_case_state(self):
            return [self.key, self.value]

        def __serialize__(self, info):
            shared, local = info.shared_data("GLOBAL")
            shared[self.key] = self.value
            return self.key

        @classmethod
        def __new_deserialized__(cls, key, info):
            shared, local = info.shared_data("GLOBAL")
            return cls([key, shared[key]])

    class Probe:
        def __init__(self, state):
            self.state = state

        def codec_case_state(self):
            return self.state

        def __serialize__(self, info):
            return {"state": self.state, "sent_with_table": info.shared_data()[0] is not None}

        def __deserialize__(self, data, info):
            self.state = [data["state"], data["sent_with_table"], info.shared_data()[0] is not None]

    for cls in (Point, Money, Node, Label, Probe):
        cls.codec_case_name = "codec_cases." + cls.__name__
        _classes[cls.codec_case_name] = portable_class(cls.codec_case_name)(cls)

    class SubPoint(Point):
        """A subclass of a portable class, not itself registered (it cannot be sent)."""

    SubPoint.__qualname__ = "SubPoint"  # CPython names the class by it in errors; Skulpt by __name__
    _classes["unregistered SubPoint"] = SubPoint
    return _classes


def from_tagged(tagged, codec):
    """The Python value a tagged JSON value stands for."""
    if isinstance(tagged, list):
        return [from_tagged(item, codec) for item in tagged]
    if not isinstance(tagged, dict):
        return tagged
    if "$long" in tagged:
        return int(tagged["$long"])
    if "$float" in tagged:
        return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[tagged["$float"]])
    if "$date" in tagged:
        year, month, day = tagged["$date"].split("-")
        return datetime.date(int(year), int(month), int(day))
    if "$datetime" in tagged:
        parts = tagged["$datetime"]
        tz = codec["tz"](parts[7]) if parts[7] is not None else None
        return datetime.datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], tz)
    if "$tuple" in tagged:
        return tuple(from_tagged(tagged["$tuple"], codec))
    if "$set" in tagged:
        return set(tagged["$set"])
    if "$intkeys" in tagged:
        return dict((pair[0], from_tagged(pair[1], codec)) for pair in tagged["$intkeys"])
    if "$capability" in tagged:
        cap = tagged["$capability"]
        return codec["Capability"](cap["scope"], cap["mac"], cap["narrow"])
    if "$portable" in tagged:
        name, state = tagged["$portable"]
        return case_classes(codec)[name](from_tagged(state, codec))
    if "$class" in tagged:
        return case_classes(codec)[tagged["$class"]]
    if "$bytes" in tagged:
        return bytes(tagged["$bytes"])
    if "$live" in tagged:
        return codec["LiveObject"](tagged["$live"])
    if "$media" in tagged:
        media = tagged["$media"]
        return codec["BlobMedia"](media["content_type"], bytes_of(media["bytes"]), name=media["name"])
    return dict((key, from_tagged(value, codec)) for key, value in tagged.items())


def to_tagged(value):
    """A decoded Python value in tagged form (what the cases' ``decoded`` / ``value`` say)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -2147483647 <= value <= 2147483647 else {"$long": str(value)}
    if isinstance(value, float):
        if value != value:
            return {"$float": "NaN"}
        if value in (float("inf"), float("-inf")):
            return {"$float": "Infinity" if value > 0 else "-Infinity"}
        return value
    if isinstance(value, type) and hasattr(value, "codec_case_name"):
        return {"$class": value.codec_case_name}
    if hasattr(value, "codec_case_state"):
        return {"$portable": [type(value).codec_case_name, to_tagged(value.codec_case_state())]}
    if hasattr(value, "_spec") and hasattr(value, "_wire_spec"):
        return {"$live": value._spec}
    if isinstance(value, list):
        return [to_tagged(item) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [to_tagged(item) for item in value]}
    if isinstance(value, dict):
        return dict((key, to_tagged(item)) for key, item in value.items())
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        minutes = None if offset is None else int(offset.total_seconds()) // 60
        return {"$datetime": [value.year, value.month, value.day, value.hour, value.minute, value.second,
                              value.microsecond, minutes]}
    if isinstance(value, datetime.date):
        return {"$date": "%04d-%02d-%02d" % (value.year, value.month, value.day)}
    if hasattr(value, "_base_scope"):
        return {"$capability": {"scope": value._base_scope, "mac": value._mac, "narrow": value._narrowing}}
    if hasattr(value, "get_bytes"):
        return {"$media": {"content_type": value.content_type, "name": value.name, "bytes": tagged_bytes(value.get_bytes())}}
    return {"$unknown": repr(value)}


def _same(a, b, codec):
    """Equal as JSON text with sorted keys (so 1 and 1.0, or lists and tuples, differ)."""
    return _canonical(a, codec) == _canonical(b, codec)


def _canonical(value, codec):
    if isinstance(value, dict):
        return "{" + ",".join(codec["json"].dumps(key) + ":" + _canonical(value[key], codec) for key in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item, codec) for item in value) + "]"
    if isinstance(value, float):
        return repr(value) + "f"
    return codec["json"].dumps(value)


def _expect_error(problems, name, what, expected, run, codec):
    try:
        run()
    except codec["error"] as e:
        if str(e) != expected:
            problems.append(name + ": " + what + " raised " + repr(str(e)) + ", expected " + repr(expected))
        return
    except Exception as e:
        problems.append(name + ": " + what + " raised " + type(e).__name__ + ": " + str(e) + " (expected SerializationError)")
        return
    problems.append(name + ": " + what + " raised nothing, expected " + repr(expected))


def check_case(case, codec):
    """The problems of one case (an empty list when the codec agrees)."""
    problems = []
    name = case["name"]
    direction = case.get("direction", "both")
    if direction in ("both", "encode"):
        message = {"id": "c1", "args": [from_tagged(case["value"], codec)]}
        if "encode_error" in case:
            _expect_error(problems, name, "encoding", case["encode_error"], lambda: codec["encode"](message), codec)
        else:
            try:
                encoded, media = codec["encode"](message)
                wire = codec["json"].loads(codec["json"].dumps(encoded))
                if not _same(wire, case["wire"], codec):
                    problems.append(name + ": encoded " + _canonical(wire, codec) + ", expected " + _canonical(case["wire"], codec))
                expected_media = dict((key, bytes_of(data)) for key, data in case.get("media", {}).items())
                if media != expected_media:
                    problems.append(name + ": encoded media " + repr(media) + ", expected " + repr(expected_media))
                if "chunks" in case and codec["chunks"](message) != case["chunks"]:
                    problems.append(name + ": sent the chunks " + repr(codec["chunks"](message)) + ", expected "
                                    + repr(case["chunks"]))
            except Exception as e:
                problems.append(name + ": encoding raised " + type(e).__name__ + ": " + str(e))
    if direction in ("both", "decode") and "wire" in case:
        media = dict((key, bytes_of(data)) for key, data in case.get("media", {}).items())
        text = codec["json"].dumps(case["wire"])
        if "decode_error" in case:
            _expect_error(problems, name, "decoding", case["decode_error"],
                          lambda: codec["decode"](codec["json"].loads(text), media), codec)
        else:
            try:
                decoded = codec["decode"](codec["json"].loads(text), media)
                got = to_tagged(decoded["args"][0])
                expected = case["decoded"] if "decoded" in case else case["value"]
                if not _same(got, expected, codec):
                    problems.append(name + ": decoded " + _canonical(got, codec) + ", expected " + _canonical(expected, codec))
            except Exception as e:
                problems.append(name + ": decoding raised " + type(e).__name__ + ": " + str(e))
    return problems


def check_cases(cases, codec):
    """The problems of every case."""
    problems = []
    for case in cases:
        problems.extend(check_case(case, codec))
    return problems


_exceptions = {}


def case_exception(codec):
    """``error_cases.OutOfStock``: a custom exception the error cases register (once per runtime) with
    ``codec["AnvilWrappedError"]`` and ``codec["register_exception"]``."""
    if not _exceptions:
        class OutOfStock(codec["AnvilWrappedError"]):
            pass

        codec["register_exception"]("error_cases.OutOfStock", OutOfStock)
        _exceptions["OutOfStock"] = OutOfStock
    return _exceptions["OutOfStock"]


def check_error_case(case, codec):
    """The problems of one case of error_cases.json (an empty list when ``codec["error_from_wire"]`` agrees);
    anvil.users' exceptions are registered by importing ``anvil._user_errors`` first."""
    case_exception(codec)
    name = case["name"]
    exc = codec["error_from_wire"](case["error"])
    problems = []
    classes = [cls.__name__ for cls in type(exc).__mro__]
    if classes[0] != case["class"]:
        problems.append(name + ": raised " + classes[0] + ", expected " + case["class"])
    for base in case.get("bases", []):
        if base not in classes:
            problems.append(name + ": " + classes[0] + " is not a " + base)
    if isinstance(exc, codec["AnvilWrappedError"]) != case["wrapped"]:
        problems.append(name + ": AnvilWrappedError is " + str(not case["wrapped"]))
    if str(exc) != case["message"]:
        problems.append(name + ": says " + repr(str(exc)) + ", expected " + repr(case["message"]))
    trace = exc.trace if case["wrapped"] else exc._anvil_error_obj["trace"]
    if trace != case["trace"]:
        problems.append(name + ": keeps the trace " + repr(trace) + ", expected " + repr(case["trace"]))
    if "repr" in case and repr(exc) != case["repr"]:
        problems.append(name + ": repr " + repr(exc) + ", expected " + case["repr"])
    return problems
