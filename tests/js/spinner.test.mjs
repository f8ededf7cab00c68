// js_bridge/spinner.mjs on a fake DOM and Node's mock clock: the global spinner's reference count and
// show-delay, its fade-out, and element overlays (one per element, restore everything after).

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

import { ElementSpinners, GlobalSpinner } from "../../js_bridge/spinner.mjs";
import { installFakeDom } from "./fake_dom.mjs";

let dom;
beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  dom = installFakeDom();
});
afterEach(() => {
  dom.uninstall();
  mock.timers.reset();
});

/** The global spinner layer as the page sees it: "absent", "attached" (fading out / not yet visible) or "visible". */
function globalState() {
  const layer = dom.document.getElementById("anvil-spinner");
  if (!layer || layer.parentNode !== dom.document.body) return "absent";
  return layer.classList.contains("anvil-spinner-visible") ? "visible" : "attached";
}

describe("GlobalSpinner", () => {
  test("shows only once a call has run for the show-delay, announced busy", () => {
    const spinner = new GlobalSpinner({ showDelayMs: 100, now: Date.now });
    spinner.start();
    mock.timers.tick(99);
    assert.equal(globalState(), "absent");
    assert.equal(dom.document.body.getAttribute("aria-busy"), null);
    mock.timers.tick(1);
    assert.equal(globalState(), "visible");
    const layer = dom.document.getElementById("anvil-spinner");
    assert.equal(layer.getAttribute("role"), "progressbar");
    assert.equal(dom.document.body.getAttribute("aria-busy"), "true");
    assert.ok(dom.document.getElementById("anvil-pyodide-spinner-style"), "the stylesheet is added once");
  });

  test("a call faster than the show-delay never shows it", () => {
    const spinner = new GlobalSpinner({ showDelayMs: 100, now: Date.now });
    spinner.start();
    mock.timers.tick(60);
    spinner.stop();
    mock.timers.tick(10_000);
    assert.equal(globalState(), "absent");
    assert.equal(dom.document.body.getAttribute("aria-busy"), null);
  });

  test("is reference-counted: visible until the last of overlapping calls ends, then fades out and goes", () => {
    const spinner = new GlobalSpinner({ showDelayMs: 100, now: Date.now });
    spinner.start();
    mock.timers.tick(50);
    spinner.start(); // a second call joins: the delay is not restarted
    mock.timers.tick(50);
    assert.equal(globalState(), "visible");
    assert.equal(spinner.active, 2);
    spinner.stop();
    mock.timers.tick(1_000);
    assert.equal(globalState(), "visible", "one call still runs");
    spinner.stop();
    assert.equal(spinner.active, 0);
    assert.equal(globalState(), "attached", "fading out");
    assert.equal(dom.document.body.getAttribute("aria-busy"), null);
    mock.timers.tick(250);
    assert.equal(globalState(), "absent");
  });

  test("overlapping calls that all end before the show-delay never show it", () => {
    const spinner = new GlobalSpinner({ showDelayMs: 100, now: Date.now });
    spinner.start();
    mock.timers.tick(30);
    spinner.start();
    mock.timers.tick(30);
    spinner.stop();
    spinner.stop();
    mock.timers.tick(10_000);
    assert.equal(globalState(), "absent");
  });

  test("extra stops are harmless and do not go negative", () => {
    const spinner = new GlobalSpinner({ showDelayMs: 10, now: Date.now });
    spinner.stop();
    spinner.start();
    spinner.stop();
    spinner.stop();
    assert.equal(spinner.active, 0);
    spinner.start();
    mock.timers.tick(10);
    assert.equal(globalState(), "visible", "a later call still shows it");
  });

  test("a call starting during the fade-out shows the same layer again", () => {
    const spinner = new GlobalSpinner({ showDelayMs: 100, now: Date.now });
    spinner.start();
    mock.timers.tick(100);
    spinner.stop();
    mock.timers.tick(100); // fading out
    spinner.start();
    mock.timers.tick(100);
    assert.equal(globalState(), "visible");
    mock.timers.tick(1_000); // the old fade-out timer must not remove a visible layer
    assert.equal(globalState(), "visible");
    assert.equal(dom.document.byClass("anvil-spinner-global").length, 1);
  });

  test("sequential calls faster than the show-delay share one timer, and each still waits the whole delay", () => {
    const spinner = new GlobalSpinner({ showDelayMs: 100, now: Date.now });
    const armed = mock.method(globalThis, "setTimeout");
    for (let i = 0; i < 90; i++) {
      spinner.start();
      mock.timers.tick(1);
      spinner.stop();
    }
    assert.equal(armed.mock.callCount(), 1, "one timer for 90 calls, not one each");
    spinner.start(); // at 90 ms: the timer armed at 0 fires at 100 and must re-arm, not show
    mock.timers.tick(99);
    assert.equal(globalState(), "absent", "shown 10 ms into a call");
    mock.timers.tick(1);
    assert.equal(globalState(), "visible");
    spinner.stop();
    armed.mock.restore();
  });

  test("the show-delay can be changed (data-spinner-delay)", () => {
    const spinner = new GlobalSpinner({ now: Date.now });
    spinner.showDelayMs = 1_200;
    spinner.start();
    mock.timers.tick(1_199);
    assert.equal(globalState(), "absent");
    mock.timers.tick(1);
    assert.equal(globalState(), "visible");
  });
});

describe("ElementSpinners", () => {
  test("covers an element at once: overlay, inert, aria-busy, relative position, min-height; restores after", () => {
    const spinners = new ElementSpinners();
    const panel = dom.document.body.appendChild(dom.document.createElement("div"));
    const field = panel.appendChild(dom.document.createElement("input"));
    dom.document.activeElement = field;
    spinners.start(panel, 120);
    const overlays = panel.children.filter((c) => c.classList.contains("anvil-spinner-element"));
    assert.equal(overlays.length, 1);
    assert.deepEqual([panel.style.position, panel.style.minHeight, panel.inert, panel.getAttribute("aria-busy")],
      ["relative", "120px", true, "true"]);
    assert.equal(field.blurred, 1, "focus leaves the covered element");
    spinners.stop(panel);
    assert.equal(panel.children.filter((c) => c.classList.contains("anvil-spinner-layer")).length, 0);
    assert.deepEqual([panel.style.position, panel.style.minHeight, panel.inert, panel.hasAttribute("aria-busy")],
      ["", "", false, false]);
  });

  test("one overlay per element however many indicators use it; removed with the last", () => {
    const spinners = new ElementSpinners();
    const panel = dom.document.body.appendChild(dom.document.createElement("div"));
    spinners.start(panel, "10em");
    spinners.start(panel, null);
    assert.equal(panel.children.length, 1);
    assert.equal(panel.style.minHeight, "10em");
    spinners.stop(panel);
    assert.equal(panel.children.length, 1);
    spinners.stop(panel);
    assert.equal(panel.children.length, 0);
    spinners.stop(panel); // extra stop: harmless
  });

  test("a positioned element keeps its position; earlier aria-busy and inert come back", () => {
    const spinners = new ElementSpinners();
    const panel = dom.document.body.appendChild(dom.document.createElement("div"));
    panel.computedPosition = "absolute";
    panel.setAttribute("aria-busy", "false");
    spinners.start(panel);
    assert.equal(panel.style.position, "");
    assert.equal(panel.style.minHeight, "");
    spinners.stop(panel);
    assert.equal(panel.getAttribute("aria-busy"), "false");
    assert.equal(panel.inert, false);
  });
});
