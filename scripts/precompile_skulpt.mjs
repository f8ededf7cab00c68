// Compiles the Skulpt runtime's Python (js_bridge/skulpt_lib/) and the Skulpt library modules it imports into
// one bundle the page uses instead of compiling them on every start (js_bridge/skulpt_precompiled.mjs), and copies
// the client package's modules the Skulpt runtime shares (SHARED_LIB_FILES, from client/) into the dist's
// skulpt_lib/, next to the bundle. Run by scripts/build_pyodide_dist.py:
//
//   node scripts/precompile_skulpt.mjs build/dist/skulpt-precompiled.json

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { compileBundle, compileSettings } from "../js_bridge/skulpt_precompiled.mjs";
import { SHARED_LIB_FILES, SKULPT_LIB_FILES } from "../js_bridge/skulpt_runtime.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Skulpt library modules the runtime's Python imports (compiled from Python source on every start otherwise). */
const SKULPT_MODULES = ["src/lib/datetime.py"];

const require = createRequire(import.meta.url);
require(join(ROOT, "node_modules/skulpt/dist/skulpt.min.js"));
require(join(ROOT, "node_modules/skulpt/dist/skulpt-stdlib.js"));
const Sk = globalThis.Sk;
Sk.configure(compileSettings(Sk)); // as js_bridge/skulpt_runtime.mjs configures it

const sources = {};
for (const path of SKULPT_LIB_FILES) sources[`src/lib/${path}`] = readFileSync(join(ROOT, "js_bridge", "skulpt_lib", path), "utf8");
for (const path of SHARED_LIB_FILES) sources[`src/lib/${path}`] = readFileSync(join(ROOT, "client", path), "utf8");
for (const filename of SKULPT_MODULES) sources[filename] = Sk.builtinFiles.files[filename];
const [out] = process.argv.slice(2);
for (const path of SHARED_LIB_FILES) {
  const target = join(dirname(resolve(out)), "skulpt_lib", path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, sources[`src/lib/${path}`]);
}
const bundle = compileBundle(Sk, sources);
writeFileSync(out, JSON.stringify(bundle));
console.log(`skulpt precompiled: ${Object.keys(bundle.files).length} modules into ${out}`);
