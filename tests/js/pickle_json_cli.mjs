// Runs js_bridge/pickle_json.mjs for Python tests: pickle bytes -> the wire's JSON text (or null).
//
//   echo '{"pickle": ["<base64>", ...]}' | node tests/js/pickle_json_cli.mjs
//   -> {"texts": ["{\"id\": ..., \"objects\": [...]}", null, ...]}

import { pickleToJson } from "../../js_bridge/pickle_json.mjs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
process.stdout.write(JSON.stringify({
  texts: request.pickle.map((packed) => pickleToJson(new Uint8Array(Buffer.from(packed, "base64")))),
}));
