"""permessage-deflate (RFC 7692) for ``/_/ws`` that compresses text messages only, and only those of at least
``MIN_COMPRESSED_BYTES``: binary messages (media chunks, usually images, PDFs or other already-compressed bytes)
and short text (a no-op call's reply, a media chunk's header) go out uncompressed.

Compressing 8 MB of media with zlib costs the server ~0.3 s of CPU (on the event loop's thread) and the
browser as long again to inflate, for no gain on compressed formats; JSON text still shrinks ~5×. A text
message of a few dozen bytes saves fewer bytes than its frame's TCP/IP headers cost, but costs a zlib flush
(~10 µs of the event loop's CPU, about a tenth of a no-op call's whole server cost). RFC 7692
lets a sender choose per message (the RSV1 bit of a message's first frame says whether it is compressed), so
a browser reads both kinds on one connection. Messages received are decoded as before, compressed or not.

Example:
    >>> from websockets.frames import Frame, Opcode
    >>> deflate = TextOnlyPerMessageDeflate(False, False, 12, 12, {"memLevel": 5})
    >>> media = deflate.encode(Frame(Opcode.BINARY, b"\\x00" * 1000))
    >>> media.rsv1, len(media.data)
    (False, 1000)
    >>> text = deflate.encode(Frame(Opcode.TEXT, b"a" * 1000))
    >>> text.rsv1, len(text.data) < 1000
    (True, True)
    >>> deflate.encode(Frame(Opcode.TEXT, b'{"id": "c1", "response": null, "objects": []}')).rsv1
    False
"""

from __future__ import annotations

from typing import Any, Sequence

from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode


#: Text messages shorter than this (in bytes, whole messages only) are sent uncompressed.
MIN_COMPRESSED_BYTES = 128


class TextOnlyPerMessageDeflate(PerMessageDeflate):
    """PerMessageDeflate whose outgoing binary messages (all their frames) and short text messages are sent as
    they are."""

    _sending_binary = False  # inside a fragmented binary message (its continuation frames pass too)

    def encode(self, frame: Frame) -> Frame:
        if frame.opcode is Opcode.BINARY or (frame.opcode is Opcode.CONT and self._sending_binary):
            self._sending_binary = not frame.fin
            return frame
        if frame.opcode is Opcode.TEXT and frame.fin and len(frame.data) < MIN_COMPRESSED_BYTES:
            return frame
        return super().encode(frame)


class TextOnlyDeflateFactory(ServerPerMessageDeflateFactory):
    """Negotiates permessage-deflate like websockets' server factory; the extension compresses text only."""

    def process_request_params(self, params: Sequence[tuple[str, str | None]],
                               accepted_extensions: Sequence[Extension]) -> tuple[list[tuple[str, str | None]], Any]:
        response, deflate = super().process_request_params(params, accepted_extensions)
        return response, TextOnlyPerMessageDeflate(
            deflate.remote_no_context_takeover, deflate.local_no_context_takeover,
            deflate.remote_max_window_bits, deflate.local_max_window_bits, deflate.compress_settings)
