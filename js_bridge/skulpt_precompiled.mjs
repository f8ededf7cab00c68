// Python compiled to JavaScript ahead of time for the Skulpt runtime: Skulpt compiles every module it imports, and
// compiling the runtime's own Python and Skulpt's `datetime` took most of a page's start. The build
// (scripts/precompile_skulpt.mjs, run by scripts/build_pyodide_dist.py) compiles them once with the same Skulpt
// and settings into skulpt-precompiled.json; the page uses a module's compiled code only when the source it is
// about to compile is the one that was compiled (same fingerprint), else Skulpt compiles it as usual.
//
//   usePrecompiled(Sk, await (await fetch(indexURL + "skulpt-precompiled.json")).json());

/** The Skulpt settings that change what the compiler emits; the build and the page both configure these, so the
 *  bundle's code is what the page would compile. No time limits: Skulpt would otherwise emit a Date.now() check at
 *  every branch (a long-running loop blocks the page, as it does on Pyodide). */
export function compileSettings(Sk) {
  return { __future__: Sk.python3, execLimit: null, yieldLimit: null };
}

/** A fingerprint of a module's source (FNV-1a over its UTF-16 code units, with its length), e.g. "1f3a9c2e-120". */
export function fingerprint(source) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    hash ^= source.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${hash.toString(16)}-${source.length}`;
}

/** The bundle of `sources` ({filename: source}) compiled as Skulpt compiles an import (exec mode, may suspend). */
export function compileBundle(Sk, sources) {
  const files = {};
  for (const [filename, source] of Object.entries(sources)) {
    const compiled = Sk.compile(source, filename, "exec", true);
    files[filename] = { fingerprint: fingerprint(source), funcname: compiled.funcname, code: compiled.code };
  }
  return { skulpt: Sk.build ? Sk.build.githash : null, files };
}

/** Make Skulpt take a module's code from `bundle` when its source matches; returns how many were used so far. */
export function usePrecompiled(Sk, bundle) {
  const files = (bundle && bundle.files) || {};
  const compile = Sk.compile;
  const used = { count: 0 };
  Sk.compile = (source, filename, mode, canSuspend, ...rest) => {
    const hit = files[filename];
    if (hit && mode === "exec" && canSuspend && hit.fingerprint === fingerprint(source)) {
      used.count += 1;
      return { funcname: hit.funcname, code: hit.code };
    }
    return compile(source, filename, mode, canSuspend, ...rest);
  };
  return used;
}
