"""Every value type survives a round trip through a server function over ``/_/ws``."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random

import pytest
from anvil import BlobMedia
from basic_shared import Point

from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

UTC = dt.timezone.utc
PLUS_0530 = dt.timezone(dt.timedelta(hours=5, minutes=30))
MINUS_0800 = dt.timezone(dt.timedelta(hours=-8))

#: (value, the Python type name the server function sees)
VALUES = [
    (None, "NoneType"), (True, "bool"), (False, "bool"), (0, "int"), (-7, "int"),
    (2147483647, "int"), (-2147483647, "int"), (1.5, "float"), (-0.25, "float"), (1e300, "float"),
    ("", "str"), ("héllo ☃ \U0001f600 \x00 \"quoted\" \\", "str"),
    ([1, [2, [3, []]]], "list"), ({"a": {"b": [None, {}]}, "": 1}, "dict"),
    (2147483648, "int"), (-2147483648, "int"), (2 ** 63, "int"), (-(10 ** 30), "int"),
    (dt.date(2024, 2, 29), "date"), (dt.date(1, 1, 1), "date"),
    (dt.datetime(2024, 5, 1, 12, 0, 0, 1, tzinfo=UTC), "datetime"),
    (dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=PLUS_0530), "datetime"),
    (dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=MINUS_0800), "datetime"),
    ({"when": dt.date(2024, 1, 2), "big": [2 ** 40, {"deep": 2 ** 41}], "plain": "x"}, "dict"),
]


@pytest.mark.parametrize("value, server_type", VALUES, ids=[repr(v)[:40] for v, _ in VALUES])
async def test_value_round_trips(server: LiveServer, value: object, server_type: str) -> None:
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("describe", value) == {"type": server_type}
        args, kwargs = await client.call("echo", value, named=value)
        assert args == [value] and kwargs == {"named": value}
        assert await client.call("async_echo", value) == value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
async def test_non_finite_floats_round_trip(server: LiveServer, value: float) -> None:
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("describe", value) == {"type": "float"}
        [[back], _] = await client.call("echo", value)
        assert type(back) is float
        assert math.isnan(back) if math.isnan(value) else back == value


async def test_aware_datetimes_keep_their_offset(server: LiveServer) -> None:
    when = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=PLUS_0530)
    async with BrowserClient(server.ws_url) as client:
        [[back], _] = await client.call("echo", when)
    assert back == when and back.utcoffset() == when.utcoffset() and back.microsecond == 123456


async def test_tuples_arrive_as_lists(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        # echo returns [args, kwargs] with args a tuple: that comes back as a list too.
        assert await client.call("echo", (1, (2, 3)), t=("a",)) == [[[1, [2, 3]]], {"t": ["a"]}]
        assert await client.call("describe", (1, 2)) == {"type": "list"}


@pytest.mark.parametrize("size", [0, 1, 65536, 65537, 3 * 1024 * 1024 + 5])
async def test_media_up_and_down_is_byte_exact(server: LiveServer, size: int) -> None:
    data = random.Random(size).randbytes(size)
    media = BlobMedia("image/png", data, name=f"file-{size}.png")
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("describe", media) == {
            "type": "Media", "sha256": hashlib.sha256(data).hexdigest(), "length": size,
            "content_type": "image/png", "name": f"file-{size}.png"}
        down = await client.call("random_media", size, seed=size + 1)
        assert down.get_bytes() == random.Random(size + 1).randbytes(size)
        assert (down.content_type, down.name) == ("application/octet-stream", "random.bin")
        [[back], _] = await client.call("echo", media)
        assert back.get_bytes() == data and (back.content_type, back.name) == ("image/png", f"file-{size}.png")


async def test_several_media_in_one_call_each_arrive_intact(server: LiveServer) -> None:
    files = [BlobMedia("text/plain", bytes([i]) * (70000 + i), name=f"f{i}") for i in range(3)]
    async with BrowserClient(server.ws_url) as client:
        [[back], _] = await client.call("echo", {"files": files, "first": files[0]})
        tricky, tricky_bytes = await client.call("tricky_media")
    assert [m.get_bytes() for m in back["files"]] == [f.get_bytes() for f in files]
    assert back["first"].get_bytes() == files[0].get_bytes()
    assert tricky.get_bytes() == bytes(tricky_bytes)


async def test_portable_classes_cross_both_ways(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        made = await client.call("make_point", 1, 2)
        assert type(made) is Point and (made.x, made.y) == (1, 2)
        assert await client.call("describe", Point(3, dt.date(2024, 1, 1))) == {
            "type": "Point", "x": 3, "y": dt.date(2024, 1, 1)}
        nested = Point(Point(1, 2), [Point(3, 4), {"p": Point(5, 6)}])
        [[back], _] = await client.call("echo", nested)
        assert back == nested and type(back.y[1]["p"]) is Point
        assert await client.call("point_class") is Point
