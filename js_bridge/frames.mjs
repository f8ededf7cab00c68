// Message framing shared by the transports: an incoming message with its media assembled into one buffer
// per item, and the binary-safe multipart body of /_/server-call-http (every part has a Content-Length).
//
//   const parts = parseParts(bodyBytes, boundary);   // [{type: "application/json", body: Uint8Array}, ...]
//   const [incoming] = messagesFromParts(parts);     // {text, message, media: {mediaId: Uint8Array} | null, error}

import { mediaIds } from "./wire_types.mjs";

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** Number of media items whose chunks follow this message (see wire_types.mjs for the rule). */
export function mediaCount(message) {
  return mediaIds(message).length;
}

/** True for the message that ends a call: a response or an error. */
export function isFinal(message) {
  return "response" in message || "error" in message;
}

export const MAX_CHUNK_BYTES = 65536;

/** Collects one incoming message and its media chunks until every media item had its last chunk; each
 *  item's chunks are joined into one buffer (`media`: {mediaId: Uint8Array}, null when there is none).
 *  A chunk that does not fit the stream sets `error` (the decoder raises it) and is dropped. */
export class IncomingMessage {
  constructor(text, message) {
    this.text = text;
    this.message = message;
    this.error = null;
    this.parts = new Map(mediaIds(message).map((id) => [id, []]));
    this.media = this.parts.size ? {} : null;
    this.remaining = this.parts.size;
  }

  get complete() {
    return this.remaining === 0;
  }

  addFrame(headerText, header, bytes) {
    const problem = this.chunkProblem(header, bytes);
    if (problem) {
      this.error = this.error || problem;
      if (header && header.lastChunk && this.parts.has(header.mediaId) && !(header.mediaId in this.media)) {
        this.finish(header.mediaId);  // a broken item still ends, so the call gets its error instead of hanging
      }
      return;
    }
    const parts = this.parts.get(header.mediaId);
    parts.push(bytes);
    if (header.lastChunk) this.finish(header.mediaId);
  }

  chunkProblem(header, bytes) {
    if (!header || typeof header.mediaId !== "string") return "Malformed chunk header: mediaId must be a str";
    if (header.requestId !== this.message.id) return `Chunk for request ${JSON.stringify(header.requestId)} sent to request ${JSON.stringify(this.message.id)}`;
    const parts = this.parts.get(header.mediaId);
    if (!parts) return `Chunk for unknown media ${JSON.stringify(header.mediaId)}`;
    if (header.mediaId in this.media) return `Chunk after the last chunk of media ${JSON.stringify(header.mediaId)}`;
    if (header.chunkIndex !== parts.length) return `Media ${JSON.stringify(header.mediaId)}: expected chunk ${parts.length}, got chunk ${header.chunkIndex}`;
    if (bytes.byteLength > MAX_CHUNK_BYTES) return `Media ${JSON.stringify(header.mediaId)}: a chunk of ${bytes.byteLength} bytes is over ${MAX_CHUNK_BYTES}`;
    return null;
  }

  finish(mediaId) {
    this.media[mediaId] = concat(this.parts.get(mediaId));
    this.parts.set(mediaId, []);
    this.remaining -= 1;
  }
}

/** One Uint8Array holding the given chunks in order (the single chunk itself when there is one). */
export function concat(chunks) {
  if (chunks.length === 1) return chunks[0];
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
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

/** Turns the parts of a response into IncomingMessages with their media assembled (as over the WebSocket). */
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
  (frames || []).forEach(([headerText, bytes], n) => {
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
