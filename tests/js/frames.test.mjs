// js_bridge/frames.mjs: the multipart reader of /_/server-call-http replies, chunk collection, the call form.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { IncomingMessage, boundaryOf, callForm, isFinal, mediaCount, messagesFromParts, parseParts } from "../../js_bridge/frames.mjs";

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
    assert.deepEqual(messages[1].frames.map(([h, b]) => [JSON.parse(h).mediaId, JSON.parse(h).chunkIndex, [...b]]),
      [["m1", 0, [1]], ["m2", 0, [2]], ["m1", 1, [3]]]);
  });
});

describe("message helpers", () => {
  test("mediaCount counts DataMedia objects only", () => {
    assert.equal(mediaCount({ objects: [{ type: ["DataMedia"] }, { type: ["ClassInstance", "x"] }, { type: ["DataMedia"] }] }), 2);
    assert.equal(mediaCount({ id: "x" }), 0);
    assert.equal(mediaCount({ objects: "nonsense" }), 0);
  });

  test("isFinal is true for a response or an error only", () => {
    assert.equal(isFinal({ response: null }), true);
    assert.equal(isFinal({ error: { message: "x" } }), true);
    assert.equal(isFinal({ update: {} }), false);
    assert.equal(isFinal({ output: "x" }), false);
  });

  test("IncomingMessage is complete when every media item had its last chunk", () => {
    const incoming = new IncomingMessage("{}", { objects: [{ type: ["DataMedia"] }, { type: ["DataMedia"] }] });
    assert.equal(incoming.complete, false);
    incoming.addFrame("h", { lastChunk: false }, new Uint8Array(1));
    incoming.addFrame("h", { lastChunk: true }, new Uint8Array(1));
    assert.equal(incoming.complete, false);
    incoming.addFrame("h", { lastChunk: true }, new Uint8Array(0));
    assert.equal(incoming.complete, true);
    assert.equal(incoming.frames.length, 3);
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
