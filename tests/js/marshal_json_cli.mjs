// Runs js_bridge/marshal_json.mjs for Python tests: marshal bytes -> JSON text, and floats -> Python's repr.
//
//   echo '{"marshal": ["<base64>", ...], "floats": [1.0, 1e16]}' | node tests/js/marshal_json_cli.mjs
//   -> {"texts": ["[1, 2.5]", null, ...], "floats": ["1.0", "1e+16"]}

import { marshalToJson, pythonFloatRepr } from "../../js_bridge/marshal_json.mjs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
process.stdout.write(JSON.stringify({
  texts: request.marshal.map((packed) => marshalToJson(new Uint8Array(Buffer.from(packed, "base64")))),
  floats: request.floats.map(pythonFloatRepr),
}));
