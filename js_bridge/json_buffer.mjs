// A growing buffer of JSON text as UTF-8 bytes, shared by the writers that turn Python's binary formats into
// the wire's JSON (marshal_json.mjs for plain values, pickle_json.mjs for values with dates and Longs).
//
//   const out = new JsonBuffer(1024);
//   out.ascii("[");  out.utf8String(bytes, 0, bytes.length);  out.byte(0x5d);
//   out.text();   // '["..."]'
//
// Strings are copied from Python's UTF-8 ("surrogatepass": a lone surrogate is ED A0-BF xx) with JSON's
// escapes for '"', '\' and the bytes below 0x20, and lone surrogates as \udXXX; floats are written as
// Python's repr writes them (pythonFloatRepr), so json.loads reads back exactly the value.

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

// JSON escapes of the bytes below 0x20 and of '"' and '\' (null: written as they are).
const ESCAPES = new Array(256).fill(null);
for (let code = 0; code < 0x20; code++) ESCAPES[code] = "\\u" + code.toString(16).padStart(4, "0");
Object.assign(ESCAPES, { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 0x22: '\\"', 0x5c: "\\\\" });

const QUOTE = 0x22;
export const COMMA_SPACE = [0x2c, 0x20];
export const COLON_SPACE = [0x3a, 0x20];

const textDecoder = new TextDecoder();

export class JsonBuffer {
  constructor(capacity) {
    this.out = new Uint8Array(capacity);
    this.length = 0;
  }

  reserve(count) {
    if (this.length + count <= this.out.length) return;
    const grown = new Uint8Array(Math.max(this.out.length * 2, this.length + count));
    grown.set(this.out.subarray(0, this.length));
    this.out = grown;
  }

  ascii(text) {
    this.reserve(text.length);
    const out = this.out;
    for (let i = 0; i < text.length; i++) out[this.length++] = text.charCodeAt(i);
  }

  pair(two) {
    this.reserve(2);
    this.out[this.length++] = two[0];
    this.out[this.length++] = two[1];
  }

  byte(value) {
    this.reserve(1);
    this.out[this.length++] = value;
  }

  /** An int of at most 31 bits and a sign, in decimal (no string made). */
  int(value) {
    this.reserve(11);
    const out = this.out;
    let at = this.length;
    if (value < 0) {
      out[at++] = 0x2d;
      value = -value;
    }
    let end = at + 1;
    for (let rest = (value / 10) | 0; rest > 0; rest = (rest / 10) | 0) end++;
    this.length = end;
    do {
      out[--end] = 0x30 + value % 10;
      value = (value / 10) | 0;
    } while (value > 0);
  }

  /** A finite float as Python's repr writes it (pythonFloatRepr), without an intermediate string for the
   *  usual magnitudes. */
  float(value) {
    const magnitude = Math.abs(value);
    if (!(magnitude >= 1e-4 && magnitude < 1e16)) return this.ascii(pythonFloatRepr(value));
    const text = String(value); // fixed notation in this range, as Python's repr
    this.reserve(text.length + 2);
    const out = this.out;
    let at = this.length;
    let point = false;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x2e) point = true;
      out[at++] = code;
    }
    if (!point) {
      out[at++] = 0x2e;
      out[at++] = 0x30;
    }
    this.length = at;
  }

  /** Appends out[start:end] again (a value already written). */
  repeat(start, end) {
    const count = end - start;
    this.reserve(count);
    this.out.copyWithin(this.length, start, end);
    this.length += count;
  }

  /** The str whose UTF-8 bytes (surrogatepass) are bytes[start:end], as a JSON string. */
  utf8String(bytes, start, end) {
    this.reserve((end - start) * 6 + 2);
    const out = this.out;
    let at = this.length;
    out[at++] = QUOTE;
    for (let i = start; i < end; i++) {
      const byte = bytes[i];
      if (byte >= 0x20 && byte !== 0x22 && byte !== 0x5c && byte !== 0xed) {
        out[at++] = byte;
      } else if (byte === 0xed && i + 2 < end && bytes[i + 1] >= 0xa0) { // ED A0-BF xx: a lone surrogate
        const unit = 0xd000 | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
        const escape = "\\u" + unit.toString(16);
        for (let k = 0; k < 6; k++) out[at++] = escape.charCodeAt(k);
        i += 2;
      } else if (byte === 0xed) {
        out[at++] = byte;
      } else {
        const escape = ESCAPES[byte];
        for (let k = 0; k < escape.length; k++) out[at++] = escape.charCodeAt(k);
      }
    }
    out[at++] = QUOTE;
    this.length = at;
  }

  text() {
    return textDecoder.decode(this.out.subarray(0, this.length));
  }
}
