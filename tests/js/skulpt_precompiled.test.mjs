// js_bridge/skulpt_precompiled.mjs: compiled code is used only for the very source it was compiled from.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";

import { compileBundle, compileSettings, fingerprint, usePrecompiled } from "../../js_bridge/skulpt_precompiled.mjs";

const require = createRequire(import.meta.url);
require("../../node_modules/skulpt/dist/skulpt.min.js");
const Sk = globalThis.Sk;
Sk.configure(compileSettings(Sk));

test("a module's precompiled code is used when its source matches, and compiled afresh when it changed", () => {
  const bundle = compileBundle(Sk, { "src/lib/m.py": "x = 1\n" });
  assert.equal(bundle.files["src/lib/m.py"].fingerprint, fingerprint("x = 1\n"));
  const original = Sk.compile;
  try {
    const used = usePrecompiled(Sk, bundle);
    assert.equal(Sk.compile("x = 1\n", "src/lib/m.py", "exec", true).code, bundle.files["src/lib/m.py"].code);
    assert.equal(used.count, 1);
    const changed = Sk.compile("x = 2\n", "src/lib/m.py", "exec", true);
    assert.notEqual(changed.code, bundle.files["src/lib/m.py"].code);
    assert.match(changed.code, /2/);
    Sk.compile("x = 1\n", "src/lib/m.py", "exec", false); // compiled for a context that cannot suspend: not the bundle's
    assert.equal(used.count, 1);
  } finally {
    Sk.compile = original;
  }
});

test("fingerprints differ for different sources of the same length", () => {
  assert.notEqual(fingerprint("ab"), fingerprint("ba"));
});
