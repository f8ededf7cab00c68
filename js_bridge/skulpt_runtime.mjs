// Starts an app on the Skulpt runtime (data-runtime="skulpt"): loads Skulpt from our server (npm `skulpt`, copied
// into the runtime dist by scripts/build_pyodide_dist.py; never a CDN), the Skulpt-side Python of the client API
// (js_bridge/skulpt_lib/) and the app's client code, connects the same transport as the Pyodide runtime
// (bridge.mjs), then runs the main module. It offers the same `start` options and app object as runtime.mjs.
//
//   const app = await start({ main: "main" });     // app.runPython(code), app.Sk, app.bridge, app.transport
//
// A failure to start (a syntax error, an import Skulpt cannot satisfy) rejects with the Python traceback as text.

import { makeBridge, makeTransport } from "./bridge.mjs";
import { checkStartOptions, fetchOk } from "./start_options.mjs";
import { NATIVE_MODULE_SOURCE, explainBlockingLimit, formatPythonError, installNativeModule } from "./skulpt_native.mjs";
import { compileSettings, usePrecompiled } from "./skulpt_precompiled.mjs";

const ENTRY_ELEMENT_ID = "anvil-pyodide-entry";

/** The Skulpt-side Python of the client API, relative to js_bridge/skulpt_lib/ (tests/host/test_skulpt_lib.py
 *  checks this list against the folder). */
export const SKULPT_LIB_FILES = ["json.py", "traceback.py", "anvil/__init__.py", "anvil/_capability.py", "anvil/_codec.py", "anvil/_entry.py", "anvil/_error_hook.py", "anvil/_errors.py", "anvil/_live_object.py",
  "anvil/_media.py", "anvil/_portable.py", "anvil/js.py", "anvil/server.py", "anvil/tz.py", "anvil/users.py",
  "anvil_labs/__init__.py", "anvil_labs/non_blocking.py"];

/** Modules of the client package (client/) that the Skulpt runtime runs as they are, so that both runtimes share
 *  one source: the build copies them into the dist's skulpt_lib/ (scripts/precompile_skulpt.mjs). */
export const SHARED_LIB_FILES = ["anvil/_error_list.py", "anvil/_user_errors.py"];

/** Errors whose cause is most likely the Skulpt subset of Python: the page says so. */
const SUBSET_ERRORS = new Set(["SyntaxError", "ImportError", "ModuleNotFoundError", "NotImplementedError"]);
const SUBSET_HINT = "\n\nThis page runs on the Skulpt runtime (data-runtime=\"skulpt\"), which supports a subset of " +
  "Python: see the README, \"The Skulpt runtime\", for what it lacks (or use the default Pyodide runtime).";

/** Load classic scripts in order (they download in parallel). */
function loadScripts(urls) {
  return Promise.all(urls.map((url) => new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = false;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`Could not load the Skulpt runtime from ${url}`));
    document.head.appendChild(script);
  })));
}

/** The client code zip as {path: source} (only .py files; Skulpt reads nothing else). */
async function clientCodeFiles(url, indexURL) {
  const [{ unzipSync, strFromU8 }, zipped] = await Promise.all([
    import(indexURL + "fflate.mjs"),
    fetchOk(url, "the app's client code").then((r) => r.arrayBuffer()),
  ]);
  const files = new Map();
  for (const [path, bytes] of Object.entries(unzipSync(new Uint8Array(zipped)))) {
    if (path.endsWith(".py")) files.set(path, strFromU8(bytes));
  }
  return files;
}

async function libraryFiles(indexURL) {
  const paths = SKULPT_LIB_FILES.concat(SHARED_LIB_FILES);
  const sources = await Promise.all(paths.map((path) =>
    fetchOk(`${indexURL}skulpt_lib/${path}`, "the Skulpt client API").then((r) => r.text())));
  return new Map(paths.map((path, i) => [path, sources[i]]));
}

/** Skulpt's `read`: the runtime's native module and Python first, then the app's modules, then Skulpt's library. */
function reader(Sk, library, app) {
  return (filename) => {
    if (filename === "src/lib/_anvil_skulpt.js") return NATIVE_MODULE_SOURCE;
    if (filename.startsWith("src/lib/") && library.has(filename.slice(8))) return library.get(filename.slice(8));
    if (filename.startsWith("./") && app.has(filename.slice(2))) return app.get(filename.slice(2));
    const builtin = Sk.builtinFiles && Sk.builtinFiles.files[filename];
    if (builtin !== undefined) return builtin;
    throw new Sk.builtin.IOError(`File not found: '${filename}'`);
  };
}

/** An Error for a Python failure, with its traceback as the message (and a hint when Skulpt's subset is the cause). */
function pythonError(Sk, error) {
  if (!(error instanceof Sk.builtin.BaseException)) return error instanceof Error ? error : new Error(String(error));
  const name = error.tp$name || (error.constructor && error.constructor.prototype.tp$name) || "";
  const wrapped = new Error(formatPythonError(Sk, error) + (SUBSET_ERRORS.has(name) ? SUBSET_HINT : ""));
  wrapped.pythonError = error;
  return wrapped;
}

/** `code` with its last statement, when it is an expression, assigned to `name` (what runPython returns). */
function capturingLastExpression(Sk, code, name) {
  const ast = Sk.astFromParse(Sk.parse("<exec>.py", code).cst, "<exec>.py", {});
  const last = ast.body[ast.body.length - 1];
  if (!last || !(last instanceof Sk.astnodes.Expr)) return code;
  const lines = code.split("\n");
  const before = lines.slice(0, last.lineno - 1).join("\n");
  const expression = lines.slice(last.lineno - 1).join("\n");
  return `${before}\n${name} = (\n${expression}\n)\n`;
}

/** Run Python `code` (compiled as `filename`) with `globals` ({name: Python value}, kept and changed by it) as
 *  its module namespace; it may block on calls (a Skulpt task). Rejects with pythonError's Error. */
async function runInNamespace(Sk, code, filename, globals) {
  try {
    const compiled = Sk.compile(code, filename, "exec", true);
    const scope = Sk.global.eval(`${compiled.code}\n${compiled.funcname};`);
    await Sk.misceval.asyncToPromise(() => scope(globals));
  } catch (error) {
    throw pythonError(Sk, error);
  }
}

/** Open the page at a route's entry (the server's FormResponse put it into the page as the element `elementId`):
 *  call `module:function(*args, **kwargs)`, or run `module` as `__main__` with the globals `entry_args` and
 *  `entry_kwargs` (see skulpt_lib/anvil/_entry.py). */
async function runPageEntry(Sk, app, elementId) {
  const globals = { __name__: new Sk.builtin.str("__anvil_entry__") };
  await runInNamespace(Sk, `from anvil._entry import page_entry\nentry = page_entry(${JSON.stringify(elementId)})\n`,
    "<entry>.py", globals);
  const [moduleName, functionName, args, kwargs] = globals.entry.v;
  if (functionName !== Sk.builtin.none.none$) {
    await runInNamespace(Sk, "from anvil._entry import run_function_entry\nrun_function_entry(*entry)\n",
      "<entry>.py", globals);
    return;
  }
  const path = moduleName.v.replace(/\./g, "/") + ".py";
  if (!app.has(path)) throw new Error(`The page's entry names the module ${moduleName.v}, which the app's client code does not have (client_code/${path})`);
  await runInNamespace(Sk, app.get(path), path,
    { __name__: new Sk.builtin.str("__main__"), entry_args: args, entry_kwargs: kwargs });
}

/** The server this module came from (a page of another site embeds the app by loading it from there). */
const MODULE_SERVER = new URL(import.meta.url).origin;

export async function start({ main = "main", serverUrl = MODULE_SERVER, onStatus = () => {}, transport: kind,
                               spinnerDelay = 100, build: knownBuild } = {}) {
  const delay = checkStartOptions({ main, spinnerDelay });
  onStatus("Loading the Python runtime (Skulpt)…");
  const build = knownBuild || await (await fetchOk(`${serverUrl}/_/runtime/build.json`, "the runtime description")).json();
  const indexURL = `${serverUrl}/_/runtime/${build.buildId}/`;
  const appFiles = clientCodeFiles(serverUrl + (build.clientCode || "/_/app/client_code.zip"), indexURL);
  const library = libraryFiles(indexURL);
  // Made by the build; without it (or when a source changed since) Skulpt compiles as usual.
  const precompiled = fetch(indexURL + "skulpt-precompiled.json").then((r) => (r.ok ? r.json() : null), () => null);
  await loadScripts([indexURL + "skulpt.min.js", indexURL + "skulpt-stdlib.js"]);
  const Sk = globalThis.Sk;
  const { session, transport } = makeTransport(serverUrl, kind);
  const bridge = makeBridge(serverUrl, transport, session, delay);
  installNativeModule(Sk, bridge);
  explainBlockingLimit(Sk);
  const compiledAhead = usePrecompiled(Sk, await precompiled);
  const app = await appFiles;
  Sk.configure({
    ...compileSettings(Sk),
    read: reader(Sk, await library, app),
    output: (text) => console.log(text.replace(/\n$/, "")),
  });
  // A route's FormResponse puts an entry (module or module:function, with arguments) into the page: it replaces main.
  if (typeof document === "object" && document.getElementById(ENTRY_ELEMENT_ID)) {
    onStatus("Opening the page…");
    await runPageEntry(Sk, app, ENTRY_ELEMENT_ID);
  } else {
    const mainPath = main.replace(/\./g, "/") + ".py";
    if (!app.has(mainPath)) throw new Error(`The app's client code has no module ${main} (client_code/${mainPath})`);
    onStatus(`Running ${main}…`);
    try {
      await Sk.misceval.asyncToPromise(() => Sk.importMainWithBody(main, false, app.get(mainPath), true));
    } catch (error) {
      throw pythonError(Sk, error);
    }
  }
  onStatus(null);
  const globals = { __name__: new Sk.builtin.str("__main__") }; // runPython's namespace
  let runs = 0;
  return {
    Sk,
    bridge,
    transport,
    startPath: "skulpt",
    precompiledModules: compiledAhead.count, // modules whose compiled code came from skulpt-precompiled.json
    snapshotSaved: Promise.resolve(false),
    /** Run `code` in the page's Python namespace (kept between calls, as Pyodide's globals are; the app's modules
     *  stay imported); resolves with the value of its last line when that is an expression (None/bool/int/float/
     *  str and containers as JS values). */
    runPython: async (code) => {
      runs += 1;
      const name = `__anvil_result_${runs}__`; // one per run: runs may overlap (each may wait on calls)
      let result;
      try {
        let capturing;
        try {
          capturing = capturingLastExpression(Sk, code, name);
        } catch (error) {
          throw pythonError(Sk, error);
        }
        await runInNamespace(Sk, capturing, "<exec>.py", globals);
      } finally {
        result = globals[name];
        delete globals[name];
      }
      return result === undefined ? undefined : Sk.ffi.remapToJs(result);
    },
  };
}
