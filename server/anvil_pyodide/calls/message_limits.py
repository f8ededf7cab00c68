"""How much work one received message may cost: its nesting depth, its ``objects`` entries (and so its
paths), the values in its ``vt_global``. Checked on every message of every peer, before it is decoded.

The reader (:mod:`.reader`) refuses a message over a limit with a ``SerializationError`` naming the
limit and its option: a CALL gets it as its reply, other messages close the socket or are dropped, as
their transport decides.

Example:
    >>> limits = MessageLimits(max_depth=3, max_objects=10)
    >>> limits.check('{"args": [1]}', {"args": [1]}) is None
    True
    >>> limits.check('{"args": [[[1]]]}', {"args": [[[1]]]})
    'the message is nested more than 3 levels deep (--max-message-depth)'
    >>> leading_fields('{"type": "CALL", "id": "c1", "args": [[[[' )
    {'type': 'CALL', 'id': 'c1'}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from json.decoder import scanstring
from typing import Any


_CONTAINERS = (dict, list)
_CONTAINER_SET = frozenset(_CONTAINERS)
_SPACE = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


@dataclass(frozen=True)
class MessageLimits:
    """The limits (defaults: ``ServerConfig``; options: ``anvil-pyodide serve --help``)."""

    #: Nesting levels of a message; also the longest path an ``objects`` entry may have.
    max_depth: int = 100
    #: Entries in a message's ``objects`` list, and values (at any depth) in its ``vt_global``.
    max_objects: int = 100_000

    @classmethod
    def of(cls, config: Any) -> "MessageLimits":
        """The limits a :class:`~anvil_pyodide.config.ServerConfig` sets."""
        return cls(config.max_message_depth, config.max_message_objects)

    def check(self, text: str, message: dict[str, Any]) -> str | None:
        """What ``message`` (parsed from ``text``) is over, or None. Costs at most a walk of its containers,
        and only when ``text`` has more brackets than the depth limit (and its other limits hold)."""
        entries = message.get("objects")
        if type(entries) is list and entries:
            if len(entries) > self.max_objects:
                return (f"the message has {len(entries):,} entries in 'objects', over the limit of "
                        f"{self.max_objects:,} (--max-message-objects)")
            for entry in entries:
                path = entry.get("path") if type(entry) is dict else None
                if type(path) is list and len(path) > self.max_depth:
                    return (f"an 'objects' entry has a path of {len(path):,} steps, over the limit of "
                            f"{self.max_depth} (--max-message-depth)")
        shared = message.get("vt_global")
        if type(shared) in _CONTAINERS and shared and count_values(shared, self.max_objects) > self.max_objects:
            return f"the message's 'vt_global' holds over {self.max_objects:,} values (--max-message-objects)"
        # The walk last: the checks above cost little and refuse the costliest messages before it.
        if text.count("[") + text.count("{") > self.max_depth and depth_over(message, self.max_depth):
            return f"the message is nested more than {self.max_depth} levels deep (--max-message-depth)"
        return None


#: What one JSON value costs once parsed, beyond its text, as counted against a connection's budget (a
#: Python int, str or list slot is tens of bytes: a parsed frame can cost many times its size).
BYTES_PER_VALUE = 64


def decoded_size(text: str) -> int:
    """A generous estimate of the memory ``text`` holds once parsed: its characters plus a cost per value
    (values are counted by their separators, in C: no walk).

    Example:
        >>> decoded_size('{"a": [1, 2, 3]}')
        272
    """
    return len(text) + BYTES_PER_VALUE * (text.count(",") + text.count(":") + 1)


def depth_over(value: Any, limit: int) -> bool:
    """True when ``value`` has containers nested more than ``limit`` deep (a JSON array or object is a level).

    Example:
        >>> depth_over([[1]], 2), depth_over([[[1]]], 2)
        (False, True)
    """
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for container in level:
            children = container.values() if type(container) is dict else container
            if _CONTAINER_SET.isdisjoint(map(type, children)):  # all scalars (the common case): a loop in C
                continue
            below += [c for c in children if type(c) in _CONTAINERS]
        level = below
    return False


def count_values(value: Any, stop_after: int) -> int:
    """The values inside ``value`` (at any depth); stops counting once past ``stop_after`` (a container's size is
    known without looking inside, so the work is at most ``stop_after`` values).

    Example:
        >>> count_values(["k", {"a": [1, 2]}], 100), count_values(list(range(1000)), 10)
        (5, 1000)
    """
    count, pending = 0, [value]
    while pending:
        container = pending.pop()
        children = container.values() if type(container) is dict else container
        count += len(children)
        if count > stop_after:
            break
        pending += [c for c in children if type(c) in _CONTAINERS]
    return count


def leading_fields(text: str) -> dict[str, Any]:
    """The top-level fields of a JSON object text that can be read before the first one that cannot (one
    nested too deeply, or malformed): enough to find a refused CALL's ``type`` and ``id``.

    Example:
        >>> leading_fields('{"id": "x", "deep": [[[') , leading_fields('[1]')
        ({'id': 'x'}, {})
    """
    fields: dict[str, Any] = {}
    at = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    if text[at:at + 1] != "{":
        return fields
    at += 1
    try:
        while True:
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            if text[at:at + 1] != '"':
                return fields
            key, at = scanstring(text, at + 1)
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            if text[at:at + 1] != ":":
                return fields
            at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
            value, at = _decoder.raw_decode(text, at)
            fields[key] = value
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            if text[at:at + 1] != ",":
                return fields
            at += 1
    except (ValueError, RecursionError):
        return fields
