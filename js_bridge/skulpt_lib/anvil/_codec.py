"""The Anvil wire codec (protocol v8) on Skulpt: values JSON cannot hold travel in the message's ``objects`` list
(Long, Float, Date, DateTime, DataMedia, Capability, LiveObject, ValueType, ClassType), as client/anvil/_wire/
does on Pyodide;
tests/cases/codec_json_cases.json holds the cases both must agree on.

Example (in the Skulpt runtime):
    >>> encoded = encode_message({"id": "c1", "args": [2**40, 1.5]})
    >>> encoded.message["args"], encoded.message["objects"]
    ([None, 1.5], [{'type': ['Long'], 'value': '1099511627776', 'path': ['args', 0]}])
    >>> decode_message({"response": None, "objects": [{"path": ["response"], "type": ["Float"], "value": "NaN"}]})["response"]
    nan
"""

import datetime
import re

import _anvil_skulpt
from anvil._capability import Capability
from anvil._errors import SerializationError
from anvil._live_object import LiveObjectProxy
from anvil._media import BlobMedia, Media
from anvil._portable import SerializationInfo, lookup_portable_class, registered_name
from anvil.tz import UTC, tzoffset

#: Ints beyond this travel as Long text (the same limit as the Python codec's scalars.INT_LIMIT).
INT_LIMIT = 2147483647
MAX_CHUNK_BYTES = 65536
#: The wire types, in the order js_bridge/wire_types.mjs and client/anvil/_wire/types.py name them.
WIRE_TYPE_NAMES = ["DataMedia", "Capability", "LiveObject", "Date", "DateTime", "Long", "Float", "Primitive",
                   "ValueType", "ClassType"]
_INFINITY = float("inf")
_FLOAT_TEXT = {"NaN": float("nan"), "Infinity": _INFINITY, "-Infinity": -_INFINITY}
_LONG = re.compile(r"^-?[0-9]+$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_DATETIME = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
                       r"(?:([+-])([0-9]{2}):?([0-9]{2})|(Z))?$")


def repr_path(path):
    """A path the way error messages name it: ``msg['args'][0]``."""
    return "msg" + "".join("[" + repr(key) + "]" for key in path)


def first_known_type(entry):
    """The first name in an entry's ``type`` list that is a wire type (senders may list subclasses first)."""
    for name in entry["type"]:
        if name in WIRE_TYPE_NAMES:
            return name
    return None


def _two(n):
    return ("0" if n < 10 else "") + str(n)


def format_date(value):
    return "%04d-%02d-%02d" % (value.year, value.month, value.day)


def format_datetime(value):
    """``YYYY-MM-DD HH:MM:SS.ffffff±HHMM``; a naive value is stamped with the browser's local offset."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        offset_seconds = int(value.utcoffset().total_seconds())
    else:
        offset_seconds = _anvil_skulpt.local_offset_seconds(value.year, value.month, value.day, value.hour,
                                                             value.minute, value.second)
    if offset_seconds % 60:
        raise ValueError("its UTC offset has seconds, which a DateTime cannot carry")
    sign = "-" if offset_seconds < 0 else "+"
    minutes = abs(offset_seconds) // 60
    return ("%04d-%02d-%02d %02d:%02d:%02d.%06d" % (value.year, value.month, value.day, value.hour, value.minute,
                                                    value.second, value.microsecond)
            + sign + _two(minutes // 60) + _two(minutes % 60))


def parse_date(text):
    match = _DATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("bad Date value " + repr(text))
    return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def parse_datetime(text):
    """A DateTime; with no offset the result is naive, with one it is aware (``anvil.tz.tzoffset``)."""
    match = _DATETIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("bad DateTime value " + repr(text))
    parts = [match.group(i) or None for i in range(1, 12)]  # Skulpt's re gives "" for a group that took no part
    microsecond = int((parts[6] or "0") + "000000"[len(parts[6] or "0"):])
    tz = None
    if parts[7] is not None:
        minutes = int(parts[8]) * 60 + int(parts[9])
        if minutes >= 24 * 60:
            raise ValueError("bad DateTime offset in " + repr(text))
        tz = tzoffset(minutes=-minutes if parts[7] == "-" else minutes)
    elif parts[10] is not None:
        tz = UTC
    return datetime.datetime(int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4]),
                             int(parts[5]), microsecond, tz)


class EncodedMessage:
    """An encoded message: ``message`` (with ``objects``) is ready for JSON; ``media`` follows as chunks."""

    def __init__(self, message, media, capabilities):
        self.message = message
        self.media = media
        self.capabilities = capabilities

    def frames(self):
        """``[(chunk_header_json_text, bytes), ...]`` of every media item, in send order."""
        frames = []
        for media_id, media in self.media:
            data = media.get_bytes()
            offset, index = 0, 0
            while True:
                end = min(offset + MAX_CHUNK_BYTES, len(data))
                header = {"type": "CHUNK_HEADER", "requestId": self.message.get("id"), "mediaId": media_id,
                          "chunkIndex": index, "lastChunk": end == len(data)}
                frames.append((_anvil_skulpt.json_dumps(header), data[offset:end]))
                if end == len(data):
                    break
                offset, index = end, index + 1
        return frames


class _Encoder:
    def __init__(self):
        self.objects = []
        self.media = []
        self.capabilities = []
        self.path = []
        self.open_containers = []
        self.info = SerializationInfo()

    def fail(self, reason):
        return SerializationError(reason + " at " + repr_path(self.path))

    def add(self, entry):
        entry["path"] = list(self.path)
        self.objects.append(entry)
        return None

    def walk(self, value):
        kind = type(value)
        if value is None or kind is str or kind is bool:
            return value
        if kind is int:
            if -INT_LIMIT <= value <= INT_LIMIT:
                return value
            return self.add({"type": ["Long"], "value": str(value)})
        if kind is float:
            if value != value:
                return self.add({"type": ["Float"], "value": "NaN"})
            if value == _INFINITY or value == -_INFINITY:
                return self.add({"type": ["Float"], "value": "Infinity" if value > 0 else "-Infinity"})
            return value
        if kind is dict:
            return self.walk_dict(value)
        if kind is list or kind is tuple:
            return self.walk_list(value)
        return self.walk_other(value)

    def enter(self, container):
        for open_container in self.open_containers:
            if open_container is container:
                raise self.fail("Cannot serialize a value that contains itself")
        self.open_containers.append(container)

    def walk_dict(self, value):
        for key in value:
            if type(key) is not str:
                self.path.append(key)
                raise self.fail("Cannot serialize dictionaries with keys that aren't strings")
        self.enter(value)
        encoded = {}
        for key in sorted(value):
            self.path.append(key)
            encoded[key] = self.walk(value[key])
            self.path.pop()
        self.open_containers.pop()
        return encoded

    def walk_list(self, value):
        self.enter(value)
        encoded = []
        for index in range(len(value)):
            self.path.append(index)
            encoded.append(self.walk(value[index]))
            self.path.pop()
        self.open_containers.pop()
        return encoded

    def walk_other(self, value):
        if isinstance(value, type):
            name = registered_name(value)
            if name is None:
                raise self.fail("Type " + value.__name__ + " is not registered with @anvil.server.portable_class.")
            return self.add({"type": ["ClassType"], "typeName": name})
        if hasattr(type(value), "SERIALIZATION_INFO"):
            name = registered_name(type(value))
            if name is None:
                raise self.fail("Type " + type(value).__name__ + " is not registered with @anvil.server.portable_class.")
            return self.walk_portable(value, name)
        if isinstance(value, datetime.datetime):
            try:
                return self.add({"type": ["DateTime"], "value": format_datetime(value)})
            except ValueError as e:
                raise self.fail("Cannot serialize " + repr(value) + ": " + str(e))
        if isinstance(value, datetime.date):
            return self.add({"type": ["Date"], "value": format_date(value)})
        if isinstance(value, Capability):
            self.capabilities.append(value)
            entry = {"type": ["Capability"], "scope": value._base_scope, "mac": value._mac}
            if value._narrowing:
                entry["narrow"] = list(value._narrowing)
            return self.add(entry)
        if isinstance(value, LiveObjectProxy):
            entry = value._wire_spec()
            entry["type"] = ["LiveObject"]
            return self.add(entry)
        if isinstance(value, Media):
            media_id = "media-" + str(len(self.media))
            self.media.append((media_id, value))
            return self.add({"type": ["DataMedia"], "id": media_id, "mime-type": value.content_type,
                             "name": value.name})
        raise self.fail("Cannot serialize " + repr(type(value)) + " object")

    def walk_portable(self, value, name):
        self.enter(value)
        self.info._set_default_key(name)
        serialize = getattr(value, "__serialize__", None)
        content = serialize(self.info) if serialize is not None else dict(value.__dict__)
        encoded = self.walk(content)
        self.open_containers.pop()
        self.add({"type": ["ValueType"], "typeName": name})
        return encoded


def encode_message(message):
    """Encode a message (a dict such as a CALL); SerializationError names the path of a value that cannot go."""
    encoder = _Encoder()
    encoded = encoder.walk(message)
    shared = encoder.info._to_wire()
    if shared:  # shared_data tables: once per message, their own entries first
        message_objects, encoder.objects = encoder.objects, []
        encoder.info._set_transmitted_available(False)
        encoder.path = ["vt_global"]
        encoded["vt_global"] = encoder.walk(shared)
        encoder.objects = encoder.objects + message_objects
    encoded["objects"] = encoder.objects
    return EncodedMessage(encoded, encoder.media, encoder.capabilities)


def _field(entry, name, kind):
    """``entry[name]`` when it is of type ``kind``; otherwise SerializationError naming the entry's type."""
    value = entry.get(name)
    if type(value) is not kind:
        raise SerializationError("Malformed " + str(first_known_type(entry)) + " description: bad " + repr(name) + " "
                                 + repr(value) + " at " + repr_path(entry["path"]))
    return value


def _portable_class_of(entry, import_module=None):
    """The class an entry names; ``import_module(name)``, when given, may import its module to register it."""
    name = _field(entry, "typeName", str)
    cls = lookup_portable_class(name)
    if cls is None and import_module is not None and "." in name:
        import_module(name.rsplit(".", 1)[0])
        cls = lookup_portable_class(name)
    if cls is None:
        raise SerializationError("No such serializable type: " + str(name) + " at " + repr_path(entry["path"]))
    return cls


def _decode_portable(entry, inline, info, import_module):
    cls = _portable_class_of(entry, import_module)
    info._set_transmitted_available(entry["path"][0] != "vt_global")
    info._set_default_key(entry["typeName"])
    new_deserialized = getattr(cls, "__new_deserialized__", None)
    if new_deserialized is not None:
        return new_deserialized(inline, info)
    obj = cls.__new__(cls)
    deserialize = getattr(obj, "__deserialize__", None)
    if deserialize is not None:
        deserialize(inline, info)
    elif isinstance(inline, dict):
        obj.__dict__.update(inline)
    else:
        raise SerializationError("Cannot deserialize " + entry["typeName"] + " from a " + type(inline).__name__
                                 + " (it has no __deserialize__) at " + repr_path(entry["path"]))
    return obj


def _decode_media(entry, media):
    media_id = entry["id"]
    if media_id not in media:
        raise SerializationError("Media " + repr(media_id) + " at " + repr_path(entry["path"]) + " was never received")
    content_type, name = entry.get("mime-type"), entry.get("name")
    if content_type is not None and type(content_type) is not str or name is not None and type(name) is not str:
        raise SerializationError("Malformed Media description at " + repr_path(entry["path"]))
    return BlobMedia(content_type or "application/octet-stream", media[media_id], name=name)


def _decode_live_object(entry, methods_by_backend):
    """A LiveObject; a sender may leave out "methods" after the first object of a backend in a message."""
    _field(entry, "backend", str)
    _field(entry, "id", str)
    spec = dict(entry)
    if spec.get("methods") is not None:
        methods_by_backend[spec["backend"]] = spec["methods"]
    elif spec["backend"] in methods_by_backend:
        spec["methods"] = list(methods_by_backend[spec["backend"]])
    return LiveObjectProxy(spec)


def _decode_entry(kind, entry, inline, media, info, import_module):
    value = entry.get("value")
    if kind == "Long":
        if not isinstance(value, str) or not _LONG.match(value):
            raise ValueError("bad Long value " + repr(value))
        return int(value)
    if kind == "Float":
        if not isinstance(value, str) or value not in _FLOAT_TEXT:
            raise ValueError("bad Float value " + repr(value))
        return _FLOAT_TEXT[value]
    if kind == "Date":
        return parse_date(value) if value not in (None, "") else None
    if kind == "DateTime":
        return parse_datetime(value) if value not in (None, "") else None
    if kind == "Primitive":
        return value
    if kind == "DataMedia":
        return _decode_media(entry, media)
    if kind == "ValueType":
        return _decode_portable(entry, inline, info, import_module)
    if kind == "ClassType":
        return _portable_class_of(entry, import_module)
    if kind == "Capability":
        scope, narrowing = _field(entry, "scope", list), entry.get("narrow") or []
        if type(narrowing) is not list:
            raise SerializationError("Malformed Capability description: bad 'narrow' at " + repr_path(entry["path"]))
        return Capability(scope, entry.get("mac"), narrowing)
    raise SerializationError(kind + " values are not supported on the Skulpt runtime yet (at "
                             + repr_path(entry["path"]) + ")")


def _slot(message, path):
    container = message
    for depth in range(len(path)):
        key = path[depth]
        if isinstance(container, dict):
            found = isinstance(key, str) and key in container
        elif isinstance(container, list):
            found = type(key) is int and 0 <= key < len(container)
        else:
            found = False
        if not found:
            raise SerializationError("Malformed object description: no such place as " + repr_path(path[:depth + 1]))
        if depth == len(path) - 1:
            return container, key
        container = container[key]
    raise SerializationError("Malformed object description: empty path")


def _is_valid_path(path):
    """A non-empty list of str and non-negative int keys (bools are not ints here)."""
    if type(path) is not list or not path:
        return False
    for key in path:
        if not (type(key) is str or type(key) is int and key >= 0):
            return False
    return True


def _checked_entries(message):
    """The message's ``objects`` entries, each checked for shape before any is decoded (as the Python codec)."""
    if not isinstance(message, dict):
        raise SerializationError("Malformed message: expected an object, got " + type(message).__name__)
    entries = message.get("objects", [])
    if type(entries) is not list:
        raise SerializationError("Malformed message: 'objects' must be a list")
    for entry in entries:
        if type(entry) is not dict:
            raise SerializationError("Malformed message: each 'objects' entry must be an object")
        if not _is_valid_path(entry.get("path")):
            raise SerializationError("Malformed object description: bad path " + repr(entry.get("path")))
        types = entry.get("type")
        if type(types) is not list or not types or [t for t in types if type(t) is not str]:
            raise SerializationError("Malformed object description: bad type " + repr(types) + " at "
                                     + repr_path(entry["path"]))
        if first_known_type(entry) == "DataMedia" and type(entry.get("id")) is not str:
            raise SerializationError("Malformed Media description: id must be a str at " + repr_path(entry["path"]))
    return entries


def _reason(error):
    """An exception's message (Skulpt's datetime raises ValueError(message, value); CPython's says the message)."""
    args = getattr(error, "args", ())
    if isinstance(error, ValueError) and len(args) == 2 and isinstance(args[0], str):
        return args[0]
    return str(error)


def decode_message(message, media=None, import_module=None):
    """Rebuild the values of a received message (fresh from JSON: it is modified in place and returned, without
    ``objects``); ``media`` maps media ids to their bytes; ``import_module(name)``, when given, imports the module
    of a portable class nobody registered yet. A malformed message raises SerializationError."""
    entries = _checked_entries(message)
    message.pop("objects", None)
    methods_by_backend = {}
    info = SerializationInfo(message.get("vt_global"))  # its tables are decoded in place, before the values
    for entry in entries:
        path = entry["path"]
        kind = first_known_type(entry)
        if kind is None:
            raise SerializationError("Cannot deserialize an object of type " + repr(entry["type"][0]) + " at "
                                     + repr_path(path))
        container, key = _slot(message, path)
        try:
            if kind == "LiveObject":
                container[key] = _decode_live_object(entry, methods_by_backend)
            else:
                container[key] = _decode_entry(kind, entry, container[key], media or {}, info, import_module)
        except SerializationError:
            raise
        except Exception as e:
            raise SerializationError("Cannot deserialize " + entry["type"][0] + " at " + repr_path(path) + ": "
                                     + _reason(e))
    return message
