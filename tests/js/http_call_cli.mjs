// Makes one call over /_/server-call-http with js_bridge/transport.mjs's HttpTransport (the browser's own reader
// of the reply, frames.mjs), for Python tests that check the server's framing with the real client.
//
//   echo '{"origin": "http://127.0.0.1:8000", "token": null, "id": "c1", "text": "{...CALL...}",
//          "frames": [["{...CHUNK_HEADER...}", "<base64>"]]}' | node tests/js/http_call_cli.mjs
//   -> {"messages": [{"text": "...", "media": {"<mediaId>": "<base64>"} | null, "error": null}, ...]}   (the last one is final)

import { SessionKeeper } from "../../js_bridge/session.mjs";
import { HttpTransport } from "../../js_bridge/transport.mjs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const toWire = ([headerText, base64]) => [headerText, new Uint8Array(Buffer.from(base64, "base64"))];
const fromReply = ({ text, media, error }) => ({ text, error,
  media: media && Object.fromEntries(Object.entries(media).map(([id, bytes]) => [id, Buffer.from(bytes).toString("base64")])) });

const session = new SessionKeeper(request.origin, null);
if (request.token) session.confirm(request.token);
const transport = new HttpTransport({ origin: request.origin, session });
const messages = [];
try {
  const final = await transport.call(request.id, request.text, request.frames.map(toWire),
    (reply) => messages.push(fromReply(reply)));
  messages.push(fromReply(final));
  process.stdout.write(JSON.stringify({ messages }));
} catch (error) {
  process.stdout.write(JSON.stringify({ messages, error: String(error && error.message), offline: Boolean(error && error.offline) }));
}
