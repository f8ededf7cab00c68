// js_bridge/skulpt_native.mjs: Python's float repr (what the Skulpt runtime's JSON writes), and the JSON and JsProxy
// conversions on a real Skulpt (npm `skulpt`, loaded as the browser loads it).

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, test } from "node:test";

import { floatRepr, installNativeModule } from "../../js_bridge/skulpt_native.mjs";

const require = createRequire(import.meta.url);
require("../../node_modules/skulpt/dist/skulpt.min.js");
const Sk = globalThis.Sk;
const convert = installNativeModule(Sk);

describe("floatRepr", () => {
  test("matches CPython's repr (values and texts from CPython 3.11)", () => {
    const cases = [[1.0, "1.0"], [-0.0, "-0.0"], [0.1, "0.1"], [1e16, "1e+16"], [1e-5, "1e-05"], [1.5e-5, "1.5e-05"],
      [123456789.125, "123456789.125"], [1e22, "1e+22"], [2.5e-300, "2.5e-300"], [-3.75, "-3.75"],
      [1 / 3, "0.3333333333333333"], [9007199254740993.0, "9007199254740992.0"], [0.0001, "0.0001"],
      [1234567890123456.7, "1234567890123456.8"], [12345678901234567.0, "1.2345678901234568e+16"]];
    for (const [value, text] of cases) assert.equal(floatRepr(value), text, `repr(${value})`);
  });
});

describe("JSON on Skulpt values", () => {
  test("dumps keeps int and float apart and refuses what JSON cannot hold", () => {
    const py = convert.jsonLoads('{"a": [1, 2.5, null, true, "x\\u00e9"]}');
    assert.equal(convert.jsonDumps(py), '{"a":[1,2.5,null,true,"x\u00e9"]}');
    assert.equal(convert.jsonDumps(new Sk.builtin.float_(3)), "3.0");
    assert.throws(() => convert.jsonDumps(new Sk.builtin.float_(NaN)), (e) => e instanceof Sk.builtin.ValueError);
    assert.throws(() => convert.jsonDumps(new Sk.builtin.set([])), (e) => e instanceof Sk.builtin.TypeError);
  });

  test("loads refuses text that is not JSON with a ValueError", () => {
    assert.throws(() => convert.jsonLoads("{nope"), (e) => e instanceof Sk.builtin.ValueError);
  });
});

describe("JsProxy", () => {
  test("JS values become Python values and back; objects stay proxies", () => {
    const target = { n: 3, s: "x", nested: { ok: true } };
    const proxy = convert.toPy(target);
    assert.ok(proxy instanceof convert.JsProxy);
    assert.equal(convert.toJs(proxy), target);
    assert.equal(convert.toJs(convert.toPy(2.5)), 2.5);
    assert.equal(convert.toPy(null), Sk.builtin.none.none$);
    assert.deepEqual(convert.toJs(new Sk.builtin.list([new Sk.builtin.int_(1), new Sk.builtin.str("a")])), [1, "a"]);
  });
});

describe("JSON loads on every engine", () => {
  test("keeps 1.0 a float, 1 an int and big ints exact", () => {
    const py = convert.jsonLoads('[1.0, 1, 12345678901234567890, -0.0, 1e3, "\\u00001.5"]');
    assert.deepEqual(py.v.map((item) => item.tp$name), ["float", "int", "int", "float", "float", "str"]);
    assert.equal(py.v[2].toString(), "12345678901234567890");
    assert.equal(convert.jsonDumps(py), '[1.0,1,12345678901234567890,-0.0,1000.0,"\\u00001.5"]');
  });
});
