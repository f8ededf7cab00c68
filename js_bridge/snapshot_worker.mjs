// Takes and stores the Pyodide memory snapshot in a worker, so a first visit's page never waits for it.
//
// The page posts {indexURL, origin, key, wheel, clientCode, clientCodeDir}; the worker boots a Pyodide in
// snapshot mode, unpacks the runtime and the client code, imports what anvil._browser.preload chooses, takes
// the snapshot, stores it (snapshot.mjs) and posts back {saved: true|false}.

import { SnapshotStore } from "./snapshot.mjs";

self.onmessage = async ({ data }) => {
  const { indexURL, origin, key, wheel, clientCode, clientCodeDir } = data;
  try {
    const { loadPyodide } = await import(indexURL + "pyodide.mjs");
    const pyodide = await loadPyodide({ indexURL, _makeSnapshot: true, stdout: () => {}, stderr: () => {} });
    pyodide.unpackArchive(wheel, "wheel");
    pyodide.unpackArchive(clientCode, "zip", { extractDir: clientCodeDir });
    pyodide.runPython(`import sys\nsys.path.insert(0, ${JSON.stringify(clientCodeDir)})\n` +
      `from anvil._browser.preload import preload\npreload(${JSON.stringify(clientCodeDir)})`);
    const saved = await new SnapshotStore(origin, key).save(pyodide.makeMemorySnapshot());
    self.postMessage({ saved });
  } catch (error) {
    self.postMessage({ saved: false, error: String(error && error.stack || error) });
  }
};
