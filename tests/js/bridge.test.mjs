// js_bridge/bridge.mjs: callSettled reports each call's outcome to onSettled (no promise per call) with the
// global spinner counted around it, also when the transport throws at once; call() is the same as a promise.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

import { makeBridge } from "../../js_bridge/bridge.mjs";
import { SessionKeeper } from "../../js_bridge/session.mjs";

const ORIGIN = "http://app.test";

/** A transport whose calls the test settles by hand: `pending` maps call ids to {resolve, reject, text}. */
class HandTransport {
  constructor() {
    this.pending = new Map();
    this.throwing = null;
  }

  start(id, text, frames, onMessage, resolve, reject) {
    if (this.throwing) throw this.throwing;
    this.pending.set(id, { text, onMessage, resolve, reject });
  }
}

let transport;
let bridge;
let settled;
beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  transport = new HandTransport();
  bridge = makeBridge(ORIGIN, transport, new SessionKeeper(ORIGIN, null), 100);
  settled = [];
  bridge.onSettled = (id, reply, error) => settled.push({ id, reply, error, spinning: bridge.spinner.active });
});
afterEach(() => mock.timers.reset());

describe("bridge.callSettled", () => {
  test("reports the reply to onSettled, the spinner counted until just before", () => {
    bridge.callSettled("c1", "{}", null, true);
    assert.equal(bridge.spinner.active, 1);
    assert.equal(transport.pending.get("c1").text, "{}");
    transport.pending.get("c1").resolve({ text: "reply" });
    assert.deepEqual(settled, [{ id: "c1", reply: { text: "reply" }, error: undefined, spinning: 0 }]);
  });

  test("reports a failure as the error, and a silent call never counts on the spinner", () => {
    bridge.callSettled("c2", { text: "{}" }, null, false);
    assert.equal(bridge.spinner.active, 0);
    const error = new Error("offline");
    transport.pending.get("c2").reject(error);
    assert.deepEqual(settled, [{ id: "c2", reply: undefined, error, spinning: 0 }]);
  });

  test("a transport that throws at once: the error goes to onSettled and the spinner stops", () => {
    transport.throwing = new Error("socket broke");
    bridge.callSettled("c3", "{}", null, true);
    assert.equal(bridge.spinner.active, 0);
    assert.deepEqual(settled, [{ id: "c3", reply: undefined, error: transport.throwing, spinning: 0 }]);
  });

  test("progress messages go to onProgress with the call's id", () => {
    const progress = [];
    bridge.onProgress = (id, message) => progress.push([id, message]);
    bridge.callSettled("c4", "{}", null, false);
    transport.pending.get("c4").onMessage({ text: "output" });
    assert.deepEqual(progress, [["c4", { text: "output" }]]);
  });
});

describe("bridge.call", () => {
  test("resolves with the reply and rejects with the error, spinner stopped either way", async () => {
    const ok = bridge.call("c5", "{}", null, true);
    transport.pending.get("c5").resolve({ text: "fine" });
    assert.deepEqual(await ok, { text: "fine" });
    transport.throwing = new Error("no socket");
    await assert.rejects(bridge.call("c6", "{}", null, true), /no socket/);
    assert.equal(bridge.spinner.active, 0);
    assert.deepEqual(settled, [], "a promise call never reports to onSettled");
  });
});
