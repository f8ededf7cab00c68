// What both runtimes' `start` (runtime.mjs for Pyodide, skulpt_runtime.mjs for Skulpt) share before they differ:
// checking the start options and fetching the runtime's files with errors that say what could not be loaded.
//
//   const delay = checkStartOptions({ main: "main", spinnerDelay: 100 });   // 100, or throws a readable Error
//   const response = await fetchOk(url, "the app's client code");

const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The spinner delay in ms, after checking `main` is a module name and the delay a number >= 0. */
export function checkStartOptions({ main, spinnerDelay }) {
  if (!MODULE_NAME.test(main)) throw new Error(`data-main must be a Python module name, not ${JSON.stringify(main)}`);
  const delay = Number(spinnerDelay);
  if (!Number.isFinite(delay) || delay < 0) throw new Error(`spinnerDelay must be a number of milliseconds >= 0, not ${JSON.stringify(spinnerDelay)}`);
  return delay;
}

/** `fetch(url)` that throws "Could not load <what> from <url>: ..." for a network error or an HTTP error. */
export async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (e) {
    throw new Error(`Could not load ${what} from ${url}: ${e.message}`);
  }
  if (!response.ok) throw new Error(`Could not load ${what} from ${url}: HTTP ${response.status}`);
  return response;
}
