// Transcodes JSON texts with js_bridge/json_marshal.mjs, for Python tests that compare marshal.loads of the
// result with json.loads of the text.
//
//   echo '["[1, 2.5]", "{bad"]' | node tests/js/json_marshal_cli.mjs
//   -> ["WwIAAABpAQAAAGcAAAAAAAAEQA==", null]     (base64 of the marshal bytes; null: left to json.loads)
//   node tests/js/json_marshal_cli.mjs --scalar-entries   (the bridge's mode: pre-parsed scalar `objects`)

import { jsonToMarshal } from "../../js_bridge/json_marshal.mjs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const texts = JSON.parse(Buffer.concat(chunks).toString("utf8"));
process.stdout.write(JSON.stringify(texts.map((text) => {
  const packed = jsonToMarshal(text, { scalarEntries: process.argv.includes("--scalar-entries") });
  return packed && Buffer.from(packed).toString("base64");
})));
