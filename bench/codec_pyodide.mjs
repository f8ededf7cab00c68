// Codec benchmark inside Pyodide (Node): a message to JSON text and back the way the browser runtime does it
// (client/anvil/_browser/calls.py message_text and decode_js_reply, with the bridge's JS helpers
// marshal_json.mjs, pickle_json.mjs and json_marshal.mjs through transport.mjs's replyOf) vs JSON.parse+JSON.stringify of the
// same JSON text in the same JS runtime (seconds of each sample). Prints one JSON object on stdout.
// Usage: node bench/codec_pyodide.mjs <dist dir> <runtime wheel file name>
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const distDir = resolve(process.argv[2]);
const wheel = process.argv[3];
const { loadPyodide } = await import(join(distDir, "pyodide.mjs"));
const { plainJsonText } = await import(join(here, "..", "js_bridge", "marshal_json.mjs"));
const { typedJsonText } = await import(join(here, "..", "js_bridge", "pickle_json.mjs"));
const { replyOf } = await import(join(here, "..", "js_bridge", "transport.mjs"));

const pyodide = await loadPyodide({ indexURL: distDir + "/" });
await pyodide.loadPackage(join(distDir, wheel));
for (const name of ["payload.py", "codec_timing.py"]) {
  pyodide.FS.writeFile(`/home/pyodide/${name}`, readFileSync(join(here, name), "utf8"));
}
pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
pyodide.registerJsModule("_anvil_bridge", { plainJson: plainJsonText, typedJson: typedJsonText }); // the bridge's helpers (bridge.mjs)
pyodide.runPython("from anvil._browser.calls import message_text, decode_js_reply");
const decodeReply = pyodide.globals.get("decode_js_reply");

function timed(fn, samples) {
  fn();
  const times = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    fn();
    times.push((performance.now() - start) / 1000);
  }
  return times;
}

const results = {};
const payloads = pyodide.runPython("import codec_timing; [list(p) for p in codec_timing.PAYLOADS]").toJs();
for (const [name, records, special] of payloads) {
  const text = pyodide.runPython(
    `codec_timing.wire_text(codec_timing.make_payload(${records}, ${special ? "True" : "False"}))`);
  const jsSamples = timed(() => JSON.stringify(JSON.parse(text)), 7);
  pyodide.runPython(`bench_message = {"id": "bench", "response": codec_timing.make_payload(${records}, ${special ? "True" : "False"})}`);
  const encode = pyodide.runPython("lambda: message_text(bench_message)[0]");
  const ours = () => {
    const sent = encode(); // the bridge's {text}, or a str made by Python's codec (becoming a JS string here)
    const decoded = decodeReply(replyOf({ text: typeof sent === "string" ? sent : sent.text, media: null, error: null }));
    decoded.destroy();
  };
  const codecSamples = timed(ours, 7);
  encode.destroy();
  const py = pyodide.runPython(
    `codec_timing.time_codec(codec_timing.make_payload(${records}, ${special ? "True" : "False"}))`
  ).toJs({ dict_converter: Object.fromEntries });
  results[name] = { bytes: py.bytes, codec_samples: codecSamples, python_json_samples: py.json_samples,
                    python_codec_samples: py.codec_samples, js_json_samples: jsSamples };
}
console.log(JSON.stringify({ runtime: `pyodide ${pyodide.version} on node ${process.version}`, results }));
