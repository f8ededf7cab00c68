// js_bridge/json_source.mjs: JSON.parse with every number's source text, also where the engine does not give it
// (Node 20 here: the marking scan runs; Chromium's native path runs in the e2e codec cases).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { NATIVE_SOURCE, markNumbers, parseWithSource } from "../../js_bridge/json_source.mjs";

const sources = (text) => parseWithSource(text, (key, value, context) =>
  (typeof value === "number" ? `${typeof value}:${context.source}` : value));

describe("parseWithSource", () => {
  test("gives each number's text, wherever it stands", () => {
    assert.deepEqual(sources('{"a": [1.0, 1, -0.0, 1e+16, 2.5E-3, 12345678901234567890], "b": {"c": -7}}'), {
      a: ["number:1.0", "number:1", "number:-0.0", "number:1e+16", "number:2.5E-3", "number:12345678901234567890"],
      b: { c: "number:-7" },
    });
  });

  test("strings, keys and escapes come back as they were, including ones that look like marks or numbers", () => {
    const text = '{"\\u0000k": "\\u0000v", "1.5": "2", "q\\"1": ["\\\\", "-3", "\\u00001"], "\\u0000\\u0000": 0}';
    assert.deepEqual(sources(text), { "\u0000k": "\u0000v", "1.5": "2", 'q"1': ["\\", "-3", "\u00001"], "\u0000\u0000": "number:0" });
    assert.deepEqual(Object.keys(sources('{"b": 1, "\\u0000a": 2}')), ["b", "\u0000a"]);
  });

  test("text that is not JSON is refused as JSON.parse refuses it", () => {
    for (const bad of ["01", "[1.]", "-", "[.5]", "{nope", "NaN", "[1,]", '"\\u0000'])
      assert.throws(() => parseWithSource(bad, (k, v) => v), SyntaxError, bad);
  });

  test("without native support the numbers travel as marked strings", () => {
    assert.equal(markNumbers('[1.0, "x", -2]'), '["\\u00001.0", "x", "\\u0000-2"]');
    if (!NATIVE_SOURCE) assert.equal(process.versions.node.split(".")[0] < 21, true);
  });
});
