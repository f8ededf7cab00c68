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

import { COLON_SPACE, COMMA_SPACE, JsonBuffer, pythonFloatRepr } from "./json_buffer.mjs";

export { pythonFloatRepr };
export const MAX_DEPTH = 200;
const INT_LIMIT = 2147483647;

const FLAG_REF = 0x80;

class NotPlain extends Error {}

// The marshal tags of a str (z Z a A u t) and of a reference (r, checked once read).
const STR_TAGS = new Uint8Array(128);
for (const tag of "zZaAutr") STR_TAGS[tag.charCodeAt(0)] = 1;


/** Reads marshal bytes and writes the JSON text's UTF-8 bytes into one growing buffer as it goes. */
class Writer extends JsonBuffer {
  constructor(bytes) {
    super(bytes.length * 2 + 64);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
    // Objects marshal flagged for reference, by ref index: [start, end] of their JSON in `out`, or null while
    // that container is still being written.
    this.refs = [];
  }

  int32() {
    const value = this.view.getInt32(this.at, true);
    this.at += 4;
    return value;
  }

  /** Writes the JSON of the next object. */
  value(depth) {
    if (this.at >= this.bytes.length) throw new NotPlain();
    const tag = this.bytes[this.at++];
    const code = tag & ~FLAG_REF;
    if (!(tag & FLAG_REF)) return this.object(code, depth);
    const ref = this.refs.length;
    this.refs.push(null);
    const start = this.length;
    this.object(code, depth);
    this.refs[ref] = [start, this.length];
  }

  object(code, depth) {
    switch (code) {
      case 0x4e: return this.ascii("null"); // N
      case 0x54: return this.ascii("true"); // T
      case 0x46: return this.ascii("false"); // F
      case 0x69: { // i: int32
        const value = this.int32();
        if (value < -INT_LIMIT) throw new NotPlain();
        return this.int(value);
      }
      case 0x67: { // g: float64
        const value = this.view.getFloat64(this.at, true);
        this.at += 8;
        if (!Number.isFinite(value)) throw new NotPlain();
        return this.float(value);
      }
      case 0x7a: case 0x5a: return this.string(this.bytes[this.at++]); // z, Z: short ASCII
      case 0x61: case 0x41: case 0x75: case 0x74: return this.string(this.int32()); // a, A, u, t
      case 0x5b: case 0x28: return this.sequence(this.int32(), depth + 1); // [ list, ( tuple
      case 0x29: return this.sequence(this.bytes[this.at++], depth + 1); // ) small tuple
      case 0x7b: return this.dict(depth + 1); // {
      case 0x72: { // r: a reference to an object seen before
        const ref = this.refs[this.int32()];
        if (ref == null) throw new NotPlain(); // unknown, or a container inside itself
        return this.repeat(ref[0], ref[1]);
      }
      default: throw new NotPlain(); // a Long, bytes, a set, a code object...
    }
  }

  /** A str of `length` UTF-8 bytes (surrogatepass) as a JSON string. */
  string(length) {
    const start = this.at;
    const end = start + length;
    if (end > this.bytes.length) throw new NotPlain();
    this.at = end;
    this.utf8String(this.bytes, start, end);
  }

  sequence(count, depth) {
    if (depth > MAX_DEPTH) throw new NotPlain();
    this.byte(0x5b);
    for (let i = 0; i < count; i++) {
      if (i) this.pair(COMMA_SPACE);
      this.value(depth);
    }
    this.byte(0x5d);
  }

  dict(depth) {
    if (depth > MAX_DEPTH) throw new NotPlain();
    this.byte(0x7b);
    let first = true;
    while (true) {
      const keyTag = this.bytes[this.at];
      if (keyTag === 0x30) { // "0": the end of the dict
        this.at++;
        return this.byte(0x7d);
      }
      if (!STR_TAGS[keyTag & ~FLAG_REF]) throw new NotPlain(); // a key that is not a str
      if (!first) this.pair(COMMA_SPACE);
      first = false;
      const keyStart = this.length;
      this.value(depth);
      if (this.out[keyStart] !== 0x22) throw new NotPlain(); // a reference to something that is not a str
      this.pair(COLON_SPACE);
      this.value(depth);
    }
  }
}

/** The JSON text of the plain value in `bytes` (marshal.dumps output), or null (see the top of this file). */
export function marshalToJson(bytes) {
  const writer = new Writer(bytes);
  try {
    writer.value(0);
    if (writer.at !== bytes.length) return null;
  } catch (error) {
    if (error instanceof NotPlain || error instanceof RangeError) return null;
    throw error;
  }
  return writer.text();
}

/** What the bridge hands Python for a plain message's marshal bytes: {text} (kept in JS: a long text never
 *  becomes a Python str), or null when Python's encoder must do it. */
export function plainJsonText(bytes) {
  const text = marshalToJson(bytes);
  return text === null ? null : { text };
}
