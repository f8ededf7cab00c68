"""Types both sides use: a portable class and a custom exception."""

import anvil.server


@anvil.server.portable_class("browser_app.Point")
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return f"Point({self.x!r}, {self.y!r})"


class NotFound(anvil.server.AnvilWrappedError):
    pass


anvil.server._register_exception_type("browser_app.NotFound", NotFound)
