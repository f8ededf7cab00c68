"""Encoding: a Python message becomes JSON plus an ``objects`` list (docs/protocol.md, "Values on the wire").

Values JSON cannot hold are replaced by ``None`` (a portable object by its content) and described by an
entry whose ``path`` says where they go; each type's entry is made by its wire type (types.py). Media
content is not inline: it follows the message as chunks.

Example:
    >>> import datetime as dt
    >>> enc = encode_message({"id": "c1", "args": [dt.date(2024, 5, 1), 2**40]})
    >>> enc.message["args"], [e["type"] for e in enc.message["objects"]]
    ([None, None], [['Date'], ['Long']])
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .._capability import Capability
from .._errors import SerializationError
from .._media import Media
from .._portable import SerializationInfo
from . import scalars
from .chunks import split_media
from .paths import repr_path
from .types import ENCODE_AFTER_NATIVES, ENCODE_BEFORE_NATIVES, WIRE_TYPES

_LONG = WIRE_TYPES["Long"]
_FLOAT = WIRE_TYPES["Float"]


@dataclass
class EncodedMessage:
    """An encoded message: ``message`` is ready for ``json.dumps``; ``media`` still has to follow."""

    message: dict[str, Any]
    media: list[tuple[str, Media]] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)

    def chunks(self) -> Iterator[tuple[dict[str, Any], bytes]]:
        """Each media item's ``CHUNK_HEADER`` messages with their binary frames, in send order."""
        for media_id, media in self.media:
            yield from split_media(self.message.get("id"), media_id, media.get_bytes())


def is_plain_json(value: Any) -> bool:
    """True when ``value`` holds only what travels as plain JSON: str, bool, None, ints within the inline
    range, finite floats, and dicts with str keys and lists of those (raises RecursionError for a value
    nested too deeply or containing itself). Tuples are not: the encoder sends them as lists.

    Example:
        >>> is_plain_json({"a": [1, 2.5, None, "x", {"b": True}]}), is_plain_json({"a": [2**40]}), is_plain_json({1: 2})
        (True, False, False)
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            item_kind = type(item)
            if item_kind is not str and item_kind is not bool and item is not None and not is_plain_json(item):
                return False
        return True
    if kind is list:
        for item in value:
            item_kind = type(item)
            if item_kind is not str and item_kind is not bool and item is not None and not is_plain_json(item):
                return False
        return True
    if kind is int:
        return scalars.fits_inline(value)
    if kind is float:
        return value - value == 0.0  # false for NaN and the infinities
    return kind is str or kind is bool or value is None


#: Gives a MAC to a Capability created on this side (the server signs with the session's secret).
CapabilitySigner = Callable[[Capability], Any]


def encode_message(message: dict[str, Any], *, remote_is_trusted: bool = False,
                   sign_capability: CapabilitySigner | None = None) -> EncodedMessage:
    """Encode ``message`` (a dict such as a CALL or a response); the input is left untouched.

    Raises SerializationError naming the path for a value that cannot be sent, before anything
    is produced.
    """
    if not isinstance(message, dict):
        raise SerializationError(f"A message must be a dict, not {type(message).__name__}")
    return _Encoder(remote_is_trusted, sign_capability).encode(message)


class _Encoder:
    def __init__(self, remote_is_trusted: bool, sign_capability: CapabilitySigner | None) -> None:
        self.sign_capability = sign_capability
        self.objects: list[dict[str, Any]] = []
        self.media: list[tuple[str, Media]] = []
        self.capabilities: list[Capability] = []
        self.info = SerializationInfo(remote_is_trusted=remote_is_trusted)
        self.path: list[Any] = []
        self.open_containers: set[int] = set()

    def encode(self, message: dict[str, Any]) -> EncodedMessage:
        try:
            encoded = self.walk(message)
            if encoded is message:  # a plain message is not copied by the walk, but gets "objects" below
                encoded = dict(message)
            shared = self.info._to_wire()
            if shared:
                message_objects, self.objects = self.objects, []
                self.info._set_transmitted_available(False)
                self.path = ["vt_global"]
                encoded["vt_global"] = self.walk(shared)
                self.objects += message_objects
        except RecursionError:
            raise SerializationError(f"Cannot serialize a value nested this deeply at {repr_path(self.path)}") from None
        encoded["objects"] = self.objects
        return EncodedMessage(encoded, self.media, self.capabilities)

    def fail(self, reason: str) -> SerializationError:
        return SerializationError(f"{reason} at {repr_path(self.path)}")

    def add_entry(self, entry: dict[str, Any]) -> None:
        entry["path"] = list(self.path)
        self.objects.append(entry)

    def walk(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return value
        if kind is int:
            if scalars.fits_inline(value):
                return value
            return _LONG.encode(self, value)
        if kind is float:
            if math.isfinite(value):
                return value
            return _FLOAT.encode(self, value)
        if kind is dict or kind is list:
            try:
                if is_plain_json(value):  # nothing to describe below: sent as it is, not copied
                    return value
            except RecursionError:  # nested too deeply or containing itself: the walk says where
                pass
            return self.walk_dict(value) if kind is dict else self.walk_list(value)
        if kind is tuple:
            return self.walk_list(value)
        return self.walk_other(value)

    def enter(self, container: Any) -> None:
        key = id(container)
        if key in self.open_containers:
            raise self.fail("Cannot serialize a value that contains itself")
        self.open_containers.add(key)

    def walk_dict(self, value: dict[Any, Any]) -> dict[str, Any]:
        for key in value:
            if type(key) is not str:
                self.path.append(key)
                raise self.fail("Cannot serialize dictionaries with keys that aren't strings")
        self.enter(value)
        encoded: dict[str, Any] = {}
        path = self.path
        for key in sorted(value):
            path.append(key)
            encoded[key] = self.walk(value[key])
            path.pop()
        self.open_containers.discard(id(value))
        return encoded

    def walk_list(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        self.enter(value)
        encoded = []
        path = self.path
        for index, item in enumerate(value):
            path.append(index)
            encoded.append(self.walk(item))
            path.pop()
        self.open_containers.discard(id(value))
        return encoded

    def walk_other(self, value: Any) -> Any:
        for wire_type in ENCODE_BEFORE_NATIVES:
            if wire_type.accepts(value):
                return wire_type.encode(self, value)
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return self.walk(int(value))
        if isinstance(value, float):
            return self.walk(float(value))
        if isinstance(value, str):
            return str(value)
        if isinstance(value, dict):
            return self.walk_dict(value)
        if isinstance(value, (list, tuple)):
            return self.walk_list(value)
        for wire_type in ENCODE_AFTER_NATIVES:
            if wire_type.accepts(value):
                return wire_type.encode(self, value)
        return self.walk_foreign(value)

    def walk_foreign(self, value: Any) -> Any:
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(value, numpy.generic):
            return self.walk(value.item())
        if numpy is not None and isinstance(value, numpy.ndarray):
            return self.walk(value.tolist())
        raise self.fail(f"Cannot serialize {type(value)} object")
