// Transports for calls from the browser to the server.
//
// WebSocketTransport: one lazily opened socket to /_/ws; keepalive every 5 s; calls run concurrently;
// calls made while disconnected wait and go out after reconnect (capped exponential backoff with jitter);
// a call already sent when the socket drops fails at once as offline (never re-sent).
// HttpTransport: the same calls over POST /_/server-call-http (when WebSockets are unavailable).
// syncHttpCall: a blocking POST for Python code that cannot suspend (no JSPI).
// All three carry the page's session in a SESSION message (session.mjs), never in the URL or a cookie.
//
//   const transport = new WebSocketTransport({ origin: "https://app.example.com", session: new SessionKeeper(origin) });
//   const { text, media, error } = await transport.call("id-1", callJsonText, null, (progress) => {});
//
// A reply is {text, media, error, utf8, marshal}: the message's JSON text, its media as {mediaId: Uint8Array}
// (each item assembled into one buffer; null when it has none), a framing problem found in its chunks (or
// null), and, computed when read, the text's UTF-8 bytes and its value in Python's marshal format
// (json_marshal.mjs; null when the text is left to Python's json).
// `frames` of a call are [[chunkHeaderText, bytes], ...] or null.

import { IncomingMessage, boundaryOf, callForm, isFinal, messagesFromParts, parseParts } from "./frames.mjs";
import { jsonToMarshal } from "./json_marshal.mjs";
import { SessionKeeper } from "./session.mjs";

const utf8Encoder = new TextEncoder();

/** What a call's caller gets for one incoming message: {text, media, error}, and, made when asked, `utf8`,
 *  the text as UTF-8 bytes, and `marshal`, its value as Python's marshal bytes (or null). Python reads bytes:
 *  copying bytes into Python costs ~1 ms per MB where converting a JS string costs ~20, and marshal.loads
 *  builds the values 2-4x faster than json.loads parses the text. */
export function replyOf(incoming) {
  return {
    text: incoming.text,
    media: incoming.media,
    error: incoming.error,
    get utf8() {
      return utf8Encoder.encode(this.text);
    },
    get marshal() {
      return jsonToMarshal(this.text, { scalarEntries: true });
    },
  };
}

export const DEFAULT_BACKOFF = { initialMs: 200, maxMs: 10000, factor: 2, jitter: 0.3 };

/** A failure to reach the server; `offline` distinguishes it from a server error. */
export class OfflineError extends Error {
  constructor(message) {
    super(message);
    this.offline = true;
  }
}

/** The form of a CALL with the page's SESSION message as its `session` field. */
function sessionCallForm(session, text, frames) {
  const form = callForm(text, frames);
  form.append("session", session.requestText());
  return form;
}

/** The messages of a response, minus the SESSION message (which `session` takes). */
function callMessages(session, bytes, contentType) {
  return messagesFromParts(parseParts(bytes, boundaryOf(contentType))).filter((m) => !session.take(m.message));
}

/** Delay before reconnect attempt `attempt` (0-based): capped exponential with +/- jitter. */
export function backoffDelay(attempt, { initialMs, maxMs, factor, jitter } = DEFAULT_BACKOFF, random = Math.random) {
  const base = Math.min(maxMs, initialMs * factor ** attempt);
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

export class WebSocketTransport {
  constructor({ origin, session = new SessionKeeper(origin), keepaliveMs = 5000, backoff = DEFAULT_BACKOFF, offlineTimeoutMs = 30000,
                WebSocketImpl = globalThis.WebSocket }) {
    this.url = origin.replace(/^http/, "ws") + "/_/ws";
    this.session = session;
    this.keepaliveMs = keepaliveMs;
    this.backoff = backoff;
    this.offlineTimeoutMs = offlineTimeoutMs;
    this.WebSocketImpl = WebSocketImpl;
    this.socket = null;
    this.calls = new Map(); // id -> {text, frames, onMessage, resolve, reject, sent, queuedAt}
    this.incoming = null; // message whose media frames are arriving
    this.chunkHeader = null;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.keepaliveTimer = null;
    this.keepaliveCount = 0;
    this.offlineTimer = null;
  }

  /** Send a CALL (its JSON text and media frames, or null); resolves with the final reply. */
  call(id, text, frames, onMessage) {
    return new Promise((resolve, reject) => this.start(id, text, frames, onMessage, resolve, reject));
  }

  /** `call` reporting to `resolve(reply)` or `reject(error)` itself, with no promise in between (a blocking call
   *  from Python waits on its own Future: bridge.callSettled). */
  start(id, text, frames, onMessage, resolve, reject) {
    const entry = { text, frames, onMessage, resolve, reject, sent: false, queuedAt: Date.now() };
    this.calls.set(id, entry);
    if (this.socket && this.socket.readyState === 1) {
      this.send(entry);
    } else {
      this.connectSoon();
      this.watchQueue();
    }
  }

  /** The page's session changed elsewhere (a log-in over HTTP): a socket still in another session reconnects
   * (its next SESSION message names the new one). A change this socket was told about keeps it open. */
  followSession(token) {
    if (this.socket && this.socketToken && this.socketToken !== token) this.socket.close(1000, "session changed");
  }

  connectSoon() {
    if (this.socket || this.reconnectTimer) return;
    const delay = this.attempt === 0 ? 0 : backoffDelay(this.attempt - 1, this.backoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  open() {
    const socket = new this.WebSocketImpl(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      socket.send(this.session.requestText());
      this.keepaliveTimer = setInterval(() => this.sendKeepalive(), this.keepaliveMs);
      for (const entry of this.calls.values()) if (!entry.sent) this.send(entry);
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(socket, event.code);
  }

  send(entry) {
    entry.sent = true;
    this.socket.send(entry.text);
    if (!entry.frames) return;
    for (const [headerText, bytes] of entry.frames) {
      this.socket.send(headerText);
      this.socket.send(bytes);
    }
  }

  sendKeepalive() {
    if (!this.socket || this.socket.readyState !== 1) return;
    this.keepaliveCount += 1;
    this.socket.send(JSON.stringify({ type: "CALL", id: `client-keepalive-${this.keepaliveCount}`,
      command: "anvil.private.echo", args: ["keep-alive"], kwargs: {}, objects: [] }));
  }

  receive(data) {
    if (typeof data !== "string") {
      const header = this.chunkHeader;
      this.chunkHeader = null;
      if (header && this.incoming) {
        this.incoming.addFrame(header.text, header.message, new Uint8Array(data));
        if (this.incoming.complete) this.deliver(this.incoming);
      }
      return;
    }
    const message = JSON.parse(data);
    if (this.session.take(message)) {
      this.socketToken = this.session.token; // the session this socket is in (the server said so)
      return;
    }
    if (message.type === "CHUNK_HEADER") {
      this.chunkHeader = { text: data, message };
      return;
    }
    if (typeof message.id === "string" && message.id.startsWith("client-keepalive")) return;
    const incoming = new IncomingMessage(data, message);
    if (incoming.complete) this.deliver(incoming);
    else this.incoming = incoming;
  }

  deliver(incoming) {
    if (this.incoming === incoming) this.incoming = null;
    const entry = this.calls.get(incoming.message.id);
    if (!entry) return;
    if (isFinal(incoming.message)) {
      this.calls.delete(incoming.message.id);
      entry.resolve(replyOf(incoming));
    } else if (entry.onMessage) {
      entry.onMessage(replyOf(incoming));
    }
  }

  closed(socket, code) {
    if (this.socket !== socket) return;
    this.socket = null;
    this.incoming = null;
    this.chunkHeader = null;
    clearInterval(this.keepaliveTimer);
    this.attempt += 1;
    for (const [id, entry] of this.calls) {
      if (entry.sent) {
        this.calls.delete(id);
        entry.reject(new OfflineError(`Connection to server failed (${code})`));
      }
    }
    if (this.calls.size > 0) this.connectSoon();
  }

  /** Calls that wait too long for a connection fail as offline rather than hang. */
  watchQueue() {
    if (this.offlineTimer) return;
    this.offlineTimer = setInterval(() => {
      const now = Date.now();
      for (const [id, entry] of this.calls) {
        if (!entry.sent && now - entry.queuedAt > this.offlineTimeoutMs) {
          this.calls.delete(id);
          entry.reject(new OfflineError("Connection to server failed (no connection)"));
        }
      }
      if (![...this.calls.values()].some((e) => !e.sent)) {
        clearInterval(this.offlineTimer);
        this.offlineTimer = null;
      }
    }, 1000);
  }
}

export class HttpTransport {
  constructor({ origin, session = new SessionKeeper(origin), fetchImpl = globalThis.fetch.bind(globalThis) }) {
    this.url = origin + "/_/server-call-http";
    this.session = session;
    this.fetchImpl = fetchImpl;
  }

  /** `call` reporting to `resolve` or `reject` (see WebSocketTransport.start). */
  start(id, text, frames, onMessage, resolve, reject) {
    this.call(id, text, frames, onMessage).then(resolve, reject);
  }

  async call(id, text, frames, onMessage) {
    let response;
    try {
      response = await this.fetchImpl(this.url,
        { method: "POST", body: sessionCallForm(this.session, text, frames), credentials: "same-origin" });
    } catch (e) {
      throw new OfflineError(`Connection to server failed (${e.message})`);
    }
    if (!response.ok) throw new OfflineError(`Connection to server failed (HTTP ${response.status})`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const messages = callMessages(this.session, bytes, response.headers.get("content-type"));
    for (const incoming of messages) {
      if (isFinal(incoming.message)) return replyOf(incoming);
      if (onMessage) onMessage(replyOf(incoming));
    }
    throw new OfflineError("Connection to server failed (no response in reply)");
  }
}

/** A blocking POST of a CALL (for code that cannot suspend): every message of the response, as replies. */
export function syncHttpCall(origin, session, text, frames) {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", origin + "/_/server-call-http", false);
  xhr.overrideMimeType("text/plain; charset=x-user-defined");
  try {
    xhr.send(sessionCallForm(session, text, frames));
  } catch (e) {
    throw new OfflineError(`Connection to server failed (${e.message})`);
  }
  if (xhr.status !== 200) throw new OfflineError(`Connection to server failed (HTTP ${xhr.status})`);
  const raw = xhr.responseText;
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i) & 0xff;
  return callMessages(session, bytes, xhr.getResponseHeader("content-type")).map(replyOf);
}
