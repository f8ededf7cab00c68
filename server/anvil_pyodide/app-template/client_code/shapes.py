import anvil.server

@anvil.server.portable_class
class Rectangle:
    def __init__(self, width, height):
        self.width, self.height = width, height

class TooBig(anvil.server.AnvilWrappedError):
    pass

anvil.server._register_exception_type("shapes.TooBig", TooBig)
