// Runs Python on the Skulpt runtime in Node, with the runtime's native module (without a bridge: JSON, JsProxy)
// and its Python library (js_bridge/skulpt_lib/), for tests of the Skulpt-side code that need no server.
//
//   node --harmony-json-parse-with-source tests/support/skulpt_node.mjs program.py [extra_dir]
//
// Prints what the program prints; exits 1 with the Python traceback on stderr when it fails. Modules in
// extra_dir (if given) are importable too. Node 20 needs the flag to give JSON.parse the numbers' source text
// (Chromium does without it), which keeps "1.0" a float.

import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);
require(join(ROOT, "node_modules/skulpt/dist/skulpt.min.js"));
require(join(ROOT, "node_modules/skulpt/dist/skulpt-stdlib.js"));
const { NATIVE_MODULE_SOURCE, formatPythonError, installNativeModule } = await import(join(ROOT, "js_bridge/skulpt_native.mjs"));
const { compileSettings } = await import(join(ROOT, "js_bridge/skulpt_precompiled.mjs"));

const Sk = globalThis.Sk;
const [program, extraDir] = process.argv.slice(2);
const LIB = join(ROOT, "js_bridge", "skulpt_lib");
installNativeModule(Sk);
Sk.configure({
  ...compileSettings(Sk),
  output: (text) => process.stdout.write(text),
  read: (filename) => {
    if (filename === "src/lib/_anvil_skulpt.js") return NATIVE_MODULE_SOURCE;
    if (filename.startsWith("src/lib/") && existsSync(join(LIB, filename.slice(8)))) return readFileSync(join(LIB, filename.slice(8)), "utf8");
    if (extraDir && filename.startsWith("./") && existsSync(join(extraDir, filename.slice(2)))) return readFileSync(join(extraDir, filename.slice(2)), "utf8");
    if (Sk.builtinFiles.files[filename] !== undefined) return Sk.builtinFiles.files[filename];
    throw new Sk.builtin.IOError(`File not found: '${filename}'`);
  },
});
try {
  await Sk.misceval.asyncToPromise(() => Sk.importMainWithBody("program", false, readFileSync(program, "utf8"), true));
} catch (error) {
  process.stderr.write(formatPythonError(Sk, error) + "\n");
  process.exit(1);
}
