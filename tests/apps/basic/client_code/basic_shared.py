"""Types both sides of the test app use: written once, in client_code, imported by server code too."""

import anvil.server


@anvil.server.portable_class
class Point:
    """A portable class sent as its ``__dict__``."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return f"Point({self.x!r}, {self.y!r})"


class OutOfStock(anvil.server.AnvilWrappedError):
    """A custom exception that arrives at the caller as this class."""


anvil.server._register_exception_type("basic_shared.OutOfStock", OutOfStock)
