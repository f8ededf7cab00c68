"""The table of wire types: for each type the codec knows, how a value becomes an ``objects`` entry and how
an entry becomes a value again, side by side (Comlink's transfer handlers are the model). Adding a type
touches this file and its cases in tests/cases/.

The encoder and decoder (encode.py, decode.py) walk messages; they hand a value or an entry to its type here.
``WIRE_TYPE_NAMES`` is also the list js_bridge/wire_types.mjs names, in the same order: both sides decide which
entries carry media by one rule (:func:`carries_media`), checked by tests/cases/media_rule_cases.json.

Example:
    >>> carries_media({"type": ["anvil.BlobMedia", "DataMedia"], "id": "m0", "path": ["response"]})
    True
    >>> carries_media({"type": ["LiveObject", "DataMedia"], "path": ["response"]})
    False
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from .._capability import Capability
from .._errors import SerializationError
from .._live_object import LiveObjectProxy
from .._media import BlobMedia, Media
from .._portable import lookup_portable_class, registered_name
from . import scalars
from .paths import repr_path

if TYPE_CHECKING:
    from .decode import _Decoder
    from .encode import _Encoder


class WireType:
    """One wire type: ``name`` on the wire, ``accepts`` (which Python values it encodes), ``encode`` (adds the
    value's entry; returns what stays inline, usually None) and ``decode`` (an entry, and the value the
    message holds at its path, to a Python value)."""

    name = ""

    def accepts(self, value: Any) -> bool:
        return False

    def encode(self, encoder: _Encoder, value: Any) -> Any:
        raise NotImplementedError(f"{self.name} values are never sent")

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> Any:
        raise NotImplementedError


class DataMediaType(WireType):
    """Media: the entry names a media id; the bytes follow the message as chunks (chunks.py)."""

    name = "DataMedia"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Media)

    def encode(self, encoder: _Encoder, value: Media) -> None:
        media_id = f"media-{len(encoder.media)}"
        encoder.media.append((media_id, value))
        encoder.add_entry({"type": [self.name], "id": media_id, "mime-type": value.content_type, "name": value.name})

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> BlobMedia:
        media_id = entry["id"]
        if media_id not in decoder.media:
            raise SerializationError(f"Media {media_id!r} at {repr_path(entry['path'])} was never received")
        content_type = entry.get("mime-type")
        name = entry.get("name")
        if content_type is not None and type(content_type) is not str or name is not None and type(name) is not str:
            raise SerializationError(f"Malformed Media description at {repr_path(entry['path'])}")
        return BlobMedia(content_type or "application/octet-stream", decoder.media[media_id], name=name)


class CapabilityType(WireType):
    """A Capability: scope, MAC (signed by the sending server) and narrowing; the receiver may refuse it."""

    name = "Capability"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Capability)

    def encode(self, encoder: _Encoder, value: Capability) -> None:
        encoder.capabilities.append(value)
        if value._mac is None and encoder.sign_capability is not None:
            value._mac = encoder.sign_capability(value)
        entry = {"type": [self.name], "scope": value._base_scope, "mac": value._mac}
        if value._narrowing:
            entry["narrow"] = list(value._narrowing)
        encoder.add_entry(entry)

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> Capability:
        scope = decoder.field(entry, "scope", list)
        narrowing = entry.get("narrow") or []
        if type(narrowing) is not list:
            raise SerializationError(f"Malformed Capability description: bad 'narrow' at {repr_path(entry['path'])}")
        capability = Capability(scope, entry.get("mac"), narrowing)
        if decoder.check_capability is not None:
            decoder.check_capability(capability)
        decoder.capabilities.append(capability)
        return capability


class LiveObjectType(WireType):
    """A live object (e.g. a background Task): backend, id, MAC, permissions; "methods" may be left out after
    the first object of a backend in a message."""

    name = "LiveObject"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, LiveObjectProxy)

    def encode(self, encoder: _Encoder, value: LiveObjectProxy) -> None:
        encoder.add_entry({**value._wire_spec(), "type": [self.name]})

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> LiveObjectProxy:
        backend = decoder.field(entry, "backend", str)
        decoder.field(entry, "id", str)
        spec = copy.deepcopy(entry)
        if spec.get("methods") is not None:
            decoder.live_object_methods[backend] = spec["methods"]
        elif backend in decoder.live_object_methods:
            spec["methods"] = copy.deepcopy(decoder.live_object_methods[backend])
        return LiveObjectProxy(spec)


class DateType(WireType):
    """A date as ``YYYY-MM-DD`` (an empty or missing value decodes to None)."""

    name = "Date"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)

    def encode(self, encoder: _Encoder, value: dt.date) -> None:
        encoder.add_entry({"type": [self.name], "value": scalars.format_date(value)})

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> Any:
        return scalars.parse_date(entry["value"]) if entry.get("value") not in (None, "") else None


class DateTimeType(WireType):
    """A datetime with its UTC offset (a naive one is sent with this machine's local offset)."""

    name = "DateTime"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dt.datetime)

    def encode(self, encoder: _Encoder, value: dt.datetime) -> None:
        try:
            text = scalars.format_datetime(value)
        except ValueError as e:
            raise encoder.fail(f"Cannot serialize {value!r}: {e}") from None
        encoder.add_entry({"type": [self.name], "value": text})

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> Any:
        return scalars.parse_datetime(entry["value"]) if entry.get("value") not in (None, "") else None


class LongType(WireType):
    """An int too big for JSON's safe range, as decimal text (ints that fit stay inline)."""

    name = "Long"

    def accepts(self, value: Any) -> bool:
        return type(value) is int and not scalars.fits_inline(value)

    def encode(self, encoder: _Encoder, value: int) -> None:
        encoder.add_entry({"type": [self.name], "value": scalars.format_long(value)})

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> int:
        return scalars.parse_long(entry.get("value"))


class FloatType(WireType):
    """NaN and the infinities, which JSON cannot hold, as text (finite floats stay inline)."""

    name = "Float"

    def accepts(self, value: Any) -> bool:
        return type(value) is float and not math.isfinite(value)

    def encode(self, encoder: _Encoder, value: float) -> None:
        encoder.add_entry({"type": [self.name], "value": scalars.format_float(value)})

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> float:
        return scalars.parse_float(entry.get("value"))


class PrimitiveType(WireType):
    """A plain JSON scalar in the entry's ``value`` (received only; we send such values inline)."""

    name = "Primitive"

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> Any:
        value = entry.get("value")
        if value is not None and type(value) not in (str, int, float, bool):
            raise SerializationError(f"Malformed Primitive at {repr_path(entry['path'])}")
        return value


def portable_class(decoder: _Decoder, entry: dict[str, Any]) -> type:
    """The registered portable class an entry's ``typeName`` names (the decoder may import its module)."""
    name = decoder.field(entry, "typeName", str)
    cls = lookup_portable_class(name)
    if cls is None and decoder.import_module is not None and "." in name:
        decoder.import_module(name.rsplit(".", 1)[0])
        cls = lookup_portable_class(name)
    if cls is None:
        raise SerializationError(f"No such serializable type: {name} at {repr_path(entry['path'])}")
    return cls


class ValueTypeType(WireType):
    """An instance of a portable class: its content (``__serialize__``'s result or its ``__dict__``) stays inline
    and is encoded like any value; the entry names the class."""

    name = "ValueType"

    def accepts(self, value: Any) -> bool:
        return hasattr(type(value), "SERIALIZATION_INFO")

    def encode(self, encoder: _Encoder, value: Any) -> Any:
        name = registered_name(type(value))
        if name is None:
            raise encoder.fail(f"Type {type(value).__qualname__} is not registered with @anvil.server.portable_class.")
        encoder.enter(value)
        encoder.info._set_default_key(name)
        serialize = getattr(value, "__serialize__", None)
        content = serialize(encoder.info) if serialize is not None else value.__dict__
        encoded = encoder.walk(content)
        encoder.open_containers.discard(id(value))
        encoder.add_entry({"type": [self.name], "typeName": name})
        return encoded

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> Any:
        cls = portable_class(decoder, entry)
        decoder.info._set_transmitted_available(entry["path"][0] != "vt_global")
        decoder.info._set_default_key(entry["typeName"])
        new_deserialized = getattr(cls, "__new_deserialized__", None)
        if new_deserialized is not None:
            return new_deserialized(inline, decoder.info)
        obj = cls.__new__(cls)
        deserialize = getattr(obj, "__deserialize__", None)
        if deserialize is not None:
            deserialize(inline, decoder.info)
        elif isinstance(inline, dict):
            obj.__dict__.update(inline)
        else:
            raise SerializationError(f"Cannot deserialize {entry['typeName']} from a {type(inline).__name__} "
                                     f"(it has no __deserialize__) at {repr_path(entry['path'])}")
        return obj


class ClassTypeType(WireType):
    """A portable class itself (not an instance), by its registered name."""

    name = "ClassType"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, type)

    def encode(self, encoder: _Encoder, value: type) -> None:
        name = registered_name(value)
        if name is None:
            raise encoder.fail(f"Type {value.__qualname__} is not registered with @anvil.server.portable_class.")
        encoder.add_entry({"type": [self.name], "typeName": name})

    def decode(self, decoder: _Decoder, entry: dict[str, Any], inline: Any) -> type:
        return portable_class(decoder, entry)


WIRE_TYPES: dict[str, WireType] = {t.name: t for t in (
    DataMediaType(), CapabilityType(), LiveObjectType(), DateType(), DateTimeType(), LongType(), FloatType(),
    PrimitiveType(), ValueTypeType(), ClassTypeType())}
#: The names, in the order js_bridge/wire_types.mjs lists them.
WIRE_TYPE_NAMES = tuple(WIRE_TYPES)
#: Tried before the encoder's own handling of str/int/float/dict/list subclasses (a portable class may
#: subclass dict; a class object is never a native value).
ENCODE_BEFORE_NATIVES = (WIRE_TYPES["ClassType"], WIRE_TYPES["ValueType"])
#: Tried after it, in this order (a datetime is also a date).
ENCODE_AFTER_NATIVES = tuple(WIRE_TYPES[name] for name in ("DateTime", "Date", "DataMedia", "Capability", "LiveObject"))


def first_known_type(entry: dict[str, Any]) -> str | None:
    """The first name in an entry's ``type`` list that is a wire type (senders may list subclasses first)."""
    return next((name for name in entry["type"] if name in WIRE_TYPES), None)


def carries_media(entry: dict[str, Any]) -> bool:
    """The media rule: an entry carries media when its first known wire type is DataMedia."""
    return first_known_type(entry) == "DataMedia"
