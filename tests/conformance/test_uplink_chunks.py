"""Media chunk framing against anvil-uplink 0.7.0 (docs/protocol.md, "Media").

anvil-uplink's chunk stream (``_serialise.serialise``) goes through our ``MediaAssembler``; ours
goes through anvil-uplink's ``process_blob_header``/``process_blob`` into ``IncomingReqResp`` and
``StreamingMedia``. (``test_uplink_wire.py`` also checks both streams are byte-for-byte equal.)
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

import anvil
import conformance_cases as cc
from anvil._wire import MAX_CHUNK_BYTES, MediaAssembler, encode_message, media_ids, split_media
from conformance_host import (Frame, PeerError, UplinkPeer, frames_from_wire, frames_to_wire, our_encode,
                              over_the_wire)

MEDIA_CASES = [name for name in cc.CASES if name.startswith("media_")]
HEADER_KEYS = {"type", "requestId", "mediaId", "chunkIndex", "lastChunk"}


def _media_payloads(value: Any) -> list[bytes]:
    """The bytes of every Media in ``value``, in the order encoders walk it (dict keys sorted)."""
    if isinstance(value, dict):
        return [data for key in sorted(value) for data in _media_payloads(value[key])]
    if isinstance(value, (list, tuple)):
        return [data for item in value for data in _media_payloads(item)]
    return [value.get_bytes()] if isinstance(value, anvil.Media) else []


@pytest.mark.parametrize("case", MEDIA_CASES)
def test_uplink_chunk_stream_feeds_our_assembler(uplink: UplinkPeer, case: str) -> None:
    """Every anvil-uplink frame is a well-formed CHUNK_HEADER + ≤64 KiB of data, numbered from 0 per
    media item, and our MediaAssembler rebuilds each item's bytes exactly."""
    sent = uplink.request("encode", case=case)
    message, frames = sent["message"], frames_from_wire(sent["frames"])
    payloads = _media_payloads(cc.build_value(case))
    ids = media_ids(message)
    assert len(ids) == len(payloads)

    for media_id, payload in zip(ids, payloads):
        own = [(h, d) for h, d in frames if h["mediaId"] == media_id]
        assert all(set(h) == HEADER_KEYS and h["type"] == "CHUNK_HEADER" and h["requestId"] == message["id"]
                   for h, _ in own)
        assert [h["chunkIndex"] for h, _ in own] == list(range(max(1, -(-len(payload) // MAX_CHUNK_BYTES))))
        assert [h["lastChunk"] for h, _ in own] == [False] * (len(own) - 1) + [True]
        assert all(len(d) <= MAX_CHUNK_BYTES for _, d in own)

    assembler = MediaAssembler(message["id"], ids)
    for header, data in frames:
        assert not assembler.complete
        assembler.add_chunk(header, data)
    assert assembler.complete
    contents = assembler.contents()
    assert [hashlib.sha256(contents[i]).hexdigest() for i in ids] == [hashlib.sha256(p).hexdigest() for p in payloads]


def _reframe(message: dict[str, Any], payloads: list[bytes], chunk_size: int) -> list[Frame]:
    frames: list[Frame] = []
    for media_id, payload in zip(media_ids(message), payloads):
        frames += split_media(message["id"], media_id, payload, chunk_size)
    return frames


def test_our_small_chunks_feed_uplink_streaming_media(uplink: UplinkPeer) -> None:
    """anvil-uplink's StreamingMedia accepts any chunk size up to 64 KiB, not only full chunks."""
    value = cc.build_value("media_several")
    encoded = encode_message({"id": "small-chunks", "response": value})
    message = over_the_wire(encoded.message)
    frames = _reframe(message, _media_payloads(value), chunk_size=1000)
    assert len(frames) > 100
    got = uplink.request("decode", message=message, frames=frames_to_wire(frames))
    assert got["value"] == cc.canonical(value)


def test_zero_length_final_chunk_accepted_by_both(uplink: UplinkPeer) -> None:
    """A zero-length final chunk is legal: 65536 bytes sent as a full chunk plus an empty last one."""
    payload = cc.pseudo_random_bytes(65536)
    value = anvil.BlobMedia("application/octet-stream", payload, name="x.bin")
    message, _ = our_encode({"id": "zero-final", "response": value})
    (media_id,) = media_ids(message)
    frames = [({"type": "CHUNK_HEADER", "requestId": "zero-final", "mediaId": media_id, "chunkIndex": 0,
                "lastChunk": False}, payload),
              ({"type": "CHUNK_HEADER", "requestId": "zero-final", "mediaId": media_id, "chunkIndex": 1,
                "lastChunk": True}, b"")]
    got = uplink.request("decode", message=message, frames=frames_to_wire(frames))
    assert got["value"] == cc.canonical(value)

    assembler = MediaAssembler("zero-final", [media_id])
    for header, data in frames:
        assembler.add_chunk(header, data)
    assert assembler.contents() == {media_id: payload}


def test_incomplete_media_leaves_the_message_pending_on_both_sides(uplink: UplinkPeer) -> None:
    """Without its last chunk a message is not ready: anvil-uplink does not execute it, and our
    MediaAssembler does not report it complete."""
    message, frames = our_encode({"id": "incomplete", "response": cc.build_value("media_65537")})
    assert len(frames) == 2
    with pytest.raises(PeerError, match="did not consider the message complete"):
        uplink.request("decode", message=message, frames=frames_to_wire(frames[:-1]))

    assembler = MediaAssembler("incomplete", media_ids(message))
    assembler.add_chunk(*frames[0])
    assert not assembler.complete and assembler.contents() == {}
