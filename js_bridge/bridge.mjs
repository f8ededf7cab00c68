// What a runtime's Python (Pyodide's or Skulpt's) uses to reach the server: one transport (transport.mjs) and one
// bridge object over it, the same for both runtimes. Pyodide registers the bridge as the module `_anvil_bridge`;
// Skulpt's native module (skulpt_native.mjs) wraps it.
//
//   const { session, transport } = makeTransport("https://app.example.com");   // WebSocket, else HTTP
//   const bridge = makeBridge("https://app.example.com", transport, session, 100);
//   const reply = await bridge.call("id-1", callJsonText, null, true);          // with the loading spinner

import { plainJsonText } from "./marshal_json.mjs";
import { typedJsonText } from "./pickle_json.mjs";
import { SessionKeeper } from "./session.mjs";
import { ElementSpinners, GlobalSpinner } from "./spinner.mjs";
import { HttpTransport, OfflineError, WebSocketTransport, syncHttpCall } from "./transport.mjs";

/** The page's session keeper and the transport named by `kind` ("websocket" | "http"; default: WebSocket where
 *  the browser has it). */
export function makeTransport(serverUrl, kind) {
  const useWebSocket = kind ? kind === "websocket" : typeof WebSocket === "function";
  const session = new SessionKeeper(serverUrl);
  const transport = useWebSocket ? new WebSocketTransport({ origin: serverUrl, session })
    : new HttpTransport({ origin: serverUrl, session });
  return { session, transport };
}

/** A CALL's text as Python hands it over: a string, or the {text} that plainJson made (see below). */
function textOf(text) {
  return typeof text === "string" ? text : text.text;
}

/** The bridge object over `transport` (Pyodide registers it as the module `_anvil_bridge`). */
export function makeBridge(serverUrl, transport, session, spinnerDelayMs) {
  const spinner = new GlobalSpinner({ showDelayMs: spinnerDelayMs });
  return {
    spinner,
    elementSpinners: new ElementSpinners(),
    origin: serverUrl,
    transportKind: transport instanceof WebSocketTransport ? "websocket" : "http",
    session,
    // Set once by Python (anvil._browser.calls): onProgress(callId, reply) for messages before a result;
    // onSettled(callId, reply, error) ends a call made with callSettled.
    onProgress: null,
    onSettled: null,
    // The JSON text of a plain-JSON message from its marshal bytes, as {text}, or null (marshal_json.mjs).
    plainJson: plainJsonText,
    // The same for a message with dates, datetimes and Longs from its pickle bytes (pickle_json.mjs).
    typedJson: typedJsonText,
    call(id, text, frames, spinner) {
      return new Promise((resolve, reject) => this.callSettled(id, text, frames, spinner, resolve, reject));
    },
    /** `call`, reporting the outcome to `onSettled(id, reply, error)` (or to `resolve`/`reject` when given)
     *  instead of returning a promise: a Python that waits with run_sync on a Future of its own resumes without
     *  an event-loop turn, and no promise is made per call. The spinner stops before the outcome is reported. */
    callSettled(id, text, frames, spinner, resolve = (reply) => this.onSettled(id, reply, undefined),
                reject = (error) => this.onSettled(id, undefined, error)) {
      const fulfilled = spinner ? (reply) => { this.spinner.stop(); resolve(reply); } : resolve;
      const failed = spinner ? (error) => { this.spinner.stop(); reject(error); } : reject;
      if (spinner) this.spinner.start();
      try {
        transport.start(id, textOf(text), frames, (progress) => this.onProgress && this.onProgress(id, progress),
          fulfilled, failed);
      } catch (error) {
        failed(error);
      }
    },
    syncCall(text, frames) {
      return syncHttpCall(serverUrl, session, textOf(text), frames);
    },
    setSessionToken(token) {
      // reset_session: the server already moved this connection to the new session; later connections
      // (reconnects, HTTP calls) name it in their SESSION message.
      session.confirm(token);
      if (transport.followSession) transport.followSession(token);
    },
    isOffline(error) {
      return error instanceof OfflineError || Boolean(error && error.offline);
    },
    async checkOnline() {
      try {
        return (await fetch(serverUrl + "/_/check-app-online", { cache: "no-store" })).ok;
      } catch {
        return false;
      }
    },
    checkOnlineSync() {
      const xhr = new XMLHttpRequest();
      try {
        xhr.open("GET", serverUrl + "/_/check-app-online", false);
        xhr.send();
        return xhr.status === 200;
      } catch {
        return false;
      }
    },
  };
}
