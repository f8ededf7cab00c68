// Pyodide memory snapshots for a fast start on a return visit.
//
// A snapshot is taken after the runtime and the app's imports are loaded (before any JS object is handed to
// Python) and kept gzip-compressed in Cache Storage. Its key names the runtime build (which covers Pyodide,
// every wheel and this bridge), the client code's hash and the browser (a snapshot freezes in what the
// browser supports, e.g. JSPI); any change of them misses the stored one, and storing a new one deletes
// the others. Without Cache Storage or CompressionStream (e.g. a page not served over https or from
// localhost) every start is a fresh one.
//
//   const store = SnapshotStore.open(location.origin, snapshotKey(build));
//   const bytes = await store.load();          // Uint8Array or null
//   await takeSnapshotInWorker({ indexURL, origin, key: store.key, wheel, clientCode, clientCodeDir });

const CACHE_NAME = "anvil-pyodide-snapshots";

/** Take and store a snapshot in a worker (snapshot_worker.mjs); resolves true once it is stored. `job` is what
 *  the worker needs: {indexURL, origin, key, wheel, clientCode, clientCodeDir}. */
export function takeSnapshotInWorker(job) {
  return new Promise((resolve) => {
    let worker;
    try {
      worker = new Worker(new URL("./snapshot_worker.mjs", import.meta.url), { type: "module" });
    } catch (error) {
      console.warn("anvil-pyodide: could not start the snapshot worker", error);
      resolve(false);
      return;
    }
    worker.onmessage = ({ data }) => {
      if (data.error) console.warn("anvil-pyodide: could not take a memory snapshot", data.error);
      worker.terminate();
      resolve(Boolean(data.saved));
    };
    worker.onerror = (event) => {
      console.warn("anvil-pyodide: the snapshot worker failed", event.message);
      worker.terminate();
      resolve(false);
    };
    worker.postMessage(job);
  });
}

/** The key of the snapshot that fits this build, client code and browser. */
export function snapshotKey(build, userAgent = globalThis.navigator ? navigator.userAgent : "") {
  return [build.buildId, build.runtimeWheel, build.clientCode, userAgent].join("\n");
}

async function digestHex(text) {
  const bytes = new TextEncoder().encode(text);
  if (globalThis.crypto && crypto.subtle) {
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return encodeURIComponent(text);
}

export class SnapshotStore {
  /** A store for `key`, or null where the browser lacks what it needs. */
  static open(origin, key) {
    if (!globalThis.caches || !globalThis.CompressionStream || !globalThis.DecompressionStream) return null;
    return new SnapshotStore(origin, key);
  }

  constructor(origin, key) {
    this.origin = origin;
    this.key = key;
  }

  async url() {
    return `${this.origin}/_/snapshot/${await digestHex(this.key)}`;
  }

  /** The stored snapshot's bytes, or null when there is none (or it cannot be read). */
  async load() {
    try {
      const cache = await caches.open(CACHE_NAME);
      const response = await cache.match(await this.url());
      if (!response) return null;
      const plain = new Response(response.body.pipeThrough(new DecompressionStream("gzip")));
      return new Uint8Array(await plain.arrayBuffer());
    } catch (error) {
      console.warn("anvil-pyodide: could not read the stored memory snapshot", error);
      return null;
    }
  }

  /** Store `bytes` as the snapshot for this key and delete every other; resolves true when stored. */
  async save(bytes) {
    try {
      const url = await this.url();
      const compressed = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
      const body = await new Response(compressed).blob();
      const cache = await caches.open(CACHE_NAME);
      await cache.put(url, new Response(body, { headers: { "Content-Type": "application/octet-stream" } }));
      for (const request of await cache.keys()) if (request.url !== url) await cache.delete(request);
      return true;
    } catch (error) {
      console.warn("anvil-pyodide: could not store the memory snapshot", error);
      return false;
    }
  }

  /** Forget every stored snapshot (after one failed to restore). */
  async clear() {
    try {
      await caches.delete(CACHE_NAME);
    } catch {
      // nothing stored, nothing to forget
    }
  }
}
