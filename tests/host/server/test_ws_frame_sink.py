"""The frame sink of ``/_/ws`` (transports/frame_sink.py, ws_protocol.py): whole messages go straight from the
protocol to the app while it takes them; a refused one, and every one behind it, go through ``receive`` in
order; the browser socket refuses what needs an ``await`` (a long frame parsed in a worker thread) and takes
nothing while it is handling such a frame, so a call's media chunks that follow it in the same burst are not
read before the call itself."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from anvil import BlobMedia
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from anvil_pyodide.calls.reader import PARSE_OFF_LOOP_CHARS
from anvil_pyodide.transports.frame_sink import FRAME_SINK_EXTENSION
from anvil_pyodide.ws_protocol import QuietWebSocketsProtocol
from tests.support.browser_protocol import BrowserClient
from tests.support.asgi_lifespan import answer_lifespan
from tests.support.live_server import LiveServer, free_port

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


class SinkApp:
    """Takes every message through the sink except "refuse"; logs how each one arrived; answers "ok" to "c"
    and to "d"."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.send: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await answer_lifespan(receive, send)
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        self.send = send
        scope["extensions"][FRAME_SINK_EXTENSION].take = self.take
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            self.note("receive", event.get("text", event.get("bytes")))

    def take(self, message: str | bytes) -> bool:
        if message == "refuse":
            return False
        self.note("take", message)
        return True

    def note(self, how: str, message: Any) -> None:
        self.log.append((how, message))
        if message in ("c", "d"):
            asyncio.get_running_loop().create_task(self.send({"type": "websocket.send", "text": "ok"}))


def frame_bytes(client: ClientProtocol, *messages: str | bytes) -> bytes:
    for message in messages:
        if isinstance(message, str):
            client.send_text(message.encode())
        else:
            client.send_binary(message)
    return b"".join(client.data_to_send())


async def test_taken_messages_skip_receive_and_a_refused_one_keeps_the_order_of_those_behind_it() -> None:
    app = SinkApp()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=QuietWebSocketsProtocol,
                                           log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/"))
        client.send_request(client.connect())
        writer.write(b"".join(client.data_to_send()))

        async def next_text() -> str:
            while True:
                events = client.events_received()
                texts = [event.data.decode() for event in events if isinstance(event, Frame)
                         and event.opcode == Opcode.TEXT]
                if texts:
                    return texts[0]
                data = await asyncio.wait_for(reader.read(65536), 30)
                assert data, "the server closed the connection"
                client.receive_data(data)
        while client.handshake_exc is None and client.state.name == "CONNECTING":
            client.receive_data(await asyncio.wait_for(reader.read(65536), 30))
        writer.write(frame_bytes(client, "a", "refuse", "b", b"\x01bin", "c"))  # one write: read in one go
        assert await next_text() == "ok"
        writer.write(frame_bytes(client, "d"))  # the queue is empty again: taken
        assert await next_text() == "ok"
        assert app.log == [("take", "a"), ("receive", "refuse"), ("receive", "b"), ("receive", b"\x01bin"),
                           ("receive", "c"), ("take", "d")]
        writer.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def test_media_sent_right_behind_a_long_call_is_read_after_the_call(server: LiveServer) -> None:
    long_text = "x" * (PARSE_OFF_LOOP_CHARS + 1000)  # its CALL frame is parsed in a worker thread
    data = bytes(range(256)) * 300
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("echo", "warm-up") == [["warm-up"], {}]  # the session is settled: the sink is in use
        for _ in range(3):
            ids = [await client.send_call("echo", BlobMedia("application/octet-stream", data, name="d.bin"), long_text)
                   for _ in range(2)]
            for call_id in ids:
                (media, text), _ = await client.outcome(call_id)
                assert media.get_bytes() == data and text == long_text
