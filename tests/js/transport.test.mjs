// WebSocketTransport and HttpTransport (js_bridge/transport.mjs) with a fake socket and Node's mock clock:
// queueing while disconnected, reconnect with capped backoff and jitter, the offline timeout, in-flight calls
// failing (never re-sent), keepalive, media frames, session tokens; HttpTransport over an injected fetch.

import assert from "node:assert/strict";
import { beforeEach, afterEach, describe, test, mock } from "node:test";

import { DEFAULT_BACKOFF, HttpTransport, OfflineError, WebSocketTransport, backoffDelay, replyOf, syncHttpCall } from "../../js_bridge/transport.mjs";
import { jsonToMarshal } from "../../js_bridge/json_marshal.mjs";
import { SessionKeeper } from "../../js_bridge/session.mjs";
import { FakeSockets, callText } from "./fake_websocket.mjs";

const ORIGIN = "http://app.test";

/** "pending", "resolved" or "rejected", once the microtasks queued so far have run. */
async function settled(promise) {
  let state = "pending";
  promise.then(() => { state = "resolved"; }, () => { state = "rejected"; });
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

function response(id, value) {
  return JSON.stringify({ id, response: value, objects: [] });
}

let sockets;
beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: 1_000_000 });
  sockets = new FakeSockets();
});
afterEach(() => {
  mock.timers.reset();
  mock.restoreAll();
});

function transport(options = {}) {
  return new WebSocketTransport({ origin: ORIGIN, WebSocketImpl: sockets.Impl, session: new SessionKeeper(ORIGIN, null),
                                  ...options });
}

describe("backoffDelay", () => {
  test("grows by the factor from initialMs and is capped at maxMs", () => {
    const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, noJitter)),
      [200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000]);
  });

  test("jitter spreads the delay by +/- the jitter fraction", () => {
    assert.equal(backoffDelay(2, DEFAULT_BACKOFF, () => 0), 560);      // 800 * 0.7
    assert.equal(backoffDelay(2, DEFAULT_BACKOFF, () => 0.5), 800);
    assert.equal(backoffDelay(2, DEFAULT_BACKOFF, () => 1), 1040);     // 800 * 1.3
    assert.equal(backoffDelay(30, DEFAULT_BACKOFF, () => 1), 13000);   // the cap, jittered
  });
});

describe("WebSocketTransport", () => {
  test("a call made before any connection is queued and sent once the socket opens", async () => {
    const t = transport();
    const result = t.call("c1", callText("c1"), [], null);
    assert.equal(sockets.count, 0, "the socket is opened lazily, from a timer");
    mock.timers.tick(0);
    assert.equal(sockets.count, 1);
    assert.equal(sockets.last.url, "ws://app.test/_/ws");
    assert.deepEqual(sockets.last.sent, []);
    sockets.last.open();
    assert.deepEqual(sockets.last.callIds(), ["c1"]);
    sockets.last.receive(response("c1", 42));
    const reply = await result;
    assert.equal(JSON.parse(reply.text).response, 42);
    assert.equal(reply.media, null);
    assert.equal(reply.error, null);
    assert.deepEqual(reply.utf8, new TextEncoder().encode(reply.text), "utf8 is the text's UTF-8 bytes");
    assert.deepEqual(reply.marshal, jsonToMarshal(reply.text), "marshal is the text's value as marshal bytes");
    assert.equal(replyOf({ text: "{bad", media: null, error: null }).marshal, null, "text that is not JSON: null");
  });

  test("calls on an open socket go out at once and run concurrently", async () => {
    const t = transport();
    const first = t.call("a", callText("a"), [], null);
    mock.timers.tick(0);
    sockets.last.open();
    const second = t.call("b", callText("b"), [], null);
    assert.deepEqual(sockets.last.callIds(), ["a", "b"]);
    sockets.last.receive(response("b", "second"));
    assert.equal(await settled(first), "pending");
    assert.equal(JSON.parse((await second).text).response, "second");
    sockets.last.receive(response("a", "first"));
    assert.equal(JSON.parse((await first).text).response, "first");
  });

  test("reconnect attempts wait a capped exponential backoff with jitter", async () => {
    mock.method(Math, "random", () => 1); // the largest jitter: +30 %
    const t = transport({ offlineTimeoutMs: 120_000 }); // room for eight attempts
    const result = t.call("q", callText("q"), [], null);
    result.catch(() => {});
    mock.timers.tick(0);
    const expected = [260, 520, 1040, 2080, 4160, 8320, 13000, 13000]; // 200 * 2^n, capped at 10000, * 1.3
    for (const delay of expected) {
      const before = sockets.count;
      sockets.last.drop(1006); // this attempt fails
      mock.timers.tick(delay - 1);
      assert.equal(sockets.count, before, `no new attempt 1 ms before ${delay} ms`);
      mock.timers.tick(1);
      assert.equal(sockets.count, before + 1, `a new attempt at ${delay} ms`);
    }
    sockets.last.open();
    assert.deepEqual(sockets.last.callIds(), ["q"], "the queued call goes out after reconnect");
    sockets.last.receive(response("q", "late but fine"));
    assert.equal(JSON.parse((await result).text).response, "late but fine");
  });

  test("the jitter comes from Math.random: the smallest draw shortens the delay", () => {
    mock.method(Math, "random", () => 0);
    const t = transport();
    t.call("q", callText("q"), [], null).catch(() => {});
    mock.timers.tick(0);
    sockets.last.drop(1006);
    mock.timers.tick(139);
    assert.equal(sockets.count, 1);
    mock.timers.tick(1); // 200 * 0.7
    assert.equal(sockets.count, 2);
  });

  test("a successful connection resets the backoff", () => {
    mock.method(Math, "random", () => 0.5);
    const t = transport();
    t.call("a", callText("a"), [], null).catch(() => {});
    mock.timers.tick(0);
    sockets.last.drop(1006);
    mock.timers.tick(200);
    sockets.last.drop(1006);
    mock.timers.tick(400);
    sockets.last.open();
    sockets.last.drop(1006); // "a" was sent, so it fails; queue a new call
    t.call("b", callText("b"), [], null).catch(() => {});
    const before = sockets.count;
    mock.timers.tick(199);
    assert.equal(sockets.count, before);
    mock.timers.tick(1); // back to the initial 200 ms
    assert.equal(sockets.count, before + 1);
  });

  test("a call already sent fails at once with an offline error when the socket drops, and is never re-sent", async () => {
    const t = transport();
    const inFlight = t.call("sent-1", callText("sent-1"), [], null);
    mock.timers.tick(0);
    sockets.last.open();
    const firstSocket = sockets.last;
    firstSocket.drop(1006);
    await assert.rejects(inFlight, (error) => error instanceof OfflineError && error.offline === true
      && error.message === "Connection to server failed (1006)");
    const queued = t.call("queued-2", callText("queued-2"), [], null);
    mock.timers.tick(DEFAULT_BACKOFF.maxMs * 2);
    sockets.last.open();
    assert.notEqual(sockets.last, firstSocket);
    assert.deepEqual(sockets.last.callIds(), ["queued-2"]);
    sockets.last.receive(response("queued-2", 2));
    await queued;
    mock.timers.tick(60_000);
    assert.deepEqual(sockets.all.flatMap((s) => s.callIds()).filter((id) => id === "sent-1").length, 1);
  });

  test("a late reply to a failed call is ignored", async () => {
    const t = transport();
    const inFlight = t.call("x", callText("x"), [], null);
    mock.timers.tick(0);
    sockets.last.open();
    const old = sockets.last;
    old.drop(1006);
    await assert.rejects(inFlight, OfflineError);
    old.receive(response("x", "too late")); // must not throw or resolve anything
  });

  test("queued calls fail with an offline error after the offline timeout, not before", async () => {
    const t = transport();
    const queued = t.call("w", callText("w"), [], null);
    mock.timers.tick(0);
    sockets.last.drop(1006); // the server is unreachable: every attempt fails
    const failAttempts = () => { for (const s of sockets.all) if (s.readyState === 0) s.drop(1006); };
    for (let elapsed = 0; elapsed < 29_000; elapsed += 500) {
      mock.timers.tick(500);
      failAttempts();
    }
    assert.equal(await settled(queued), "pending", "still waiting 29 s after the call");
    for (let elapsed = 0; elapsed < 2_000; elapsed += 500) {
      mock.timers.tick(500);
      failAttempts();
    }
    await assert.rejects(queued, (error) => error instanceof OfflineError
      && error.message === "Connection to server failed (no connection)");
    assert.equal(sockets.all.flatMap((s) => s.sent).length, 0, "nothing was ever sent (no socket ever opened)");
  });

  test("the offline timeout is an option", async () => {
    const t = transport({ offlineTimeoutMs: 3_000 });
    const queued = t.call("w", callText("w"), [], null);
    mock.timers.tick(0);
    mock.timers.tick(2_000);
    assert.equal(await settled(queued), "pending");
    mock.timers.tick(2_000);
    await assert.rejects(queued, OfflineError);
  });

  test("a queued call that gets through in time is not failed by the offline timer", async () => {
    const t = transport();
    const queued = t.call("ok", callText("ok"), [], null);
    mock.timers.tick(25_000); // connecting is slow (the first socket has not opened yet)
    sockets.last.open();
    mock.timers.tick(20_000);
    sockets.last.receive(response("ok", "fine"));
    assert.equal(JSON.parse((await queued).text).response, "fine");
  });

  test("keepalive echoes go out every keepaliveMs while open, their replies are swallowed, and stop on close", async () => {
    const t = transport({ keepaliveMs: 5_000 });
    const call = t.call("c", callText("c"), [], null);
    mock.timers.tick(0);
    const socket = sockets.last;
    socket.open();
    const calls = () => socket.sentJson().filter((m) => m.type === "CALL");
    mock.timers.tick(4_999);
    assert.equal(calls().length, 1);
    mock.timers.tick(1);
    const keepalive = calls()[1];
    assert.equal(keepalive.command, "anvil.private.echo");
    assert.deepEqual(keepalive.args, ["keep-alive"]);
    assert.match(keepalive.id, /^client-keepalive-/);
    socket.receive(response(keepalive.id, "keep-alive"));
    mock.timers.tick(10_000);
    assert.equal(calls().length, 4);
    socket.drop(1006);
    await assert.rejects(call, OfflineError);
    mock.timers.tick(60_000);
    assert.equal(calls().length, 4, "no keepalive on a closed socket");
    assert.equal(sockets.count, 1, "no reconnect without calls waiting");
  });

  test("non-final messages go to onMessage; media frames are collected across chunk headers", async () => {
    const t = transport();
    const updates = [];
    const call = t.call("m", callText("m"), [], (reply) => updates.push([JSON.parse(reply.text), reply.media, reply.error]));
    mock.timers.tick(0);
    const socket = sockets.last;
    socket.open();
    socket.receive(JSON.stringify({ id: "m", update: { step: 1 }, objects: [] }));
    socket.receive(JSON.stringify({ id: "m", output: "printed\n" }));
    socket.receive(JSON.stringify({ id: "m", response: { $media: 0 },
      objects: [{ path: ["response"], type: ["DataMedia"], id: "m0", "mime-type": "x/y", name: null }] }));
    assert.equal(await settled(call), "pending", "the response waits for its media");
    const header = (chunkIndex, lastChunk) => JSON.stringify({ type: "CHUNK_HEADER", requestId: "m", mediaId: "m0", chunkIndex, lastChunk });
    socket.receive(header(0, false));
    socket.receive(new Uint8Array([1, 2, 3]));
    socket.receive(header(1, true));
    socket.receive(new Uint8Array([4]));
    const { media, error } = await call;
    assert.deepEqual(updates, [[{ id: "m", update: { step: 1 }, objects: [] }, null, null], [{ id: "m", output: "printed\n" }, null, null]]);
    assert.equal(error, null);
    assert.deepEqual(Object.keys(media), ["m0"]);
    assert.deepEqual([...media.m0], [1, 2, 3, 4], "the chunks joined into one buffer");
  });

  test("a bad chunk reaches the caller as the reply's error instead of a hang", async () => {
    const t = transport();
    const call = t.call("m", callText("m"), [], null);
    mock.timers.tick(0);
    const socket = sockets.last;
    socket.open();
    socket.receive(JSON.stringify({ id: "m", response: { $media: 0 }, objects: [{ path: ["response"], type: ["DataMedia"], id: "m0" }] }));
    socket.receive(JSON.stringify({ type: "CHUNK_HEADER", requestId: "m", mediaId: "m0", chunkIndex: 3, lastChunk: true }));
    socket.receive(new Uint8Array([1]));
    const { error } = await call;
    assert.equal(error, 'Media "m0": expected chunk 0, got chunk 3');
  });

  test("a call's media frames are sent as header text then bytes, after the CALL", () => {
    const t = transport();
    const chunk = JSON.stringify({ type: "CHUNK_HEADER", requestId: "up", mediaId: "0", chunkIndex: 0, lastChunk: true });
    t.call("up", callText("up"), [[chunk, new Uint8Array([9, 8])]], null);
    mock.timers.tick(0);
    sockets.last.open();
    const [session, ...sent] = sockets.last.sent;
    assert.equal(JSON.parse(session).type, "SESSION", "every connection opens with the SESSION message");
    assert.equal(sent.length, 3);
    assert.equal(JSON.parse(sent[0]).id, "up");
    assert.equal(sent[1], chunk);
    assert.deepEqual([...sent[2]], [9, 8]);
  });

  test("every connection opens with the SESSION message; the server's answer is taken, not delivered", async () => {
    const session = new SessionKeeper(ORIGIN, null);
    const t = transport({ session });
    const first = t.call("a", callText("a"), [], null);
    mock.timers.tick(0);
    sockets.last.open();
    assert.deepEqual(sockets.last.sentJson()[0], { type: "SESSION", token: null, fresh: true });
    sockets.last.receive(JSON.stringify({ type: "SESSION", token: "tok-1" }));
    sockets.last.receive(response("a", 1));
    assert.equal(JSON.parse((await first).text).response, 1);
    sockets.last.drop(1006);
    const second = t.call("b", callText("b"), [], null);
    mock.timers.tick(DEFAULT_BACKOFF.maxMs * 2);
    sockets.last.open();
    assert.deepEqual(sockets.last.sentJson()[0], { type: "SESSION", token: "tok-1", fresh: false }, "the reconnect keeps the session");
    assert.equal(sockets.last.url, "ws://app.test/_/ws", "never in the URL");
    sockets.last.receive(response("b", 2));
    assert.equal(JSON.parse((await second).text).response, 2);
  });

  test("https origins use wss", () => {
    const t = new WebSocketTransport({ origin: "https://app.test", WebSocketImpl: sockets.Impl, session: new SessionKeeper("https://app.test", null) });
    t.call("a", callText("a"), [], null).catch(() => {});
    mock.timers.tick(0);
    assert.equal(sockets.last.url, "wss://app.test/_/ws");
  });
});

// --- HttpTransport ---------------------------------------------------------------------------------------------

function multipart(boundary, parts) {
  const encoder = new TextEncoder();
  const chunks = [];
  for (const [type, body] of parts) {
    const bytes = typeof body === "string" ? encoder.encode(body) : body;
    chunks.push(encoder.encode(`--${boundary}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes, encoder.encode("\r\n"));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  return new Blob(chunks);
}

describe("HttpTransport", () => {
  test("posts the call form and reads updates, the final message and its media frames", async () => {
    const seen = [];
    const fetchImpl = async (url, init) => {
      seen.push([url, init.method, [...init.body.keys()], JSON.parse(init.body.get("session"))]);
      return new Response(multipart("xyz", [
        ["application/json", JSON.stringify({ id: "h", update: { n: 1 }, objects: [] })],
        ["application/json", JSON.stringify({ id: "h", response: {}, objects: [{ path: ["response"], type: ["DataMedia"], id: "0" }] })],
        ["application/json", JSON.stringify({ type: "CHUNK_HEADER", requestId: "h", mediaId: "0", chunkIndex: 0, lastChunk: true })],
        ["application/octet-stream", new Uint8Array([13, 10, 45, 45, 120, 121, 122])],
      ]), { headers: { "content-type": "multipart/x-mixed-replace; boundary=xyz" } });
    };
    const session = new SessionKeeper(ORIGIN, null);
    session.confirm("s1");
    const t = new HttpTransport({ origin: ORIGIN, fetchImpl, session });
    const updates = [];
    const { text, media, error } = await t.call("h", callText("h"), [], (reply) => updates.push(JSON.parse(reply.text).update));
    assert.deepEqual(seen, [["http://app.test/_/server-call-http", "POST", ["json-data", "session"],
      { type: "SESSION", token: "s1", fresh: false }]]);
    assert.deepEqual(updates, [{ n: 1 }]);
    assert.equal(JSON.parse(text).id, "h");
    assert.equal(error, null);
    assert.deepEqual([...media["0"]], [13, 10, 45, 45, 120, 121, 122]);
  });

  test("a network failure or an HTTP error is an offline error", async () => {
    const down = new HttpTransport({ origin: ORIGIN, session: new SessionKeeper(ORIGIN, null), fetchImpl: async () => { throw new TypeError("Failed to fetch"); } });
    await assert.rejects(down.call("a", callText("a"), [], null),
      (e) => e instanceof OfflineError && e.message === "Connection to server failed (Failed to fetch)");
    const broken = new HttpTransport({ origin: ORIGIN, session: new SessionKeeper(ORIGIN, null), fetchImpl: async () => new Response("no", { status: 502 }) });
    await assert.rejects(broken.call("a", callText("a"), [], null),
      (e) => e instanceof OfflineError && e.message === "Connection to server failed (HTTP 502)");
  });

  test("a reply without a final message is an offline error, not a hang", async () => {
    const t = new HttpTransport({ origin: ORIGIN, session: new SessionKeeper(ORIGIN, null), fetchImpl: async () => new Response(
      multipart("b", [["application/json", JSON.stringify({ id: "a", output: "x" })]]),
      { headers: { "content-type": "multipart/x-mixed-replace; boundary=b" } }) });
    await assert.rejects(t.call("a", callText("a"), [], null), /no response in reply/);
  });
});

// --- syncHttpCall ----------------------------------------------------------------------------------------------

/** A blocking XMLHttpRequest stand-in answering with `bytes` as a browser does under x-user-defined (bytes over
 *  0x7F become U+F780..U+F7FF). */
function fakeXhr(bytes, { status = 200, contentType = "multipart/x-mixed-replace; boundary=q" } = {}) {
  const requests = [];
  class FakeXhr {
    open(method, url, async) { this.request = { method, url, async }; }
    overrideMimeType(type) { this.request.mime = type; }
    send(form) { requests.push({ ...this.request, keys: [...form.keys()] }); this.status = status; }
    getResponseHeader(name) { return name.toLowerCase() === "content-type" ? contentType : null; }
    get responseText() { return String.fromCharCode(...bytes.map((b) => (b > 0x7f ? 0xf700 + b : b))); }
  }
  return { FakeXhr, requests };
}

describe("syncHttpCall", () => {
  afterEach(() => { delete globalThis.XMLHttpRequest; });

  test("posts synchronously and returns every message as a reply, media assembled, SESSION taken", async () => {
    const bytes = new Uint8Array(await multipart("q", [
      ["application/json", JSON.stringify({ type: "SESSION", token: "s2" })],
      ["application/json", JSON.stringify({ id: "s", output: "hi" })],
      ["application/json", JSON.stringify({ id: "s", response: {}, objects: [{ path: ["response"], type: ["DataMedia"], id: "0" }] })],
      ["application/json", JSON.stringify({ type: "CHUNK_HEADER", requestId: "s", mediaId: "0", chunkIndex: 0, lastChunk: false })],
      ["application/octet-stream", new Uint8Array([0, 127, 128, 255])],
      ["application/json", JSON.stringify({ type: "CHUNK_HEADER", requestId: "s", mediaId: "0", chunkIndex: 1, lastChunk: true })],
      ["application/octet-stream", new Uint8Array([13, 10])],
    ]).arrayBuffer());
    const { FakeXhr, requests } = fakeXhr([...bytes]);
    globalThis.XMLHttpRequest = FakeXhr;
    const session = new SessionKeeper(ORIGIN, null);
    const replies = syncHttpCall(ORIGIN, session, callText("s"), null);
    assert.deepEqual(requests, [{ method: "POST", url: "http://app.test/_/server-call-http", async: false,
      mime: "text/plain; charset=x-user-defined", keys: ["json-data", "session"] }]);
    assert.deepEqual(replies.map((r) => JSON.parse(r.text).output ?? "final"), ["hi", "final"]);
    assert.equal(replies[0].media, null);
    assert.equal(replies[1].error, null);
    assert.deepEqual([...replies[1].media["0"]], [0, 127, 128, 255, 13, 10], "binary bytes survive the text transfer");
    assert.equal(JSON.parse(session.requestText()).token, "s2", "the SESSION message is taken by the session");
  });

  test("an HTTP error is an offline error", () => {
    const { FakeXhr } = fakeXhr([], { status: 503 });
    globalThis.XMLHttpRequest = FakeXhr;
    assert.throws(() => syncHttpCall(ORIGIN, new SessionKeeper(ORIGIN, null), callText("s"), null),
      (e) => e instanceof OfflineError && e.message === "Connection to server failed (HTTP 503)");
  });
});
