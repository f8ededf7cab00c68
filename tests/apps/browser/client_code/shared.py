"""Types both sides use: portable classes and a custom exception."""

import anvil.server


@anvil.server.portable_class("browser_app.Point")
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return f"Point({self.x!r}, {self.y!r})"


@anvil.server.portable_class("browser_app.Tag")
class Tag:
    """Its name travels once per message, in the message's shared data (``vt_global``); the object as an index."""

    def __init__(self, name):
        self.name = name

    def __serialize__(self, info):
        shared, _ = info.shared_data()
        names = shared.setdefault("names", [])
        if self.name not in names:
            names.append(self.name)
        return names.index(self.name)

    @classmethod
    def __new_deserialized__(cls, index, info):
        shared, _ = info.shared_data()
        return cls(shared["names"][index])

    def __eq__(self, other):
        return type(other) is Tag and self.name == other.name


class NotFound(anvil.server.AnvilWrappedError):
    pass


anvil.server._register_exception_type("browser_app.NotFound", NotFound)
