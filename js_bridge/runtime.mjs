// Starts an app in the page: loads Pyodide and the runtime wheel from our server (never a CDN), unpacks
// the app's client code, connects the transport, then runs the main module.
//
//   const app = await start({ main: "main" });      // app.pyodide, app.runPython(code), app.transport
//
// Progress and errors go to `onStatus(text, isError)` and the console.

import { SessionKeeper } from "./session.mjs";
import { ElementSpinners, GlobalSpinner } from "./spinner.mjs";
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

/** What Python's anvil.server uses to reach the server (registered as the module `_anvil_bridge`). */
function makeBridge(serverUrl, transport, session, spinnerDelayMs) {
  const spinner = new GlobalSpinner({ showDelayMs: spinnerDelayMs });
  return {
    spinner,
    elementSpinners: new ElementSpinners(),
    origin: serverUrl,
    transportKind: transport instanceof WebSocketTransport ? "websocket" : "http",
    session,
    call(id, text, frames, onMessage) {
      return transport.call(id, text, frames, onMessage);
    },
    syncCall(text, frames) {
      return syncHttpCall(serverUrl, session, text, frames);
    },
    setSessionToken(token) {
      // reset_session: the server already moved this connection to the new session; later connections
      // (reconnects, HTTP calls) name it in their SESSION message.
      session.confirm(token);
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

/** The server this module came from (a page of another site embeds the app by loading it from there). */
const MODULE_SERVER = new URL(import.meta.url).origin;

export async function start({ main = "main", serverUrl = MODULE_SERVER, onStatus = () => {}, transport: kind,
                               spinnerDelay = 100, build: knownBuild } = {}) {
  if (!MODULE_NAME.test(main)) throw new Error(`data-main must be a Python module name, not ${JSON.stringify(main)}`);
  onStatus("Loading the Python runtime…");
  const build = knownBuild || await (await fetchOk(`${serverUrl}/_/runtime/build.json`, "the runtime description")).json();
  const indexURL = `${serverUrl}/_/runtime/${build.buildId}/`;
  const { loadPyodide } = await import(indexURL + "pyodide.mjs");
  const pyodide = await loadPyodide({ indexURL });
  onStatus("Loading the app…");
  await pyodide.loadPackage(indexURL + build.runtimeWheel);
  const clientCode = await (await fetchOk(`${serverUrl}/_/app/client_code.zip`, "the app's client code")).arrayBuffer();
  pyodide.unpackArchive(clientCode, "zip", { extractDir: CLIENT_CODE_DIR });
  const useWebSocket = kind ? kind === "websocket" : typeof WebSocket === "function";
  const session = new SessionKeeper(serverUrl);
  const transport = useWebSocket ? new WebSocketTransport({ origin: serverUrl, session })
    : new HttpTransport({ origin: serverUrl, session });
  const delay = Number(spinnerDelay);
  if (!Number.isFinite(delay) || delay < 0) throw new Error(`spinnerDelay must be a number of milliseconds >= 0, not ${JSON.stringify(spinnerDelay)}`);
  const bridge = makeBridge(serverUrl, transport, session, delay);
  pyodide.registerJsModule("_anvil_bridge", bridge);
  pyodide.runPython(`import sys\nif ${JSON.stringify(CLIENT_CODE_DIR)} not in sys.path: sys.path.insert(0, ${JSON.stringify(CLIENT_CODE_DIR)})`);
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
  return {
    pyodide,
    bridge,
    transport,
    runPython: (code) => pyodide.runPythonAsync(code),
  };
}
