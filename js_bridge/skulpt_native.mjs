// Skulpt's thin native layer: the module `_anvil_skulpt` that the Skulpt-side Python (js_bridge/skulpt_lib/) is
// built on. It wraps the one bridge both runtimes share (bridge.mjs), so calls go through the same transport:
// a call returns a Skulpt suspension on the transport's promise, so Python looks blocked while the page keeps
// running. It also holds what Skulpt's Python lacks: JSON that keeps int and float apart on every engine (Skulpt's
// `json` is a stub) and JS objects as Python objects (`JsProxy`, for anvil.js).
//
//   installNativeModule(Sk, bridge);   // then, in Skulpt's Python: import _anvil_skulpt
//
// Every function raises a Python exception (never a bare JS error) on bad input.

import { parseWithSource } from "./json_source.mjs";

/** The source Skulpt evaluates for the module (Skulpt loads native modules as text defining $builtinmodule). */
export const NATIVE_MODULE_SOURCE = "var $builtinmodule = Sk.anvilSkulptNative;";

/** Register `_anvil_skulpt` (over `bridge`, or without one: JSON and JsProxy only, as the codec tests use it). */
export function installNativeModule(Sk, bridge = null) {
  const convert = makeConverters(Sk);
  Sk.anvilSkulptNative = () => moduleDict(Sk, bridge, convert);
  return convert;
}

/** What a blocking call (a server call, time.sleep, await_promise) says where Skulpt cannot wait. */
export const BLOCKED_HERE = "Cannot call a function that blocks or suspends here: on the Skulpt runtime a server " +
  "call (or anything else that waits) cannot run inside __eq__, __str__/__repr__, __hash__, a sort key or a class " +
  "body; make the call before and pass its result in (README, \"The Skulpt runtime\")";

/** Make Skulpt's error for a blocking call where it cannot suspend say why and what to do instead: Skulpt 1.2's
 *  retryOptionalSuspensionOrThrow as it is, with BLOCKED_HERE as its default message (not a wrapper around it:
 *  Skulpt calls it on every call that could suspend, so an extra frame there slows every call). */
export function explainBlockingLimit(Sk) {
  const { Suspension } = Sk.misceval;
  const { SuspensionError } = Sk.builtin;
  Sk.misceval.retryOptionalSuspensionOrThrow = function retryOptionalSuspensionOrThrow(suspension, message) {
    while (suspension instanceof Suspension) {
      if (!suspension.optional) throw new SuspensionError(message || BLOCKED_HERE);
      suspension = suspension.resume();
    }
    return suspension;
  };
}

/** Python float repr (shortest round-trip digits; scientific below 1e-4 and from 1e16), e.g. 1e+16, 1.5, 1e-05. */
export function floatRepr(value) {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent);
    return `${sign}${body}e${exponent < 0 ? "-" : "+"}${e < 10 ? "0" + e : e}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1) || "0";
  return `${sign}${whole}.${fraction}`;
}

/** Ints beyond this travel as Long text (as client/anvil/_wire/scalars.py INT_LIMIT). */
const INT_LIMIT = 2147483647;

function makeConverters(Sk) {
  const b = Sk.builtin;
  const none = b.none.none$;
  const str = (s) => new b.str(s);

  const JsProxy = Sk.abstr.buildNativeClass("anvil.js.JsProxy", {
    constructor: function JsProxy(js, owner) {
      this.js = js;
      this.owner = owner; // `this` for a function read as an attribute (a method)
    },
    slots: {
      tp$getattr(pyName, canSuspend) {
        const name = pyName.toString();
        if (name.startsWith("__")) return Sk.generic.getAttr.call(this, pyName, canSuspend);
        const target = Object(this.js);
        if (!(name in target)) return undefined;
        return toPy(target[name], target);
      },
      tp$setattr(pyName, value) {
        const name = pyName.toString();
        if (value === undefined) delete this.js[name];
        else this.js[name] = toJs(value);
      },
      tp$call(args, kwargs) {
        if (typeof this.js !== "function") throw new b.TypeError(`${describe(this.js)} is not callable`);
        if (kwargs && kwargs.length) throw new b.TypeError("JavaScript functions take no keyword arguments");
        let result;
        try {
          result = this.js.apply(this.owner, args.map(toJs));
        } catch (error) {
          throw jsErrorToPy(error);
        }
        return toPy(result);
      },
      mp$subscript(key) {
        return toPy(this.js[toJs(key)], this.js);
      },
      mp$ass_subscript(key, value) {
        if (value === undefined) delete this.js[toJs(key)];
        else this.js[toJs(key)] = toJs(value);
      },
      tp$richcompare(other, op) {
        if (op !== "Eq" && op !== "NotEq") return b.NotImplemented.NotImplemented$;
        const same = other instanceof JsProxy && other.js === this.js;
        return op === "Eq" ? same : !same;
      },
      tp$hash() {
        return b.object.prototype.tp$hash.call(this);
      },
      $r() {
        return str(`<JsProxy ${describe(this.js)}>`);
      },
    },
  });

  function describe(js) {
    try {
      return typeof js === "function" ? `function ${js.name || "(anonymous)"}` : String(js);
    } catch {
      return typeof js;
    }
  }

  /** A JS value as a Python value: primitives convert, everything else is a JsProxy. */
  function toPy(js, owner) {
    if (js === null || js === undefined) return none;
    if (js.ob$type) return js; // already a Python object
    switch (typeof js) {
      case "boolean": return js ? b.bool.true$ : b.bool.false$;
      case "number": return Number.isSafeInteger(js) ? new b.int_(js) : new b.float_(js);
      case "bigint": return new b.int_(js.toString());
      case "string": return str(js);
      default: return new JsProxy(js, typeof js === "function" ? owner : undefined);
    }
  }

  /** A Python value as a JS value; a Python callable becomes a JS function that runs it (it may block: each call
   *  runs as its own Skulpt task, and its error is reported on the console). */
  function toJs(py) {
    if (py === undefined || py === none) return null;
    if (py instanceof JsProxy) return py.js;
    if (py instanceof b.bool) return py.v !== 0;
    if (py instanceof b.int_) return typeof py.v === "number" ? py.v : Number(py.v.toString());
    if (py instanceof b.float_) return py.v;
    if (py instanceof b.str) return py.v;
    if (py instanceof b.bytes) return py.v;
    if (py instanceof b.list || py instanceof b.tuple) return py.v.map(toJs);
    if (py instanceof b.dict) {
      const out = {};
      for (const [key, value] of py.$items()) out[toJs(key)] = toJs(value);
      return out;
    }
    if (Sk.builtin.checkCallable(py)) return pythonFunction(py);
    return py;
  }

  function pythonFunction(py) {
    return (...args) => Sk.misceval.asyncToPromise(() => Sk.misceval.callsimOrSuspendArray(py, args.map((a) => toPy(a))))
      .then(toJs, (error) => {
        console.error(formatPythonError(Sk, error));
        throw error;
      });
  }

  function jsErrorToPy(error) {
    if (error instanceof b.BaseException) return error;
    const py = new b.Exception(`${error && error.name ? error.name + ": " : ""}${error && error.message ? error.message : error}`);
    py.js_error = error;
    return py;
  }

  /** JSON text as Python values, with JSON's int and float kept apart ("1.0" is a float, "1" an int, big ints
   *  exact) on every engine (json_source.mjs gives each number's source text). */
  function jsonLoads(text) {
    let parsed;
    try {
      parsed = parseWithSource(text, (key, value, context) => {
        if (value === null) return none;
        switch (typeof value) {
          case "number": {
            const source = context.source;
            return /[.eE]/.test(source) ? new b.float_(value) : new b.int_(source);
          }
          case "string": return str(value);
          case "boolean": return value ? b.bool.true$ : b.bool.false$;
          default:
            if (Array.isArray(value)) return new b.list(value);
            return new b.dict(Object.keys(value).flatMap((k) => [str(k), value[k]]));
        }
      });
    } catch (error) {
      throw new b.ValueError(`Invalid JSON: ${error.message}`);
    }
    return parsed;
  }

  /** Python values (None, bool, int, float, str, list, tuple, dict with str keys) as compact JSON text. */
  function jsonDumps(py) {
    if (py === none) return "null";
    if (py instanceof b.bool) return py.v ? "true" : "false";
    if (py instanceof b.int_) return py.v.toString();
    if (py instanceof b.float_) {
      if (!Number.isFinite(py.v)) throw new b.ValueError("Out of range float values are not JSON compliant");
      return floatRepr(py.v);
    }
    if (py instanceof b.str) return JSON.stringify(py.v);
    if (py instanceof b.list || py instanceof b.tuple) return `[${py.v.map(jsonDumps).join(",")}]`;
    if (py instanceof b.dict) {
      const items = [];
      for (const [key, value] of py.$items()) {
        if (!(key instanceof b.str)) throw new b.TypeError(`keys must be str, not ${Sk.abstr.typeName(key)}`);
        items.push(`${JSON.stringify(key.v)}:${jsonDumps(value)}`);
      }
      return `{${items.join(",")}}`;
    }
    throw new b.TypeError(`Object of type ${Sk.abstr.typeName(py)} is not JSON serializable`);
  }

  /** The wire JSON of a value that needs no `objects` entry (None, bool, str, ints within the inline range,
   *  finite floats, lists, tuples, dicts with str keys of those), or null when some part does: the codec's fast
   *  path (anvil/_codec.py walks the value otherwise). */
  function plainJson(py) {
    const NOT_PLAIN = {};
    const walk = (value) => {  // exact types only: a subclass may be a portable class
      const type = value.constructor;
      if (type === b.int_) {
        if (typeof value.v !== "number" || Math.abs(value.v) > INT_LIMIT) throw NOT_PLAIN;
      } else if (type === b.float_) {
        if (!Number.isFinite(value.v)) throw NOT_PLAIN;
      } else if (type === b.list || type === b.tuple) {
        value.v.forEach(walk);
      } else if (type === b.dict) {
        for (const [key, item] of value.$items()) {
          if (key.constructor !== b.str) throw NOT_PLAIN;
          walk(item);
        }
      } else if (!(value === none || type === b.bool || type === b.str)) {
        throw NOT_PLAIN;
      }
    };
    try {
      walk(py);
    } catch (error) {
      if (error === NOT_PLAIN) return null;
      throw error;
    }
    return jsonDumps(py);
  }

  return { JsProxy, toPy, toJs, jsonLoads, jsonDumps, plainJson, jsErrorToPy };
}

/** A Skulpt exception as text: its traceback (outermost first) and `Type: message`. */
export function formatPythonError(Sk, error) {
  if (!(error instanceof Sk.builtin.BaseException)) return String(error && error.stack ? error.stack : error);
  const lines = (error.traceback || []).slice().reverse()
    .map((frame) => `  File "${frame.filename}", line ${frame.lineno}`);
  return (lines.length ? "Traceback (most recent call last):\n" + lines.join("\n") + "\n" : "") + error.toString();
}

function moduleDict(Sk, bridge, { JsProxy, toPy, toJs, jsonLoads, jsonDumps, plainJson, jsErrorToPy }) {
  const b = Sk.builtin;
  const fn = (f, name) => {
    const wrapped = new b.func(f);
    wrapped.$name = name;
    return wrapped;
  };
  const jsString = (py, what) => {
    if (!(py instanceof b.str)) throw new b.TypeError(`${what} must be a str, not ${Sk.abstr.typeName(py)}`);
    return py.v;
  };

  /** A reply from the transport as a Python tuple: ("reply", text, {mediaId: bytes} | None, error | None). */
  const replyTuple = (reply) => {
    const media = reply.media
      ? new b.dict(Object.entries(reply.media).flatMap(([id, bytes]) => [new b.str(id), new b.bytes(bytes)]))
      : b.none.none$;
    return new b.tuple([new b.str("reply"), new b.str(reply.text), media, toPy(reply.error)]);
  };
  /** What a call's promise settles to, as a tuple Python reads: a reply, or ("offline"|"error", message). */
  const outcome = (promise) => promise.then(replyTuple, (error) => new b.tuple([
    new b.str(bridge.isOffline(error) ? "offline" : "error"), new b.str(String(error && error.message ? error.message : error))]));
  const framesToJs = (frames) => (frames === b.none.none$ || frames.v.length === 0 ? null
    : frames.v.map((pair) => [jsString(pair.v[0], "a chunk header"), pair.v[1].v]));
  const send = (callId, text, frames, spinner) => outcome(Promise.resolve().then(() =>
    bridge.call(jsString(callId, "the call id"), jsString(text, "the call text"), framesToJs(frames), Sk.misceval.isTrue(spinner))));

  const mod = {
    __name__: new b.str("_anvil_skulpt"),
    JsProxy,
    json_loads: fn((text) => jsonLoads(jsString(text, "JSON text")), "json_loads"),
    json_dumps: fn((value) => new b.str(jsonDumps(value)), "json_dumps"),
    plain_json: fn((value) => {
      const text = plainJson(value);
      return text === null ? b.none.none$ : new b.str(text);
    }, "plain_json"),
    global_this: new JsProxy(globalThis),
    // Skulpt's built-in exception classes by name (Skulpt has no `builtins` module to look them up in).
    builtin_errors: new b.dict(Object.values(b)
      .filter((cls) => typeof cls === "function" && (cls === b.Exception || cls.prototype instanceof b.Exception))
      .flatMap((cls) => [new b.str(cls.prototype.tp$name), cls])),
    to_py: fn((value) => (value instanceof JsProxy ? toPy(value.js) : value), "to_py"),
    to_js: fn((value) => new JsProxy(toJs(value)), "to_js"),
    // bytes_of(proxy): the bytes of a JS ArrayBuffer or typed array.
    bytes_of: fn((value) => {
      const js = value instanceof JsProxy ? value.js : null;
      if (js instanceof ArrayBuffer) return new b.bytes(new Uint8Array(js));
      if (ArrayBuffer.isView(js)) return new b.bytes(new Uint8Array(js.buffer, js.byteOffset, js.byteLength).slice());
      throw new b.TypeError("bytes_of expects a JavaScript ArrayBuffer or typed array");
    }, "bytes_of"),
    // The browser's UTC offset at a local time, in seconds (a naive datetime is sent with it, as on Pyodide).
    local_offset_seconds: fn((...parts) => {
      const [year, month, day, hour, minute, second] = parts.map(toJs);
      return new b.int_(-new Date(year, month - 1, day, hour, minute, second).getTimezoneOffset() * 60);
    }, "local_offset_seconds"),
    random_hex: fn((bytes) => new b.str(Array.from(crypto.getRandomValues(new Uint8Array(toJs(bytes))),
      (n) => n.toString(16).padStart(2, "0")).join("")), "random_hex"),
    // spawn(fn, args): run fn(*args) as a task of its own (it may block), started once the caller suspends or
    // ends (a microtask later); a JsProxy of the promise of its outcome as a Python tuple: ("ok", value) or
    // ("error", exception). The caller does not wait.
    spawn: fn((callable, args) => new JsProxy(Promise.resolve().then(() => Sk.misceval.asyncToPromise(() =>
      Sk.misceval.callsimOrSuspendArray(callable, args === undefined ? [] : args.v)))
      .then((value) => new b.tuple([new b.str("ok"), value]),
        (error) => new b.tuple([new b.str("error"), jsErrorToPy(error)]))), "spawn"),
    // import_top(name): `import name` (it may suspend); the top-level package, as Python's __import__ gives it.
    import_top: fn((name) => Sk.builtin.__import__(jsString(name, "the module name"), {}, {}, [], 0), "import_top"),
    // format_exception(exc): its traceback (where Skulpt recorded one) and `Type: message`, as text.
    format_exception: fn((exc) => new b.str(formatPythonError(Sk, exc)), "format_exception"),
    // report(text): an error nobody handled, on the console.
    report: fn((text) => {
      console.error(toJs(text));
      return b.none.none$;
    }, "report"),
    await_promise: fn((value) => {
      const promise = value instanceof JsProxy ? value.js : null;
      if (!promise || typeof promise.then !== "function") throw new b.TypeError("await_promise expects a JavaScript promise");
      return Sk.misceval.promiseToSuspension(Promise.resolve(promise).then((v) => toPy(v), (error) => {
        throw error instanceof b.BaseException ? error : new b.Exception(String(error && error.message ? error.message : error));
      }));
    }, "await_promise"),
  };
  if (!bridge) return mod;
  Object.assign(mod, {
    origin: new b.str(bridge.origin),
    transport_kind: new b.str(bridge.transportKind),
    // wait_call(id, text, frames, spinner): waits (a suspension) for the outcome tuple. (Not named `call`: Skulpt
    // renames Python names that JS functions have.)
    wait_call: fn((...args) => Sk.misceval.promiseToSuspension(send(...args)), "wait_call"),
    // send_call(...): the same call, not waited for: a JsProxy of the promise of its outcome (await_promise waits).
    send_call: fn((...args) => new JsProxy(send(...args)), "send_call"),
    on_progress: fn((listener) => {
      bridge.onProgress = (callId, reply) => {
        try {
          Sk.misceval.callsimArray(listener, [new b.str(callId), replyTuple(reply)]);
        } catch (error) {
          console.error(formatPythonError(Sk, error));
        }
      };
      return b.none.none$;
    }, "on_progress"),
    // indicator(on, element | None, min_height | None): the global spinner, or an overlay over an element.
    indicator: fn((on, element, minHeight) => {
      const start = Sk.misceval.isTrue(on);
      if (element === b.none.none$) {
        if (start) bridge.spinner.start();
        else bridge.spinner.stop();
      } else if (start) {
        bridge.elementSpinners.start(toJs(element), toJs(minHeight));
      } else {
        bridge.elementSpinners.stop(toJs(element));
      }
      return b.none.none$;
    }, "indicator"),
    set_session_token: fn((token) => {
      bridge.setSessionToken(jsString(token, "the session token"));
      return b.none.none$;
    }, "set_session_token"),
    check_online: fn(() => Sk.misceval.promiseToSuspension(bridge.checkOnline().then((ok) => (ok ? b.bool.true$ : b.bool.false$))),
      "check_online"),
    monotonic: fn(() => new b.float_(performance.now() / 1000), "monotonic"),
  });
  return mod;
}
