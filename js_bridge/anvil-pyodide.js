// The one script tag an app page needs:
//
//   <script src="/_/runtime/anvil-pyodide.js" data-main="main"></script>
//
// loads Pyodide, the runtime and the app's client code from the server that served this script, then
// runs the module named by data-main; calls go to that server too. A page of another site embeds the app
// with the same tag and the server's full URL (the server must allow the page's origin: --allow-origin):
//
//   <script src="https://app.example.com/_/runtime/anvil-pyodide.js" data-main="main"></script>
//
// Without data-main nothing starts by itself: call `await anvilPyodide.start({ main: "main" })` (options:
// main, serverUrl, runtime: "pyodide" (the default: full CPython) | "skulpt" (a light runtime that starts in a
// fraction of the time; see README, "The Skulpt runtime"), transport: "websocket"|"http", spinnerDelay (ms
// before the loading spinner shows; default 100), onStatus(text, isError)). The script tag takes the same as
// data-main, data-runtime, data-transport, data-spinner-delay. Progress shows in a small status box; a failure (a refused origin too) shows there,
// in the console and in anvilPyodide.error instead of leaving a blank page.
(function () {
  "use strict";
  const script = document.currentScript;
  const serverUrl = new URL(script.src, location.href).origin;
  const STATUS_ID = "anvil-pyodide-status";
  // The Python runtimes a page may choose (data-runtime / start({runtime})) and the module that starts each.
  const RUNTIMES = { pyodide: "runtime.mjs", skulpt: "skulpt_runtime.mjs" };

  function showStatus(text, isError) {
    let box = document.getElementById(STATUS_ID);
    if (text === null) {
      if (box && !box.dataset.error) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = STATUS_ID;
      box.setAttribute("role", "status");
      box.style.cssText = "position:fixed;left:1rem;bottom:1rem;max-width:min(40rem,90vw);z-index:2147483647;" +
        "padding:.6rem .9rem;border-radius:.4rem;font:14px/1.4 system-ui,sans-serif;white-space:pre-wrap;" +
        "box-shadow:0 2px 8px rgba(0,0,0,.2);background:#fff;color:#222";
      (document.body || document.documentElement).appendChild(box);
    }
    box.textContent = text;
    if (isError) {
      box.dataset.error = "1";
      box.setAttribute("role", "alert");
      box.style.background = "#fdecea";
      box.style.color = "#611a15";
    }
  }

  /** The runtime description from `base`; a refusal (or any failure) as an Error that says why. */
  async function describe(base) {
    let described;
    try {
      described = await fetch(`${base}/_/runtime/build.json`, { credentials: "same-origin", cache: "no-cache" });
    } catch (e) {
      throw new Error(`Could not reach the app's server at ${base} (${e.message}): is it running, and does it ` +
        `allow pages of ${location.origin} (anvil-pyodide serve --allow-origin ${location.origin})?`);
    }
    let body = null;
    try {
      body = await described.json();
    } catch {
      body = null;
    }
    if (!described.ok) {
      throw new Error(body && body.error ? body.error : `Could not load the runtime description from ${base}: HTTP ${described.status}`);
    }
    return body;
  }

  async function start(options = {}) {
    const onStatus = options.onStatus || showStatus;
    try {
      const base = new URL(options.serverUrl || serverUrl, location.href).origin;
      const build = await describe(base);
      const runtimeName = options.runtime || "pyodide";
      if (!RUNTIMES[runtimeName]) {
        throw new Error(`data-runtime must be one of ${Object.keys(RUNTIMES).join(", ")}, not ${JSON.stringify(runtimeName)}`);
      }
      const runtime = await import(`${base}/_/runtime/${build.buildId}/${RUNTIMES[runtimeName]}`);
      const app = await runtime.start({ ...options, serverUrl: base, build, onStatus });
      window.anvilPyodide.app = app;
      return app;
    } catch (error) {
      const text = `The app could not start:\n${error && error.message ? error.message : error}`;
      console.error(text, error);
      onStatus(text, true);
      window.anvilPyodide.error = error;
      throw error;
    }
  }

  window.anvilPyodide = { start, app: null, error: null, serverUrl };
  if (script.dataset.main !== undefined) {
    const options = { main: script.dataset.main || "main", transport: script.dataset.transport,
                      runtime: script.dataset.runtime };
    if (script.dataset.spinnerDelay !== undefined) options.spinnerDelay = script.dataset.spinnerDelay;
    const begin = () => start(options).catch(() => {});
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", begin);
    else begin();
  }
})();
