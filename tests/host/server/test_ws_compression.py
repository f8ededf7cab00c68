"""permessage-deflate on ``/_/ws``: JSON text is compressed, media chunks (binary frames) and short text (under
``MIN_COMPRESSED_BYTES``: the chunk headers) are not, and a client reads both on one connection (ws_deflate.py)."""

from __future__ import annotations

import json
import random
from typing import Any, Sequence

import pytest
import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory, PerMessageDeflate
from websockets.frames import Frame, Opcode

from anvil._wire import MediaAssembler, decode_message, media_ids
from anvil_pyodide.ws_deflate import MIN_COMPRESSED_BYTES
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


class RecordingDeflate(PerMessageDeflate):
    """The client's permessage-deflate, noting each received data frame's opcode, RSV1 (compressed) bit and
    length once decoded."""

    received: list[tuple[Opcode, bool, int]]

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        decoded = super().decode(frame, max_size=max_size)
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self.received.append((frame.opcode, frame.rsv1, len(decoded.data)))
        return decoded


class RecordingFactory(ClientPerMessageDeflateFactory):
    def __init__(self, frames: list[tuple[Opcode, bool, int]]) -> None:
        super().__init__(client_max_window_bits=True)
        self.frames = frames

    def process_response_params(self, params: Sequence[tuple[str, str | None]], accepted: Sequence[Any]) -> Any:
        deflate = super().process_response_params(params, accepted)
        recording = RecordingDeflate(deflate.remote_no_context_takeover, deflate.local_no_context_takeover,
                                     deflate.remote_max_window_bits, deflate.local_max_window_bits,
                                     deflate.compress_settings)
        recording.received = self.frames
        return recording


async def test_media_chunks_are_sent_uncompressed_and_json_compressed(server: LiveServer) -> None:
    frames: list[tuple[Opcode, bool, int]] = []
    length = 200_000  # four chunks
    async with websockets.connect(server.ws_url + "/_/ws", extensions=[RecordingFactory(frames)],
                                  max_size=None, proxy=None) as ws:
        await ws.send(json.dumps({"type": "CALL", "id": "c1", "command": "random_media", "args": [length, 7],
                                  "kwargs": {}, "objects": []}))
        while True:
            reply = json.loads(await ws.recv())
            if "response" in reply or "error" in reply:
                break
        assembler = MediaAssembler("c1", media_ids(reply))
        while not assembler.complete:
            header = json.loads(await ws.recv())
            assembler.add_chunk(header, await ws.recv())
        media = decode_message(reply, assembler.contents()).message["response"]
    assert media.get_bytes() == random.Random(7).randbytes(length)
    binary = [compressed for opcode, compressed, _ in frames if opcode is Opcode.BINARY]
    long_text = [compressed for opcode, compressed, size in frames if opcode is Opcode.TEXT and size >= MIN_COMPRESSED_BYTES]
    short_text = [compressed for opcode, compressed, size in frames if opcode is Opcode.TEXT and size < MIN_COMPRESSED_BYTES]
    assert len(binary) == 4 and not any(binary)
    assert long_text and all(long_text)  # the reply (its media description)
    assert len(short_text) == 4 and not any(short_text)  # the four chunk headers
