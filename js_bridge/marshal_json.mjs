// Python's `marshal` bytes of a plain-JSON value -> its JSON text, so that Python sends a message that needs
// no `objects` entries with one `marshal.dumps` (C: ~10x faster than `json.dumps` in Pyodide) and no
// conversion of a long Python str into a JS string.
//
//   const text = marshalToJson(bytes);   // a string, or null
//   // Python: json.loads(text) == the value marshal.dumps was given (same types)
//
// Plain JSON is what the wire codec sends as it is (client/anvil/_wire/encode.py, is_plain_json): None, bool,
// ints within +-2147483647, finite floats, str, and lists, tuples and str-keyed dicts of those. For anything
// else -- a Long, NaN or an infinity, a dict with another key type, bytes, a set, a value containing itself,
// nesting deeper than MAX_DEPTH -- the result is null and the caller encodes in Python (which sends those as
// `objects` entries, or raises the SerializationError). Floats are written as Python writes them (always
// with a "." or an exponent: 1.0, 1e+16), strings with JSON escapes (lone surrogates as \udXXX).

export const MAX_DEPTH = 200;
const INT_LIMIT = 2147483647;

const FLAG_REF = 0x80;

class NotPlain extends Error {}

// The marshal tags of a str (z Z a A u t) and of a reference (r, checked once read); of a list, tuple or dict.
const STR_TAGS = new Uint8Array(128);
for (const tag of "zZaAutr") STR_TAGS[tag.charCodeAt(0)] = 1;
const CONTAINER_TAGS = new Uint8Array(128);
for (const tag of "[()({") CONTAINER_TAGS[tag.charCodeAt(0)] = 1;

const textDecoder = new TextDecoder("utf-8", { fatal: false });

/** Python's repr of a finite float, from JS's shortest round-trip digits (the same digits Python picks). */
export function pythonFloatRepr(value) {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e16) { // both write these in fixed notation with the same digits
    const text = String(value);
    return text.includes(".") ? text : text + ".0";
  }
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = value.toExponential().split("e"); // "-1.2345", "+16"
  const negative = mantissa[0] === "-";
  const digits = mantissa.replace("-", "").replace(".", ""); // "12345"
  const exponent = Number(exponentText); // the first digit's power of ten
  let body;
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? "." + digits.slice(1) : "";
    const magnitude = Math.abs(exponent);
    body = `${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${magnitude < 10 ? "0" : ""}${magnitude}`;
  } else if (exponent < 0) {
    body = `0.${"0".repeat(-exponent - 1)}${digits}`;
  } else if (digits.length > exponent + 1) {
    body = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  } else {
    body = `${digits}${"0".repeat(exponent + 1 - digits.length)}.0`;
  }
  return negative ? "-" + body : body;
}

// JSON escapes of the bytes below 0x20 and of '"' and '\' (others: written as they are).
const ESCAPES = new Array(128).fill(null);
for (let code = 0; code < 0x20; code++) ESCAPES[code] = "\\u" + code.toString(16).padStart(4, "0");
Object.assign(ESCAPES, { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 0x22: '\\"', 0x5c: "\\\\" });

/** Reads marshal bytes and appends JSON text to `out` as it goes. */
class Writer {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
    this.out = "";
    // Objects marshal flagged for reference, by ref index: a scalar's JSON text, a container's [start, end]
    // in `out` (sliced only when referred to), or null while that container is still being written.
    this.refs = [];
  }

  int32() {
    const value = this.view.getInt32(this.at, true);
    this.at += 4;
    return value;
  }

  /** Appends the JSON text of the next object. */
  value(depth) {
    if (this.at >= this.bytes.length) throw new NotPlain();
    const tag = this.bytes[this.at++];
    const code = tag & ~FLAG_REF;
    if (CONTAINER_TAGS[code]) {
      if (!(tag & FLAG_REF)) return this.container(code, depth + 1);
      const ref = this.refs.length;
      this.refs.push(null);
      const start = this.out.length;
      this.container(code, depth + 1);
      this.refs[ref] = [start, this.out.length];
      return;
    }
    const text = this.scalar(code);
    if (tag & FLAG_REF) this.refs.push(text);
    this.out += text;
  }

  /** A list, tuple or dict: appended item by item. */
  container(code, depth) {
    if (depth > MAX_DEPTH) throw new NotPlain();
    if (code === 0x7b) return this.dict(depth); // {
    return this.sequence(code === 0x29 ? this.bytes[this.at++] : this.int32(), depth); // ) small tuple; [ list, ( tuple
  }

  /** The JSON text of anything but a container. */
  scalar(code) {
    switch (code) {
      case 0x4e: return "null"; // N
      case 0x54: return "true"; // T
      case 0x46: return "false"; // F
      case 0x69: { // i: int32
        const value = this.int32();
        if (value < -INT_LIMIT) throw new NotPlain();
        return String(value);
      }
      case 0x67: { // g: float64
        const value = this.view.getFloat64(this.at, true);
        this.at += 8;
        if (!Number.isFinite(value)) throw new NotPlain();
        return pythonFloatRepr(value);
      }
      case 0x7a: case 0x5a: return this.string(this.bytes[this.at++]); // z, Z: short ASCII
      case 0x61: case 0x41: case 0x75: case 0x74: return this.string(this.int32()); // a, A, u, t
      case 0x72: { // r: a reference to an object seen before
        const ref = this.refs[this.int32()];
        if (ref == null) throw new NotPlain(); // unknown, or a container inside itself
        return typeof ref === "string" ? ref : this.out.slice(ref[0], ref[1]);
      }
      default: throw new NotPlain(); // a Long, bytes, a set, a code object...
    }
  }

  /** A str of `length` UTF-8 bytes (surrogatepass) as a JSON string. */
  string(length) {
    const bytes = this.bytes;
    const start = this.at;
    const end = start + length;
    if (end > bytes.length) throw new NotPlain();
    this.at = end;
    for (let i = start; i < end; i++) {
      const byte = bytes[i];
      if (byte < 0x20 || byte === 0x22 || byte === 0x5c || byte >= 0x80) return '"' + escaped(bytes, start, end) + '"';
    }
    return '"' + latin1(bytes, start, end) + '"';
  }

  sequence(count, depth) {
    this.out += "[";
    for (let i = 0; i < count; i++) {
      if (i) this.out += ", ";
      this.value(depth);
    }
    this.out += "]";
  }

  dict(depth) {
    this.out += "{";
    let first = true;
    while (true) {
      const keyTag = this.bytes[this.at];
      if (keyTag === 0x30) { // "0": the end of the dict
        this.at++;
        this.out += "}";
        return;
      }
      if (!STR_TAGS[keyTag & ~FLAG_REF]) throw new NotPlain(); // a key that is not a str
      this.at++;
      const key = this.scalar(keyTag & ~FLAG_REF);
      if (key[0] !== '"') throw new NotPlain(); // a reference to something that is not a str
      if (keyTag & FLAG_REF) this.refs.push(key);
      this.out += first ? key + ": " : ", " + key + ": ";
      first = false;
      this.value(depth);
    }
  }
}

function latin1(bytes, start, end) {
  let text = "";
  for (let i = start; i < end; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return text;
}

/** The JSON string body of UTF-8 bytes with escapes; a surrogate (which only "surrogatepass" writes) as \uXXXX. */
function escaped(bytes, start, end) {
  let text = "";
  let runStart = start;
  let i = start;
  while (i < end) {
    const byte = bytes[i];
    if (byte >= 0x20 && byte !== 0x22 && byte !== 0x5c && byte !== 0xed) {
      i++;
      continue;
    }
    if (byte === 0xed && i + 2 < end && bytes[i + 1] >= 0xa0) { // ED A0-BF xx: a surrogate code unit
      text += textDecoder.decode(bytes.subarray(runStart, i));
      const unit = 0xd000 | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
      text += "\\u" + unit.toString(16);
      i += 3;
      runStart = i;
      continue;
    }
    if (byte === 0xed) {
      i++;
      continue;
    }
    text += textDecoder.decode(bytes.subarray(runStart, i)) + ESCAPES[byte];
    i++;
    runStart = i;
  }
  return text + textDecoder.decode(bytes.subarray(runStart, end));
}

/** The JSON text of the plain value in `bytes` (marshal.dumps output), or null (see the top of this file). */
export function marshalToJson(bytes) {
  const writer = new Writer(bytes);
  try {
    writer.value(0);
    return writer.at === bytes.length ? writer.out : null;
  } catch (error) {
    if (error instanceof NotPlain || error instanceof RangeError) return null;
    throw error;
  }
}

/** What the bridge hands Python for a plain message's marshal bytes: {text} (kept in JS: a long text never
 *  becomes a Python str), or null when Python's encoder must do it. */
export function plainJsonText(bytes) {
  const text = marshalToJson(bytes);
  return text === null ? null : { text };
}
