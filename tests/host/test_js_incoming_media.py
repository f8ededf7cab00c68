"""js_bridge/frames.mjs in Node: an incoming message's media chunks are assembled into one buffer per item,
and a chunk that does not fit the stream becomes the reply's ``error`` (which Python raises as a
SerializationError) instead of hanging the call."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import { IncomingMessage } from "%s";
const message = { id: "c1", response: [null, null], objects: [
  { path: ["response", 0], type: ["DataMedia"], id: "a" }, { path: ["response", 1], type: ["DataMedia"], id: "b" }] };
const header = (mediaId, chunkIndex, lastChunk, requestId = "c1") => ({ type: "CHUNK_HEADER", requestId, mediaId, chunkIndex, lastChunk });
const feed = (frames) => {
  const incoming = new IncomingMessage(JSON.stringify(message), message);
  const states = [];
  for (const [h, bytes] of frames) { incoming.addFrame(JSON.stringify(h), h, new Uint8Array(bytes)); states.push(incoming.complete); }
  return { states, error: incoming.error,
           media: incoming.media && Object.fromEntries(Object.entries(incoming.media).map(([k, v]) => [k, Array.from(v)])) };
};
console.log(JSON.stringify({
  good: feed([[header("a", 0, false), [1, 2]], [header("b", 0, true), [9]], [header("a", 1, true), [3]]]),
  outOfOrder: feed([[header("a", 1, true), [1]], [header("b", 0, true), [2]]]),
  otherRequest: feed([[header("a", 0, true, "c2"), [1]], [header("b", 0, true), [2]]]),
  unknown: feed([[header("zz", 0, true), [1]]]),
  tooBig: feed([[header("a", 0, true), new Array(65537).fill(0)], [header("b", 0, true), []]]),
  none: new IncomingMessage("{}", { id: "c2", response: 1 }).complete,
}));
""" % (ROOT / "js_bridge" / "frames.mjs")


def test_media_assembly_and_framing_errors() -> None:
    result = subprocess.run(["node", "--input-type=module", "-e", SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["good"] == {"states": [False, False, True], "error": None, "media": {"a": [1, 2, 3], "b": [9]}}
    assert out["outOfOrder"]["states"] == [False, True]
    assert out["outOfOrder"]["error"] == 'Media "a": expected chunk 0, got chunk 1'
    assert out["otherRequest"]["error"] == 'Chunk for request "c2" sent to request "c1"'
    assert out["otherRequest"]["states"] == [False, True]
    assert out["unknown"] == {"states": [False], "error": 'Chunk for unknown media "zz"', "media": {}}
    assert out["tooBig"]["error"] == 'Media "a": a chunk of 65537 bytes is over 65536'
    assert out["tooBig"]["states"] == [False, True]
    assert out["none"] is True
