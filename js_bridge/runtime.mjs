// Starts an app in the page: loads Pyodide and the runtime wheel from our server (never a CDN), unpacks
// the app's client code, connects the transport, then runs the main module.
//
// On a return visit it restores a Pyodide memory snapshot taken after the runtime and the app's imports were
// loaded (snapshot.mjs: taken in a worker, kept in Cache Storage, keyed on the build, the client code and
// the browser).
//
//   const app = await start({ main: "main" });      // app.pyodide, app.runPython(code), app.transport, app.startPath
//
// Progress and errors go to `onStatus(text, isError)` and the console.

import { plainJsonText } from "./marshal_json.mjs";
import { SessionKeeper } from "./session.mjs";
import { ElementSpinners, GlobalSpinner } from "./spinner.mjs";
import { SnapshotStore, snapshotKey, takeSnapshotInWorker } from "./snapshot.mjs";
import { HttpTransport, OfflineError, WebSocketTransport, syncHttpCall } from "./transport.mjs";

const CLIENT_CODE_DIR = "/home/pyodide/client_code";
const ENTRY_ELEMENT_ID = "anvil-pyodide-entry";
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (e) {
    throw new Error(`Could not load ${what} from ${url}: ${e.message}`);
  }
  if (!response.ok) throw new Error(`Could not load ${what} from ${url}: HTTP ${response.status}`);
  return response;
}

/** A CALL's text as Python hands it over: a string, or the {text} that plainJson made (see below). */
function textOf(text) {
  return typeof text === "string" ? text : text.text;
}

/** What Python's anvil.server uses to reach the server (registered as the module `_anvil_bridge`). */
function makeBridge(serverUrl, transport, session, spinnerDelayMs) {
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
    call(id, text, frames, spinner) {
      const reply = transport.call(id, textOf(text), frames, (progress) => this.onProgress && this.onProgress(id, progress));
      if (!spinner) return reply;
      this.spinner.start();
      return reply.finally(() => this.spinner.stop());
    },
    /** `call`, reporting the outcome to onSettled instead of returning a promise (for a Python that waits
     *  with run_sync on a Future of its own, which resumes without an event-loop turn). */
    callSettled(id, text, frames, spinner) {
      this.call(id, text, frames, spinner).then((reply) => this.onSettled(id, reply, undefined),
        (error) => this.onSettled(id, undefined, error));
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
    promising(pyCallable) {
      // A JS function that enters Python "promising", so anvil.server.call can suspend inside it.
      return (...args) => pyCallable.callPromising(...args);
    },
  };
}

/** Put the runtime wheel and the app's client code into Pyodide's file system. */
function unpackApp(pyodide, { wheel, clientCode }) {
  pyodide.unpackArchive(wheel, "wheel");
  pyodide.unpackArchive(clientCode, "zip", { extractDir: CLIENT_CODE_DIR });
}

/** Fetch a response body as bytes (starts at once; awaited when needed). */
async function fetchBytes(url, what) {
  return new Uint8Array(await (await fetchOk(url, what)).arrayBuffer());
}

/** The server this module came from (a page of another site embeds the app by loading it from there). */
const MODULE_SERVER = new URL(import.meta.url).origin;

export async function start({ main = "main", serverUrl = MODULE_SERVER, onStatus = () => {}, transport: kind,
                               spinnerDelay = 100, build: knownBuild, snapshot = true } = {}) {
  if (!MODULE_NAME.test(main)) throw new Error(`data-main must be a Python module name, not ${JSON.stringify(main)}`);
  const delay = Number(spinnerDelay);
  if (!Number.isFinite(delay) || delay < 0) throw new Error(`spinnerDelay must be a number of milliseconds >= 0, not ${JSON.stringify(spinnerDelay)}`);
  onStatus("Loading the Python runtime…");
  const build = knownBuild || await (await fetchOk(`${serverUrl}/_/runtime/build.json`, "the runtime description")).json();
  const indexURL = `${serverUrl}/_/runtime/${build.buildId}/`;
  // Everything below comes from immutable URLs (cached without revalidation) and is fetched while Pyodide boots.
  const wheel = fetchBytes(indexURL + build.runtimeWheel, "the runtime");
  const clientCode = fetchBytes(serverUrl + (build.clientCode || "/_/app/client_code.zip"), "the app's client code");
  const store = snapshot && build.clientCode ? SnapshotStore.open(serverUrl, snapshotKey(build)) : null;
  const stored = store ? store.load() : null;
  const { loadPyodide } = await import(indexURL + "pyodide.mjs");
  let pyodide = null;
  let startPath = "fresh";
  const saved = stored && await stored;
  if (saved) {
    try {
      pyodide = await loadPyodide({ indexURL, _loadSnapshot: saved });
      startPath = "snapshot";
    } catch (error) {
      console.warn("anvil-pyodide: the stored memory snapshot could not be used; starting afresh", error);
      store.clear();
    }
  }
  if (!pyodide) pyodide = await loadPyodide({ indexURL });
  onStatus("Loading the app…");
  // The file system is not part of a snapshot: the runtime and the client code are unpacked on every start.
  const archives = { wheel: await wheel, clientCode: await clientCode };
  unpackApp(pyodide, archives);
  if (startPath === "fresh") {
    pyodide.runPython(`import sys\nif ${JSON.stringify(CLIENT_CODE_DIR)} not in sys.path: sys.path.insert(0, ${JSON.stringify(CLIENT_CODE_DIR)})`);
  } else {
    pyodide.runPython("import importlib, random\nimportlib.invalidate_caches()\nrandom.seed()");
  }
  const useWebSocket = kind ? kind === "websocket" : typeof WebSocket === "function";
  const session = new SessionKeeper(serverUrl);
  const transport = useWebSocket ? new WebSocketTransport({ origin: serverUrl, session })
    : new HttpTransport({ origin: serverUrl, session });
  const bridge = makeBridge(serverUrl, transport, session, delay);
  pyodide.registerJsModule("_anvil_bridge", bridge);
  // A route's FormResponse puts an entry (module or module:function, with arguments) into the page: it
  // replaces main (see client/anvil/_browser/entry.py).
  const entry = typeof document === "object" ? document.getElementById(ENTRY_ELEMENT_ID) : null;
  if (entry) {
    onStatus("Opening the page…");
    await pyodide.runPythonAsync(`from anvil._browser.entry import run_page_entry\nrun_page_entry(${JSON.stringify(ENTRY_ELEMENT_ID)})`);
  } else {
    onStatus(`Running ${main}…`);
    await pyodide.runPythonAsync(`import runpy\nrunpy.run_module(${JSON.stringify(main)}, run_name="__main__")`);
  }
  onStatus(null);
  // Taken after main ran, by a second Pyodide in a worker (snapshot_worker.mjs), so the page never waits for
  // it; Pyodide's snapshot mode also wraps the JS globals in a way that breaks DOM getters (`js.document`),
  // so the app's own instance never runs in it.
  const snapshotSaved = store && startPath === "fresh"
    ? takeSnapshotInWorker({ indexURL, origin: serverUrl, key: store.key, wheel: archives.wheel,
      clientCode: archives.clientCode, clientCodeDir: CLIENT_CODE_DIR })
    : Promise.resolve(false);
  return {
    pyodide,
    bridge,
    transport,
    startPath, // "snapshot" (restored from a stored memory snapshot) or "fresh"
    snapshotSaved, // resolves true once this start's snapshot is stored (false when none was taken)
    runPython: (code) => pyodide.runPythonAsync(code),
  };
}
