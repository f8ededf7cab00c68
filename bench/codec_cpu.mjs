// CPU time (process.cpuUsage: less disturbed by load than wall time) of the codec row's pieces in Pyodide on
// Node: the runtime's path (message_text + decode_js_reply with the bridge's JS helpers), each half, the pickler,
// and the Python-only codec, against JSON.parse+JSON.stringify of the same text. Prints a table.
// Usage: node bench/codec_cpu.mjs <dist dir> <runtime wheel file name>
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const distDir = resolve(process.argv[2]);
const { loadPyodide } = await import(join(distDir, "pyodide.mjs"));
const { plainJsonText } = await import(join(here, "..", "js_bridge", "marshal_json.mjs"));
const { typedJsonText } = await import(join(here, "..", "js_bridge", "pickle_json.mjs"));
const { replyOf } = await import(join(here, "..", "js_bridge", "transport.mjs"));

const pyodide = await loadPyodide({ indexURL: distDir + "/" });
await pyodide.loadPackage(join(distDir, process.argv[3]));
for (const name of ["payload.py", "codec_timing.py"]) {
  pyodide.FS.writeFile(`/home/pyodide/${name}`, readFileSync(join(here, name), "utf8"));
}
pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
pyodide.registerJsModule("_anvil_bridge", { plainJson: plainJsonText, typedJson: typedJsonText });
pyodide.runPython(`
import json, codec_timing
from anvil._browser.calls import message_text, decode_js_reply
from anvil._browser.typed_pickle import typed_pickle
from anvil._wire import encode_message, decode_message
`);

/** Milliseconds of CPU per call of fn, after 3 warm-up calls. */
function cpu(label, fn, calls = 10) {
  for (let i = 0; i < 3; i++) fn();
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000 / calls;
  console.log(`${label.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms CPU`);
  return ms;
}

const decode = pyodide.globals.get("decode_js_reply");
for (const [name, records, special] of pyodide.runPython("[list(p) for p in codec_timing.PAYLOADS]").toJs()) {
  console.log(`-- ${name}`);
  pyodide.runPython(`m = {"id": "bench", "response": codec_timing.make_payload(${records}, ${special ? "True" : "False"})}`);
  const text = pyodide.runPython("codec_timing.wire_text(m['response'])");
  const encode = pyodide.runPython("lambda: message_text(m)[0]");
  const textOf = (sent) => (typeof sent === "string" ? sent : sent.text);
  const baseline = cpu("JSON.parse+JSON.stringify", () => JSON.stringify(JSON.parse(text)));
  const ours = cpu("ours: message_text + decode_js_reply", () => {
    decode(replyOf({ text: textOf(encode()), media: null, error: null })).destroy();
  });
  cpu("  message_text", () => encode());
  cpu("  decode_js_reply", () => decode(replyOf({ text, media: null, error: null })).destroy());
  cpu("  typed_pickle (Python's half of pickle_json)", pyodide.runPython("lambda: typed_pickle(m)"));
  const python = cpu("Python-only codec path",
    pyodide.runPython("lambda: decode_message(json.loads(json.dumps(encode_message(m).message)))"), 3);
  console.log(`ratio ours ${(ours / baseline).toFixed(2)}x, Python-only ${(python / baseline).toFixed(2)}x`);
}
