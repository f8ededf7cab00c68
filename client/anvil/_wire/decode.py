"""Decoding: a received message and its ``objects`` list become Python values again.

Decoding is all-or-nothing: the received message is never modified, and a malformed one (bad
path, unknown type, bad value text, wrong shapes) raises SerializationError naming the path,
never another exception and never a partly-built result.

Example:
    >>> msg = {"id": "c1", "response": [None], "objects": [{"path": ["response", 0], "type": ["Long"], "value": "12345678901"}]}
    >>> decode_message(msg).message
    {'id': 'c1', 'response': [12345678901]}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .._capability import Capability
from .._errors import AnvilWrappedError, SerializationError
from .._live_object import LiveObjectProxy
from .._media import BlobMedia
from .._portable import SerializationInfo, lookup_portable_class
from . import scalars
from .paths import is_valid_path, repr_path

#: Called with a module name when a portable type is unknown; may import it (the server allows only app modules).
ModuleImporter = Callable[[str], None]
#: Called for every received Capability; raises to refuse it (the server checks the MAC).
CapabilityCheck = Callable[[Capability], None]


@dataclass
class DecodedMessage:
    """The decoded message (without ``objects``) and the capabilities that arrived in it."""

    message: dict[str, Any]
    capabilities: list[Capability] = field(default_factory=list)


def media_ids(message: Any) -> list[str]:
    """The ids of the media whose chunks must arrive before ``message`` can be decoded."""
    return [entry["id"] for entry in _entries(message) if _first_known_type(entry) == "DataMedia"]


def decode_message(message: Any, media: Mapping[str, bytes] | None = None, *, remote_is_trusted: bool = False,
                   import_module: ModuleImporter | None = None,
                   check_capability: CapabilityCheck | None = None) -> DecodedMessage:
    """Rebuild the values of a received message; ``media`` maps media ids to their received bytes."""
    return _Decoder(message, media or {}, remote_is_trusted, import_module, check_capability).decode()


_KNOWN_TYPES = ("DataMedia", "Capability", "LiveObject", "Date", "DateTime", "Long", "Float", "Primitive",
                "ValueType", "ClassType")


def _entries(message: Any) -> list[dict[str, Any]]:
    if not isinstance(message, dict):
        raise SerializationError(f"Malformed message: expected an object, got {type(message).__name__}")
    entries = message.get("objects", [])
    if type(entries) is not list:
        raise SerializationError("Malformed message: 'objects' must be a list")
    for entry in entries:
        if type(entry) is not dict:
            raise SerializationError("Malformed message: each 'objects' entry must be an object")
        if not is_valid_path(entry.get("path")):
            raise SerializationError(f"Malformed object description: bad path {entry.get('path')!r}")
        types = entry.get("type")
        if type(types) is not list or not types or not all(type(t) is str for t in types):
            raise SerializationError(f"Malformed object description: bad type {types!r} at {repr_path(entry['path'])}")
        if _first_known_type(entry) == "DataMedia" and type(entry.get("id")) is not str:
            raise SerializationError(f"Malformed Media description: id must be a str at {repr_path(entry['path'])}")
    return entries


def _first_known_type(entry: dict[str, Any]) -> str | None:
    return next((t for t in entry["type"] if t in _KNOWN_TYPES), None)


class _Decoder:
    def __init__(self, message: Any, media: Mapping[str, bytes], remote_is_trusted: bool,
                 import_module: ModuleImporter | None, check_capability: CapabilityCheck | None) -> None:
        self.entries = _entries(message)
        self.media = media
        self.import_module = import_module
        self.check_capability = check_capability
        self.capabilities: list[Capability] = []
        # A sender may leave out a LiveObject's "methods" after the first object of that backend.
        self.live_object_methods: dict[str, Any] = {}
        self.root = {k: v for k, v in message.items() if k != "objects"}
        # Containers already copied from the received message (kept alive so ids stay unique).
        self.private: dict[int, Any] = {id(self.root): self.root}
        if "vt_global" in self.root:
            self.root["vt_global"] = self.make_private(copy.deepcopy(self.root["vt_global"]))
        self.info = SerializationInfo(self.root.get("vt_global"), remote_is_trusted=remote_is_trusted)

    def make_private(self, value: Any) -> Any:
        """Record every container inside a fresh deep copy as ours to modify."""
        if type(value) in (dict, list):
            self.private[id(value)] = value
            for child in (value.values() if type(value) is dict else value):
                self.make_private(child)
        return value

    def decode(self) -> DecodedMessage:
        for entry in self.entries:
            path = entry["path"]
            try:
                self.apply(entry)
            except AnvilWrappedError:  # SerializationError, or a refused Capability's InvalidObjectError
                raise
            except RecursionError:
                raise SerializationError(f"Cannot deserialize a value nested this deeply at {repr_path(path)}") from None
            except Exception as e:
                raise SerializationError(f"Cannot deserialize {entry['type'][0]} at {repr_path(path)}: {e}") from e
        return DecodedMessage(self.root, self.capabilities)

    def slot(self, path: list[Any]) -> tuple[Any, Any]:
        """The (container, key) a path points at, copying each container on the way the first time."""
        container = self.root
        for depth, key in enumerate(path):
            if type(container) is dict:
                found = type(key) is str and key in container
            elif type(container) is list:
                found = type(key) is int and key < len(container)
            else:
                found = False
            if not found:
                raise SerializationError(f"Malformed object description: no such place as {repr_path(path[:depth + 1])}")
            if depth == len(path) - 1:
                return container, key
            child = container[key]
            if type(child) in (dict, list) and id(child) not in self.private:
                child = child.copy()
                self.private[id(child)] = child
                container[key] = child
            container = child
        raise SerializationError("Malformed object description: empty path")

    def apply(self, entry: dict[str, Any]) -> None:
        path = entry["path"]
        kind = _first_known_type(entry)
        if kind is None:
            raise SerializationError(f"Cannot deserialize an object of type {entry['type'][0]!r} at {repr_path(path)}")
        container, key = self.slot(path)
        if kind == "ValueType":
            container[key] = self.rebuild_portable(entry, container[key])
        else:
            container[key] = getattr(self, "rebuild_" + kind)(entry)

    def field(self, entry: dict[str, Any], name: str, kind: type) -> Any:
        value = entry.get(name)
        if type(value) is not kind:
            raise SerializationError(f"Malformed {_first_known_type(entry)} description: bad {name!r} "
                                     f"{value!r} at {repr_path(entry['path'])}")
        return value

    def rebuild_Long(self, entry: dict[str, Any]) -> int:
        return scalars.parse_long(entry.get("value"))

    def rebuild_Float(self, entry: dict[str, Any]) -> float:
        return scalars.parse_float(entry.get("value"))

    def rebuild_Date(self, entry: dict[str, Any]) -> Any:
        return scalars.parse_date(entry["value"]) if entry.get("value") not in (None, "") else None

    def rebuild_DateTime(self, entry: dict[str, Any]) -> Any:
        return scalars.parse_datetime(entry["value"]) if entry.get("value") not in (None, "") else None

    def rebuild_Primitive(self, entry: dict[str, Any]) -> Any:
        value = entry.get("value")
        if value is not None and type(value) not in (str, int, float, bool):
            raise SerializationError(f"Malformed Primitive at {repr_path(entry['path'])}")
        return value

    def rebuild_DataMedia(self, entry: dict[str, Any]) -> BlobMedia:
        media_id = entry["id"]
        if media_id not in self.media:
            raise SerializationError(f"Media {media_id!r} at {repr_path(entry['path'])} was never received")
        content_type = entry.get("mime-type")
        name = entry.get("name")
        if content_type is not None and type(content_type) is not str or name is not None and type(name) is not str:
            raise SerializationError(f"Malformed Media description at {repr_path(entry['path'])}")
        return BlobMedia(content_type or "application/octet-stream", self.media[media_id], name=name)

    def rebuild_Capability(self, entry: dict[str, Any]) -> Capability:
        scope = self.field(entry, "scope", list)
        narrowing = entry.get("narrow") or []
        if type(narrowing) is not list:
            raise SerializationError(f"Malformed Capability description: bad 'narrow' at {repr_path(entry['path'])}")
        capability = Capability(scope, entry.get("mac"), narrowing)
        if self.check_capability is not None:
            self.check_capability(capability)
        self.capabilities.append(capability)
        return capability

    def rebuild_LiveObject(self, entry: dict[str, Any]) -> LiveObjectProxy:
        backend = self.field(entry, "backend", str)
        self.field(entry, "id", str)
        spec = copy.deepcopy(entry)
        if spec.get("methods") is not None:
            self.live_object_methods[backend] = spec["methods"]
        elif backend in self.live_object_methods:
            spec["methods"] = copy.deepcopy(self.live_object_methods[backend])
        return LiveObjectProxy(spec)

    def portable_class(self, entry: dict[str, Any]) -> type:
        name = self.field(entry, "typeName", str)
        cls = lookup_portable_class(name)
        if cls is None and self.import_module is not None and "." in name:
            self.import_module(name.rsplit(".", 1)[0])
            cls = lookup_portable_class(name)
        if cls is None:
            raise SerializationError(f"No such serializable type: {name} at {repr_path(entry['path'])}")
        return cls

    def rebuild_ClassType(self, entry: dict[str, Any]) -> type:
        return self.portable_class(entry)

    def rebuild_portable(self, entry: dict[str, Any], content: Any) -> Any:
        cls = self.portable_class(entry)
        self.info._set_transmitted_available(entry["path"][0] != "vt_global")
        self.info._set_default_key(entry["typeName"])
        new_deserialized = getattr(cls, "__new_deserialized__", None)
        if new_deserialized is not None:
            return new_deserialized(content, self.info)
        obj = cls.__new__(cls)
        deserialize = getattr(obj, "__deserialize__", None)
        if deserialize is not None:
            deserialize(content, self.info)
        elif isinstance(content, dict):
            obj.__dict__.update(content)
        else:
            raise SerializationError(f"Cannot deserialize {entry['typeName']} from a {type(content).__name__} "
                                     f"(it has no __deserialize__) at {repr_path(entry['path'])}")
        return obj
