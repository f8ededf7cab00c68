// The page's session with one server, kept by the runtime: never in a cookie (an embedding page on another
// site gets none) and never in a URL (URLs land in access logs).
//
// Every connection starts with a SESSION message: {type: "SESSION", token, fresh} as the first WebSocket
// message, or the `session` field of a /_/server-call-http form. The server answers {type: "SESSION", token}
// with the token of the session in use (null: it expired). `fresh` is true until the server has answered
// once in this page load: a stale token from an earlier load then gets a new session instead of
// SessionExpiredError. The token is kept in sessionStorage under the server's origin, so a reload of the
// page (in the same tab) keeps its session, and pages embedding several servers keep one per server.
//
//   const session = new SessionKeeper("https://app.example.com");
//   socket.send(session.requestText());          // first, on every (re)connect
//   session.confirm(reply.token);                // on the server's SESSION message

export const SESSION_MESSAGE = "SESSION";
const STORAGE_PREFIX = "anvil-pyodide-session ";

function pageStorage() {
  try {
    return globalThis.sessionStorage || null; // throws where storage is blocked (sandboxed frames)
  } catch {
    return null;
  }
}

export class SessionKeeper {
  constructor(serverOrigin, storage = pageStorage()) {
    this.key = STORAGE_PREFIX + serverOrigin;
    this.storage = storage;
    this.token = null;
    this.confirmed = false;
    try {
      this.token = storage ? storage.getItem(this.key) : null;
    } catch {
      this.storage = null;
    }
  }

  /** The SESSION message that opens a connection. */
  request() {
    return { type: SESSION_MESSAGE, token: this.token, fresh: !this.confirmed };
  }

  requestText() {
    return JSON.stringify(this.request());
  }

  /** Take the server's answer (a token, or null when the session expired) or a new token (reset_session). */
  confirm(token) {
    this.confirmed = true;
    if (typeof token !== "string" || !token) return;
    this.token = token;
    try {
      if (this.storage) this.storage.setItem(this.key, token);
    } catch {
      this.storage = null; // full or blocked: keep the token for this page load only
    }
  }

  /** True for the server's SESSION message (which the keeper takes; it is no call's reply). */
  take(message) {
    if (!message || message.type !== SESSION_MESSAGE) return false;
    this.confirm(message.token);
    return true;
  }
}
