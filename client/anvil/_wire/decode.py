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
from .._portable import SerializationInfo
from .paths import is_valid_path, repr_path
from .types import WIRE_TYPES, carries_media, first_known_type

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
    return [entry["id"] for entry in _entries(message) if carries_media(entry)]


def decode_message(message: Any, media: Mapping[str, bytes] | None = None, *, remote_is_trusted: bool = False,
                   import_module: ModuleImporter | None = None,
                   check_capability: CapabilityCheck | None = None, owned: bool = False) -> DecodedMessage:
    """Rebuild the values of a received message; ``media`` maps media ids to their received bytes.

    ``owned``: the caller gives the message up (e.g. fresh from ``marshal.loads``), so its containers are filled
    in place instead of copied first; after an error it may be part-decoded (only the error is reported).
    """
    return _Decoder(message, media or {}, remote_is_trusted, import_module, check_capability, owned).decode()


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
        if type(types) is not list or not types or not _all_str(types):
            raise SerializationError(f"Malformed object description: bad type {types!r} at {repr_path(entry['path'])}")
        if types[0] not in _SCALAR_TYPES and carries_media(entry) and type(entry.get("id")) is not str:
            raise SerializationError(f"Malformed Media description: id must be a str at {repr_path(entry['path'])}")
    return entries


#: Types whose entries never carry media (a first type the codec knows: no need to look further).
_SCALAR_TYPES = frozenset({"Date", "DateTime", "Long", "Float"})


def _all_str(items: list[Any]) -> bool:
    for item in items:
        if type(item) is not str:
            return False
    return True


class _Decoder:
    def __init__(self, message: Any, media: Mapping[str, bytes], remote_is_trusted: bool,
                 import_module: ModuleImporter | None, check_capability: CapabilityCheck | None,
                 owned: bool = False) -> None:
        self.entries = _entries(message)
        self.owned = owned
        self.media = media
        self.import_module = import_module
        self.check_capability = check_capability
        self.capabilities: list[Capability] = []
        # A sender may leave out a LiveObject's "methods" after the first object of that backend.
        self.live_object_methods: dict[str, Any] = {}
        if owned:
            message.pop("objects", None)
            self.root = message
        else:
            self.root = {k: v for k, v in message.items() if k != "objects"}
        # Containers already copied from the received message (kept alive so ids stay unique).
        self.private: dict[int, Any] = {id(self.root): self.root}
        if "vt_global" in self.root:
            shared = self.root["vt_global"]  # (usually empty: a new one costs less than a deep copy)
            fresh = type(shared)() if type(shared) in (list, dict) and not shared else copy.deepcopy(shared)
            self.root["vt_global"] = self.make_private(fresh)
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
            if not self.owned and type(child) in (dict, list) and id(child) not in self.private:
                child = child.copy()
                self.private[id(child)] = child
                container[key] = child
            container = child
        raise SerializationError("Malformed object description: empty path")

    def apply(self, entry: dict[str, Any]) -> None:
        path = entry["path"]
        kind = first_known_type(entry)
        if kind is None:
            raise SerializationError(f"Cannot deserialize an object of type {entry['type'][0]!r} at {repr_path(path)}")
        container, key = self.slot(path)
        container[key] = WIRE_TYPES[kind].decode(self, entry, container[key])

    def field(self, entry: dict[str, Any], name: str, kind: type) -> Any:
        """``entry[name]`` when it is of type ``kind``; otherwise SerializationError naming the entry's type."""
        value = entry.get(name)
        if type(value) is not kind:
            raise SerializationError(f"Malformed {first_known_type(entry)} description: bad {name!r} "
                                     f"{value!r} at {repr_path(entry['path'])}")
        return value
