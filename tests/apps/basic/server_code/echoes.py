"""Value round trips: echo, media, portable classes."""

import hashlib
import random

import anvil
import anvil.server
from basic_shared import Point


@anvil.server.callable
def echo(*args, **kwargs):
    """Returns ``[args, kwargs]`` (args is a tuple: it arrives as a list)."""
    return [args, kwargs]


@anvil.server.callable
async def async_echo(value):
    return value


@anvil.server.callable
def describe(value):
    """The Python type of what arrived, and for Media its hash and details."""
    if isinstance(value, anvil.Media):
        data = value.get_bytes()
        return {"type": "Media", "sha256": hashlib.sha256(data).hexdigest(), "length": len(data),
                "content_type": value.content_type, "name": value.name}
    if isinstance(value, Point):
        return {"type": "Point", "x": value.x, "y": value.y}
    return {"type": type(value).__name__}


@anvil.server.callable
def random_media(length, seed):
    """``length`` pseudo-random bytes from ``seed`` (the test makes the same ones to compare)."""
    return anvil.BlobMedia("application/octet-stream", random.Random(seed).randbytes(length), name="random.bin")


@anvil.server.callable
def tricky_media():
    """Bytes that break text-based framing (CRLF, NUL, a fake boundary, invalid UTF-8), and the same as a list."""
    return [anvil.BlobMedia("application/octet-stream", TRICKY_BYTES, name="tricky.bin"), list(TRICKY_BYTES)]


TRICKY_BYTES = b"\r\n--boundary\r\n\x00\x00\xff\xfe\r\n\r\nContent-Length: 3\r\n" + bytes(range(256)) + b"\r\n"


@anvil.server.callable
def make_point(x, y):
    return Point(x, y)


@anvil.server.callable
def point_class():
    return Point


@anvil.server.callable
def unserializable():
    return {"ok": [1, 2], "bad": [1, {3, 4}]}


@anvil.server.portable_class
class Unsendable:
    """A portable class whose ``__serialize__`` fails (a bug in app code)."""

    def __serialize__(self, info):
        raise RuntimeError("cannot serialize me")


class UnreadableMedia(anvil.Media):
    """A Media whose content cannot be read (say, a file that vanished)."""

    def get_content_type(self):
        return "text/plain"

    def get_bytes(self):
        raise OSError("the file vanished")


@anvil.server.callable
def unsendable_portable():
    return {"ok": 1, "bad": [Unsendable()]}


@anvil.server.callable
def unreadable_media():
    return UnreadableMedia()
