// js_bridge/frames.mjs: the multipart reader of /_/server-call-http replies, chunk collection, the call form.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { IncomingMessage, MAX_CHUNK_BYTES, boundaryOf, callForm, concat, isFinal, mediaCount, messagesFromParts, parseParts } from "../../js_bridge/frames.mjs";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function body(boundary, parts, { closing = true } = {}) {
  const chunks = [];
  for (const [type, content] of parts) {
    const bytes = typeof content === "string" ? encoder.encode(content) : content;
    chunks.push(encoder.encode(`--${boundary}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes, encoder.encode("\r\n"));
  }
  if (closing) chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

describe("parseParts", () => {
  test("reads each part by its Content-Length, even when the bytes contain the boundary and CRLFs", () => {
    const tricky = encoder.encode("\r\n--B\r\nContent-Type: x\r\n\r\n--B--\r\n");
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    const parts = parseParts(body("B", [["application/json", '{"a":1}'], ["application/octet-stream", tricky],
      ["application/octet-stream", binary], ["application/octet-stream", new Uint8Array(0)]]), "B");
    assert.deepEqual(parts.map((p) => p.type), ["application/json", "application/octet-stream", "application/octet-stream", "application/octet-stream"]);
    assert.equal(decoder.decode(parts[0].body), '{"a":1}');
    assert.deepEqual([...parts[1].body], [...tricky]);
    assert.deepEqual([...parts[2].body], [...binary]);
    assert.equal(parts[3].body.length, 0);
  });

  test("an empty reply (only the closing boundary) has no parts", () => {
    assert.deepEqual(parseParts(encoder.encode("--B--\r\n"), "B"), []);
  });

  test("a malformed body throws instead of returning garbage", () => {
    assert.throws(() => parseParts(encoder.encode("garbage"), "B"), /malformed response: no boundary at byte 0/);
    assert.throws(() => parseParts(encoder.encode("--B\r\nContent-Type: x\r\n"), "B"), /unterminated part headers/);
    assert.throws(() => parseParts(body("B", [["x", "1"]]), "OTHER"), /no boundary at byte 0/);
    assert.throws(() => parseParts(body("B", [["x", "1"]], { closing: false }), "B"), /no boundary at byte/);
  });
});

describe("messagesFromParts", () => {
  test("groups chunk headers and their bytes under the message whose media they carry", () => {
    const media = { id: "c", response: { $m: 1 }, objects: [
      { path: ["response", "a"], type: ["DataMedia"], id: "m1" }, { path: ["response", "b"], type: ["DataMedia"], id: "m2" }] };
    const header = (mediaId, chunkIndex, lastChunk) => JSON.stringify({ type: "CHUNK_HEADER", requestId: "c", mediaId, chunkIndex, lastChunk });
    const messages = messagesFromParts(parseParts(body("B", [
      ["application/json", JSON.stringify({ id: "c", update: 1 })],
      ["application/json", JSON.stringify(media)],
      ["application/json", header("m1", 0, false)], ["application/octet-stream", new Uint8Array([1])],
      ["application/json", header("m2", 0, true)], ["application/octet-stream", new Uint8Array([2])],
      ["application/json", header("m1", 1, true)], ["application/octet-stream", new Uint8Array([3])],
    ]), "B"));
    assert.equal(messages.length, 2);
    assert.deepEqual(messages[0].message, { id: "c", update: 1 });
    assert.ok(messages[0].complete && !isFinal(messages[0].message));
    assert.ok(messages[1].complete && isFinal(messages[1].message));
    assert.equal(messages[0].media, null, "a message without media has none");
    assert.equal(messages[1].error, null);
    assert.deepEqual(Object.fromEntries(Object.entries(messages[1].media).map(([id, bytes]) => [id, [...bytes]])),
      { m1: [1, 3], m2: [2] }, "each item's chunks joined in order, interleaving undone");
  });

  test("a chunk out of order is an error on its message, which still completes (no hang)", () => {
    const media = { id: "c", response: null, objects: [{ path: ["response"], type: ["DataMedia"], id: "m1" }] };
    const header = (chunkIndex, lastChunk) => JSON.stringify({ type: "CHUNK_HEADER", requestId: "c", mediaId: "m1", chunkIndex, lastChunk });
    const [incoming] = messagesFromParts(parseParts(body("B", [
      ["application/json", JSON.stringify(media)],
      ["application/json", header(1, true)], ["application/octet-stream", new Uint8Array([7])],
    ]), "B"));
    assert.equal(incoming.complete, true);
    assert.equal(incoming.error, 'Media "m1": expected chunk 0, got chunk 1');
  });
});

describe("message helpers", () => {
  test("mediaCount counts DataMedia objects only (those with a string id: the decoder rejects the rest)", () => {
    assert.equal(mediaCount({ objects: [{ type: ["DataMedia"], id: "a" }, { type: ["ClassInstance", "x"], id: "b" },
      { type: ["DataMedia"], id: "c" }] }), 2);
    assert.equal(mediaCount({ objects: [{ type: ["Custom", "DataMedia"], id: "a" }, { type: ["Capability", "DataMedia"], id: "b" }] }), 1,
      "the first known wire type decides");
    assert.equal(mediaCount({ objects: [{ type: ["DataMedia"] }, { type: ["DataMedia"], id: 3 }] }), 0);
    assert.equal(mediaCount({ id: "x" }), 0);
    assert.equal(mediaCount({ objects: "nonsense" }), 0);
  });

  test("isFinal is true for a response or an error only", () => {
    assert.equal(isFinal({ response: null }), true);
    assert.equal(isFinal({ error: { message: "x" } }), true);
    assert.equal(isFinal({ update: {} }), false);
    assert.equal(isFinal({ output: "x" }), false);
  });

  test("IncomingMessage is complete when every media item had its last chunk, each item joined into one buffer", () => {
    const incoming = new IncomingMessage("{}", { id: "r", objects: [{ type: ["DataMedia"], id: "a" }, { type: ["DataMedia"], id: "b" }] });
    const h = (mediaId, chunkIndex, lastChunk) => ({ type: "CHUNK_HEADER", requestId: "r", mediaId, chunkIndex, lastChunk });
    assert.equal(incoming.complete, false);
    incoming.addFrame("h", h("a", 0, false), new Uint8Array([1, 2]));
    incoming.addFrame("h", h("a", 1, true), new Uint8Array([3]));
    assert.equal(incoming.complete, false);
    incoming.addFrame("h", h("b", 0, true), new Uint8Array(0));
    assert.equal(incoming.complete, true);
    assert.equal(incoming.error, null);
    assert.deepEqual([...incoming.media.a], [1, 2, 3]);
    assert.equal(incoming.media.b.byteLength, 0);
  });

  test("IncomingMessage without media is complete at once with media null", () => {
    const incoming = new IncomingMessage("{}", { id: "r", response: 1, objects: [] });
    assert.equal(incoming.complete, true);
    assert.equal(incoming.media, null);
  });

  test("IncomingMessage names a bad chunk in `error`, drops it, and still ends the item on its last chunk", () => {
    const h = (over) => ({ type: "CHUNK_HEADER", requestId: "r", mediaId: "a", chunkIndex: 0, lastChunk: true, ...over });
    const cases = [
      [h({ mediaId: 5 }), new Uint8Array(1), "Malformed chunk header: mediaId must be a str"],
      [h({ requestId: "other" }), new Uint8Array(1), 'Chunk for request "other" sent to request "r"'],
      [h({ mediaId: "zz" }), new Uint8Array(1), 'Chunk for unknown media "zz"'],
      [h({ chunkIndex: 2 }), new Uint8Array(1), 'Media "a": expected chunk 0, got chunk 2'],
      [h(), new Uint8Array(MAX_CHUNK_BYTES + 1), `Media "a": a chunk of ${MAX_CHUNK_BYTES + 1} bytes is over ${MAX_CHUNK_BYTES}`],
    ];
    for (const [header, bytes, error] of cases) {
      const incoming = new IncomingMessage("{}", { id: "r", objects: [{ type: ["DataMedia"], id: "a" }] });
      incoming.addFrame("h", header, bytes);
      assert.equal(incoming.error, error);
      const endsItem = header.mediaId === "a"; // a broken last chunk of a known item still ends it
      assert.equal(incoming.complete, endsItem, `${error}: only a last chunk naming a known item ends it`);
      if (endsItem) assert.equal(incoming.media.a.byteLength, 0, "the bad chunk's bytes are dropped");
    }
    const late = new IncomingMessage("{}", { id: "r", objects: [{ type: ["DataMedia"], id: "a" }, { type: ["DataMedia"], id: "b" }] });
    late.addFrame("h", h(), new Uint8Array([1]));
    late.addFrame("h", h({ chunkIndex: 1 }), new Uint8Array([2]));
    assert.equal(late.error, 'Chunk after the last chunk of media "a"');
    assert.deepEqual([...late.media.a], [1]);
    assert.equal(late.complete, false, "a chunk after the end does not count as another item ending");
    late.addFrame("h", h({ mediaId: "b", chunkIndex: 0, lastChunk: false }), new Uint8Array([3]));
    assert.equal(late.error, 'Chunk after the last chunk of media "a"', "the first problem is kept");
  });

  test("concat joins chunks in order; a single chunk is returned as is; none gives an empty buffer", () => {
    const one = new Uint8Array([5, 6]);
    assert.equal(concat([one]), one);
    assert.deepEqual([...concat([new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]), new Uint8Array([4])])], [1, 2, 3, 4]);
    const big = Uint8Array.from({ length: 3 * MAX_CHUNK_BYTES + 7 }, (_, i) => i % 251);
    const chunks = [];
    for (let at = 0; at < big.length; at += MAX_CHUNK_BYTES) chunks.push(big.subarray(at, at + MAX_CHUNK_BYTES));
    assert.deepEqual(concat(chunks), big);
    assert.equal(concat([]).byteLength, 0);
  });

  test("boundaryOf reads the boundary parameter and refuses a non-multipart type", () => {
    assert.equal(boundaryOf("multipart/x-mixed-replace; boundary=abc123"), "abc123");
    assert.equal(boundaryOf("multipart/x-mixed-replace; boundary=abc; charset=x"), "abc");
    assert.throws(() => boundaryOf("text/plain"), /not a multipart response: text\/plain/);
    assert.throws(() => boundaryOf(null), /not a multipart response/);
  });

  test("callForm names the fields as the server reads them", async () => {
    const form = callForm('{"id":"f"}', [["h0", new Uint8Array([1, 2])], ["h1", new Uint8Array([3])]]);
    assert.deepEqual([...form.keys()], ["json-data", "chunk-json-0-0", "chunk-data-0-0", "chunk-json-0-1", "chunk-data-0-1"]);
    assert.equal(form.get("json-data"), '{"id":"f"}');
    assert.equal(form.get("chunk-json-0-1"), "h1");
    assert.deepEqual([...new Uint8Array(await form.get("chunk-data-0-0").arrayBuffer())], [1, 2]);
  });
});
