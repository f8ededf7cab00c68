// Message framing shared by the transports: which incoming messages carry media, and the binary-safe
// multipart body of /_/server-call-http (every part has a Content-Length).
//
//   const parts = parseParts(bodyBytes, boundary);   // [{type: "application/json", body: Uint8Array}, ...]

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** Number of media items whose chunks follow this message (entries whose type names DataMedia). */
export function mediaCount(message) {
  const objects = Array.isArray(message.objects) ? message.objects : [];
  return objects.filter((o) => o && Array.isArray(o.type) && o.type[0] === "DataMedia").length;
}

/** True for the message that ends a call: a response or an error. */
export function isFinal(message) {
  return "response" in message || "error" in message;
}

/** Collects one incoming message and its media frames until every media item had its last chunk. */
export class IncomingMessage {
  constructor(text, message) {
    this.text = text;
    this.message = message;
    this.frames = [];
    this.remaining = mediaCount(message);
  }

  get complete() {
    return this.remaining === 0;
  }

  addFrame(headerText, header, bytes) {
    this.frames.push([headerText, bytes]);
    if (header.lastChunk) this.remaining -= 1;
  }
}

/** Splits a /_/server-call-http response body into its parts; throws on a malformed body. */
export function parseParts(bytes, boundary) {
  const parts = [];
  const opening = textEncoder.encode(`--${boundary}\r\n`);
  const closing = textEncoder.encode(`--${boundary}--`);
  let position = 0;
  const startsWith = (needle, at) => needle.every((b, i) => bytes[at + i] === b);
  while (true) {
    if (startsWith(closing, position)) return parts;
    if (!startsWith(opening, position)) throw new Error(`malformed response: no boundary at byte ${position}`);
    let headerEnd = position + opening.length;
    while (!(bytes[headerEnd] === 13 && bytes[headerEnd + 1] === 10 && bytes[headerEnd + 2] === 13 && bytes[headerEnd + 3] === 10)) {
      headerEnd += 1;
      if (headerEnd >= bytes.length) throw new Error("malformed response: unterminated part headers");
    }
    const headers = {};
    for (const line of textDecoder.decode(bytes.subarray(position + opening.length, headerEnd)).split("\r\n")) {
      const colon = line.indexOf(": ");
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 2);
    }
    const start = headerEnd + 4;
    const end = start + Number(headers["content-length"]);
    parts.push({ type: headers["content-type"], body: bytes.subarray(start, end) });
    position = end + 2;
  }
}

/** Turns the parts of a response into messages with their media frames (as the WebSocket delivers them). */
export function messagesFromParts(parts) {
  const messages = [];
  let current = null;
  for (let i = 0; i < parts.length; i++) {
    const text = textDecoder.decode(parts[i].body);
    const message = JSON.parse(text);
    if (message.type === "CHUNK_HEADER") {
      current.addFrame(text, message, parts[i + 1].body);
      i += 1;
    } else {
      current = new IncomingMessage(text, message);
      messages.push(current);
    }
  }
  return messages;
}

/** The multipart form of a CALL for /_/server-call-http. */
export function callForm(text, frames) {
  const form = new FormData();
  form.append("json-data", text);
  frames.forEach(([headerText, bytes], n) => {
    form.append(`chunk-json-0-${n}`, headerText);
    form.append(`chunk-data-0-${n}`, new Blob([bytes]));
  });
  return form;
}

/** The boundary named in a multipart Content-Type header. */
export function boundaryOf(contentType) {
  const match = /boundary=([^;]+)/.exec(contentType || "");
  if (!match) throw new Error(`not a multipart response: ${contentType}`);
  return match[1];
}
