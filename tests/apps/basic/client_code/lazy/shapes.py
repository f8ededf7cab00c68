"""Imported only when a caller sends a ``lazy.shapes.Square``: the server may import the app's own files."""

import anvil.server


@anvil.server.portable_class
class Square:
    def __init__(self, side):
        self.side = side
