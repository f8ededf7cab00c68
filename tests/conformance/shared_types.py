"""Portable classes and a custom exception defined identically for both codecs under test.

This module is imported by the host tests (with our ``anvil`` package) and by ``uplink_peer.py``
(with anvil-uplink's ``anvil`` package). Both packages provide ``anvil.server.portable_class``,
``AnvilWrappedError`` and ``_register_exception_type`` with the same meaning, so the classes below
are registered under the same names on both sides: the default name of an undecorated-name class
is ``shared_types.<Class>`` in both interpreters because both import this file as ``shared_types``.

Only plain attributes are used, so a rebuilt instance's ``__dict__`` is its whole state.
"""

from __future__ import annotations

from typing import Any

import anvil.server


@anvil.server.portable_class
class Point:
    """Default registration name (``shared_types.Point``); sent as its ``__dict__``."""

    def __init__(self, x: Any, y: Any) -> None:
        self.x = x
        self.y = y


class SubPoint(Point):
    """Not registered itself: sending one must be refused by both codecs."""


@anvil.server.portable_class("conformance.Money")
class Money:
    """Explicit registration name; ``amount`` may be a Long."""

    def __init__(self, amount: int, currency: str) -> None:
        self.amount = amount
        self.currency = currency


@anvil.server.portable_class("conformance.Temperature")
class Temperature:
    """Custom ``__serialize__`` / ``__deserialize__``: travels as a one-element list."""

    def __init__(self, kelvin: float) -> None:
        self.kelvin = kelvin

    def __serialize__(self, info: Any) -> list[Any]:
        return [self.kelvin]

    def __deserialize__(self, data: list[Any], info: Any) -> None:
        self.kelvin = data[0]


@anvil.server.portable_class("conformance.Version")
class Version:
    """Rebuilt through ``__new_deserialized__`` (which runs ``__init__``)."""

    def __init__(self, major: int, minor: int) -> None:
        self.major = major
        self.minor = minor
        self.label = f"{major}.{minor}"

    def __serialize__(self, info: Any) -> list[int]:
        return [self.major, self.minor]

    @classmethod
    def __new_deserialized__(cls, data: list[int], info: Any) -> "Version":
        return cls(data[0], data[1])


@anvil.server.portable_class("conformance.Line")
class Line:
    """A portable instance holding portable instances."""

    def __init__(self, start: Point, end: Point) -> None:
        self.start = start
        self.end = end


@anvil.server.portable_class("conformance.Account")
class Account:
    """A portable instance whose content needs ``objects`` entries of its own (Long, Date, Media...)."""

    def __init__(self, owner: str, balance: Money, opened: Any, statement: Any) -> None:
        self.owner = owner
        self.balance = balance
        self.opened = opened
        self.statement = statement


@anvil.server.portable_class("conformance.Measure")
class Measure:
    """Uses ``info.shared_data()``: the unit travels once per message in ``vt_global``."""

    def __init__(self, value: float, unit: str) -> None:
        self.value = value
        self.unit = unit

    def __serialize__(self, info: Any) -> dict[str, Any]:
        transmitted, _local = info.shared_data()
        transmitted["unit"] = self.unit
        return {"value": self.value}

    def __deserialize__(self, data: dict[str, Any], info: Any) -> None:
        transmitted, _local = info.shared_data()
        self.value = data["value"]
        self.unit = transmitted["unit"]


@anvil.server.portable_class("conformance.GlobalMeasure")
class GlobalMeasure:
    """Uses the message-wide ``shared_data("GLOBAL")``: ``vt_global`` then travels as a plain dict,
    here holding a Date, so ``objects`` has entries under ``vt_global`` too."""

    def __init__(self, value: float, unit: str, calibrated: Any) -> None:
        self.value = value
        self.unit = unit
        self.calibrated = calibrated

    def __serialize__(self, info: Any) -> dict[str, Any]:
        transmitted, _local = info.shared_data("GLOBAL")
        transmitted["unit"] = self.unit
        transmitted["calibrated"] = self.calibrated
        return {"value": self.value}

    def __deserialize__(self, data: dict[str, Any], info: Any) -> None:
        transmitted, _local = info.shared_data("GLOBAL")
        self.value = data["value"]
        self.unit = transmitted["unit"]
        self.calibrated = transmitted["calibrated"]


@anvil.server.portable_class("conformance.Tags")
class Tags(dict):
    """A portable class that is also a dict: it must travel as a ValueType, not as a plain dict."""

    def __serialize__(self, info: Any) -> dict[str, Any]:
        return dict(self)

    def __deserialize__(self, data: dict[str, Any], info: Any) -> None:
        self.update(data)


class ItemMissing(anvil.server.AnvilWrappedError):
    """A custom exception both sides register under one name."""


anvil.server._register_exception_type("conformance.ItemMissing", ItemMissing)


class Unshared(Exception):
    """An exception nobody registers: it must arrive as ``AnvilWrappedError`` named ``Unshared``."""
