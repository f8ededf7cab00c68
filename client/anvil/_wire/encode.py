"""Encoding: a Python message becomes JSON plus an ``objects`` list (docs/protocol.md, "Values on the wire").

Values JSON cannot hold are replaced by ``None`` and described by an entry whose ``path`` says
where they go. Media content is not inline: it follows the message as chunks.

Example:
    >>> import datetime as dt
    >>> enc = encode_message({"id": "c1", "args": [dt.date(2024, 5, 1), 2**40]})
    >>> enc.message["args"], [e["type"] for e in enc.message["objects"]]
    ([None, None], [['Date'], ['Long']])
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .._capability import Capability
from .._errors import SerializationError
from .._live_object import LiveObjectProxy
from .._media import Media
from .._portable import SerializationInfo, registered_name
from . import scalars
from .chunks import split_media
from .paths import repr_path


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
            self.add_entry({"type": ["Long"], "value": scalars.format_long(value)})
            return None
        if kind is float:
            if math.isfinite(value):
                return value
            self.add_entry({"type": ["Float"], "value": scalars.format_float(value)})
            return None
        if kind is dict:
            return self.walk_dict(value)
        if kind is list or kind is tuple:
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
        if isinstance(value, type):
            return self.walk_class(value)
        if hasattr(type(value), "SERIALIZATION_INFO"):  # before the natives: a portable class may subclass dict
            return self.walk_portable(value)
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
        if isinstance(value, dt.datetime):
            try:
                text = scalars.format_datetime(value)
            except ValueError as e:
                raise self.fail(f"Cannot serialize {value!r}: {e}") from None
            self.add_entry({"type": ["DateTime"], "value": text})
        elif isinstance(value, dt.date):
            self.add_entry({"type": ["Date"], "value": scalars.format_date(value)})
        elif isinstance(value, Media):
            self.add_media(value)
        elif isinstance(value, Capability):
            self.capabilities.append(value)
            if value._mac is None and self.sign_capability is not None:
                value._mac = self.sign_capability(value)
            entry = {"type": ["Capability"], "scope": value._base_scope, "mac": value._mac}
            if value._narrowing:
                entry["narrow"] = list(value._narrowing)
            self.add_entry(entry)
        elif isinstance(value, LiveObjectProxy):
            self.add_entry({**value._wire_spec(), "type": ["LiveObject"]})
        else:
            return self.walk_foreign(value)
        return None

    def add_media(self, media: Media) -> None:
        media_id = f"media-{len(self.media)}"
        self.media.append((media_id, media))
        self.add_entry({"type": ["DataMedia"], "id": media_id,
                        "mime-type": media.content_type, "name": media.name})

    def walk_class(self, cls: type) -> None:
        name = registered_name(cls)
        if name is None:
            raise self.fail(f"Type {cls.__qualname__} is not registered with @anvil.server.portable_class.")
        self.add_entry({"type": ["ClassType"], "typeName": name})
        return None

    def walk_portable(self, value: Any) -> Any:
        name = registered_name(type(value))
        if name is None:
            raise self.fail(f"Type {type(value).__qualname__} is not registered with @anvil.server.portable_class.")
        self.enter(value)
        self.info._set_default_key(name)
        serialize = getattr(value, "__serialize__", None)
        content = serialize(self.info) if serialize is not None else value.__dict__
        encoded = self.walk(content)
        self.open_containers.discard(id(value))
        self.add_entry({"type": ["ValueType"], "typeName": name})
        return encoded

    def walk_foreign(self, value: Any) -> Any:
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(value, numpy.generic):
            return self.walk(value.item())
        if numpy is not None and isinstance(value, numpy.ndarray):
            return self.walk(value.tolist())
        raise self.fail(f"Cannot serialize {type(value)} object")
