import anvil.server
from shapes import Rectangle, TooBig

@anvil.server.callable
def area(rect):
    if rect.width * rect.height > 10_000:
        raise TooBig(f"{rect.width}x{rect.height} is too big")
    anvil.server.session["last"] = rect          # kept per browser session
    return rect.width * rect.height

@anvil.server.callable
def scaled(rect, factor):
    return Rectangle(rect.width * factor, rect.height * factor)
