"""Types the browser, the server and the uplink scripts all use (imported under both ``anvil`` packages:
ours, and anvil-uplink's)."""

import anvil.server


@anvil.server.portable_class("uplink_shared.Box")
class Box:
    """A portable class sent as its ``__dict__``."""

    def __init__(self, label, items):
        self.label, self.items = label, items

    def __eq__(self, other):
        return isinstance(other, Box) and (self.label, self.items) == (other.label, other.items)

    def __repr__(self):
        return f"Box({self.label!r}, {self.items!r})"


class OutOfStock(anvil.server.AnvilWrappedError):
    """A custom exception registered on every side: it arrives as this class."""


anvil.server._register_exception_type("uplink_shared.OutOfStock", OutOfStock)
