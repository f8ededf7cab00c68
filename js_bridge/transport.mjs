// Transports for calls from the browser to the server.
//
// WebSocketTransport: one lazily opened socket to /_/ws; keepalive every 5 s; calls run concurrently;
// calls made while disconnected wait and go out after reconnect (capped exponential backoff with jitter);
// a call already sent when the socket drops fails at once as offline (never re-sent). A new session token
// (reset_session) moves new calls to a new socket; the old one stays open until the calls sent on it are
// answered, then closes.
// HttpTransport: the same calls over POST /_/server-call-http (when WebSockets are unavailable).
// syncHttpCall: a blocking POST for Python code that cannot suspend (no JSPI).
//
//   const transport = new WebSocketTransport({ origin: location.origin });
//   const { text, frames } = await transport.call("id-1", callJsonText, [], (text, frames) => {});

import { IncomingMessage, boundaryOf, callForm, isFinal, messagesFromParts, parseParts } from "./frames.mjs";

export const DEFAULT_BACKOFF = { initialMs: 200, maxMs: 10000, factor: 2, jitter: 0.3 };

/** A failure to reach the server; `offline` distinguishes it from a server error. */
export class OfflineError extends Error {
  constructor(message) {
    super(message);
    this.offline = true;
  }
}

function withSession(url, sessionToken) {
  return sessionToken ? `${url}?_anvil_session=${encodeURIComponent(sessionToken)}` : url;
}

/** Delay before reconnect attempt `attempt` (0-based): capped exponential with +/- jitter. */
export function backoffDelay(attempt, { initialMs, maxMs, factor, jitter } = DEFAULT_BACKOFF, random = Math.random) {
  const base = Math.min(maxMs, initialMs * factor ** attempt);
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

export class WebSocketTransport {
  constructor({ origin, keepaliveMs = 5000, backoff = DEFAULT_BACKOFF, offlineTimeoutMs = 30000, WebSocketImpl = globalThis.WebSocket }) {
    this.url = origin.replace(/^http/, "ws") + "/_/ws";
    this.keepaliveMs = keepaliveMs;
    this.backoff = backoff;
    this.offlineTimeoutMs = offlineTimeoutMs;
    this.WebSocketImpl = WebSocketImpl;
    this.sessionToken = null;
    this.socket = null;
    this.calls = new Map(); // id -> {text, frames, onMessage, resolve, reject, socket (once sent), queuedAt}
    this.retiring = new Set(); // sockets of an old session, kept open until their calls are answered
    this.attempt = 0;
    this.reconnectTimer = null;
    this.keepaliveTimer = null;
    this.keepaliveCount = 0;
    this.offlineTimer = null;
  }

  /** Send a CALL (its JSON text and media frames); resolves with the final message and its frames. */
  call(id, text, frames, onMessage) {
    return new Promise((resolve, reject) => {
      this.calls.set(id, { text, frames, onMessage, resolve, reject, socket: null, queuedAt: Date.now() });
      if (this.socket && this.socket.readyState === 1) {
        this.send(this.calls.get(id));
      } else {
        this.connectSoon();
        this.watchQueue();
      }
    });
  }

  /** Use a new session token (after reset_session): later calls go on a new socket; calls already sent on the
   * old one still get their replies, and it closes once they have. */
  setSessionToken(token) {
    this.sessionToken = token;
    const old = this.socket;
    if (!old) return;
    this.socket = null;
    clearInterval(this.keepaliveTimer);
    this.retiring.add(old);
    this.closeIfIdle(old);
    if ([...this.calls.values()].some((entry) => !entry.socket)) this.connectSoon();
  }

  /** Close a retiring socket once no call sent on it waits for its reply. */
  closeIfIdle(socket) {
    if (!this.retiring.has(socket)) return;
    for (const entry of this.calls.values()) if (entry.socket === socket) return;
    this.retiring.delete(socket);
    socket.close(1000, "session changed");
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
    const socket = new this.WebSocketImpl(withSession(this.url, this.sessionToken));
    socket.binaryType = "arraybuffer";
    socket.incoming = null; // message whose media frames are arriving on this socket
    socket.chunkHeader = null;
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.keepaliveTimer = setInterval(() => this.sendKeepalive(), this.keepaliveMs);
      for (const entry of this.calls.values()) if (!entry.socket) this.send(entry);
    };
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => this.closed(socket, event.code);
  }

  send(entry) {
    entry.socket = this.socket;
    this.socket.send(entry.text);
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

  receive(socket, data) {
    if (typeof data !== "string") {
      const header = socket.chunkHeader;
      socket.chunkHeader = null;
      if (header && socket.incoming) {
        socket.incoming.addFrame(header.text, header.message, new Uint8Array(data));
        if (socket.incoming.complete) this.deliver(socket, socket.incoming);
      }
      return;
    }
    const message = JSON.parse(data);
    if (message.type === "CHUNK_HEADER") {
      socket.chunkHeader = { text: data, message };
      return;
    }
    if (typeof message.id === "string" && message.id.startsWith("client-keepalive")) return;
    const incoming = new IncomingMessage(data, message);
    if (incoming.complete) this.deliver(socket, incoming);
    else socket.incoming = incoming;
  }

  deliver(socket, incoming) {
    if (socket.incoming === incoming) socket.incoming = null;
    const entry = this.calls.get(incoming.message.id);
    if (!entry) return;
    if (isFinal(incoming.message)) {
      this.calls.delete(incoming.message.id);
      entry.resolve({ text: incoming.text, frames: incoming.frames });
      this.closeIfIdle(socket);
    } else if (entry.onMessage) {
      entry.onMessage(incoming.text, incoming.frames);
    }
  }

  closed(socket, code) {
    for (const [id, entry] of this.calls) {
      if (entry.socket === socket) {
        this.calls.delete(id);
        entry.reject(new OfflineError(`Connection to server failed (${code})`));
      }
    }
    if (this.retiring.delete(socket) || this.socket !== socket) return;
    this.socket = null;
    clearInterval(this.keepaliveTimer);
    this.attempt += 1;
    if (this.calls.size > 0) this.connectSoon();
  }

  /** Calls that wait too long for a connection fail as offline rather than hang. */
  watchQueue() {
    if (this.offlineTimer) return;
    this.offlineTimer = setInterval(() => {
      const now = Date.now();
      for (const [id, entry] of this.calls) {
        if (!entry.socket && now - entry.queuedAt > this.offlineTimeoutMs) {
          this.calls.delete(id);
          entry.reject(new OfflineError("Connection to server failed (no connection)"));
        }
      }
      if (![...this.calls.values()].some((e) => !e.socket)) {
        clearInterval(this.offlineTimer);
        this.offlineTimer = null;
      }
    }, 1000);
  }
}

export class HttpTransport {
  constructor({ origin, fetchImpl = globalThis.fetch.bind(globalThis) }) {
    this.url = origin + "/_/server-call-http";
    this.fetchImpl = fetchImpl;
    this.sessionToken = null;
  }

  setSessionToken(token) {
    this.sessionToken = token;
  }

  async call(id, text, frames, onMessage) {
    let response;
    try {
      response = await this.fetchImpl(withSession(this.url, this.sessionToken),
        { method: "POST", body: callForm(text, frames), credentials: "same-origin" });
    } catch (e) {
      throw new OfflineError(`Connection to server failed (${e.message})`);
    }
    if (!response.ok) throw new OfflineError(`Connection to server failed (HTTP ${response.status})`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const messages = messagesFromParts(parseParts(bytes, boundaryOf(response.headers.get("content-type"))));
    for (const incoming of messages) {
      if (isFinal(incoming.message)) return { text: incoming.text, frames: incoming.frames };
      if (onMessage) onMessage(incoming.text, incoming.frames);
    }
    throw new OfflineError("Connection to server failed (no response in reply)");
  }
}

/** A blocking POST of a CALL (for code that cannot suspend): the raw response, as messages with frames. */
export function syncHttpCall(origin, sessionToken, text, frames) {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", withSession(origin + "/_/server-call-http", sessionToken), false);
  xhr.overrideMimeType("text/plain; charset=x-user-defined");
  try {
    xhr.send(callForm(text, frames));
  } catch (e) {
    throw new OfflineError(`Connection to server failed (${e.message})`);
  }
  if (xhr.status !== 200) throw new OfflineError(`Connection to server failed (HTTP ${xhr.status})`);
  const raw = xhr.responseText;
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i) & 0xff;
  return messagesFromParts(parseParts(bytes, boundaryOf(xhr.getResponseHeader("content-type"))));
}
