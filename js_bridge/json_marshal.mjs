// JSON text -> the bytes of Python's `marshal` format for the value `json.loads` would build from it, so that
// Python builds a received message with one `marshal.loads` (C, no text scanning: ~2-4x faster than
// `json.loads` in Pyodide) instead of parsing the text again.
//
//   const packed = jsonToMarshal('{"id": "c1", "response": [1, 2.5, null]}');  // Uint8Array, or null
//   // Python: marshal.loads(packed) == json.loads(text)
//
// The result is exactly what `json.loads` gives for the text's UTF-8 (what Python parsed before): ints stay ints (any size) and a number with a fraction or an
// exponent is a float (JSON.parse cannot tell 1.0 from 1); NaN, Infinity and -Infinity literals are floats;
// `\u` escapes that form a surrogate pair are one character, a lone surrogate stays one; a repeated key keeps
// its first place and its last value; keys are shared between objects (as json.loads shares them).
// Anything else -- text that is not JSON (json.loads raises the error to report), a control character in a
// string, an int of more than 4,300 digits, nesting deeper than MAX_DEPTH -- gives null: the caller then uses
// json.loads, which decides.

export const MAX_DEPTH = 200;
// Strings shared per message (keys, and values of up to SHARED_MAX bytes): at most half of the table's slots,
// which grow with the text (the rest are written out): twice as many as the text can hold strings (each takes
// 3 bytes or more, `"":`), so a short reply's table never fills and costs little to clear.
const MIN_SLOTS = 16;
const MAX_SLOTS = 1 << 16;
const SHARED_MAX = 32; // longer values repeat rarely; each one shared costs a hash of its bytes
// Values stop being shared when fewer than a quarter of the first SHARING_TRIAL short ones were repeats (all
// distinct: hashing each would cost the transcoder up to half again and save Python nothing).
const SHARING_TRIAL = 2048;
const MAX_INT_DIGITS = 4300; // Python's int_max_str_digits: json.loads raises for longer ints

const TYPE_NULL = 0x30; // "0": ends a dict
const TYPE_NONE = 0x4e; // "N"
const TYPE_FALSE = 0x46; // "F"
const TYPE_TRUE = 0x54; // "T"
const TYPE_INT = 0x69; // "i": int32
const TYPE_LONG = 0x6c; // "l": int32 signed digit count, then 15-bit digits
const TYPE_BINARY_FLOAT = 0x67; // "g": float64
const TYPE_SHORT_ASCII = 0x7a; // "z": uint8 length
const TYPE_ASCII = 0x61; // "a": int32 length
const TYPE_UNICODE = 0x75; // "u": int32 length, UTF-8 (surrogatepass)
const TYPE_LIST = 0x5b; // "["
const TYPE_TUPLE = 0x28; // "(": int32 count
const TYPE_DICT = 0x7b; // "{"
const TYPE_REF = 0x72; // "r": int32 index of an object written with FLAG_REF
const FLAG_REF = 0x80;

class Invalid extends Error {}

class MarshalWriter {
  constructor(capacity) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  reserve(count) {
    if (this.length + count <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + count));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(value) {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  typedInt32(type, value) {
    this.reserve(5);
    this.bytes[this.length] = type;
    this.view.setInt32(this.length + 1, value, true);
    this.length += 5;
  }

  float(value) {
    this.reserve(9);
    this.bytes[this.length] = TYPE_BINARY_FLOAT;
    this.view.setFloat64(this.length + 1, value, true);
    this.length += 9;
  }

  /** A string from UTF-8 bytes src[start:end]: "z"/"a" when they are ASCII, else "u". */
  utf8(src, start, end, isAscii, flags) {
    const count = end - start;
    this.reserve(count + 5);
    const bytes = this.bytes;
    if (isAscii && count < 256) {
      bytes[this.length] = TYPE_SHORT_ASCII | flags;
      bytes[this.length + 1] = count;
      this.length += 2;
    } else {
      bytes[this.length] = (isAscii ? TYPE_ASCII : TYPE_UNICODE) | flags;
      this.view.setInt32(this.length + 1, count, true);
      this.length += 5;
    }
    if (count < 16) {
      for (let i = start; i < end; i++) bytes[this.length++] = src[i];
    } else {
      bytes.set(src.subarray(start, end), this.length);
      this.length += count;
    }
  }

  /** An int too big for int32: Python's 15-bit digits, least significant first. */
  long(digitsText, negative) {
    let magnitude = BigInt(digitsText);
    const digits = [];
    while (magnitude > 0n) {
      digits.push(Number(magnitude & 0x7fffn));
      magnitude >>= 15n;
    }
    this.typedInt32(TYPE_LONG, negative ? -digits.length : digits.length);
    this.reserve(digits.length * 2);
    for (const digit of digits) {
      this.view.setUint16(this.length, digit, true);
      this.length += 2;
    }
  }
}

function isWhitespace(code) {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function isDigit(code) {
  return code >= 0x30 && code <= 0x39;
}

// The byte each one-character escape stands for (\uXXXX is handled apart); 0: not an escape.
const ESCAPED = new Uint8Array(128);
for (const [escape, byte] of [['"', 0x22], ["\\", 0x5c], ["/", 0x2f], ["b", 8], ["f", 12], ["n", 10], ["r", 13], ["t", 9]]) {
  ESCAPED[escape.charCodeAt(0)] = byte;
}

const utf8Encoder = new TextEncoder();

// 1e0 ... 1e22: the powers of ten that are exact doubles.
const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, power) => Number(`1e${power}`));

// The text's UTF-8 is written into this buffer, kept between messages (allocating a megabyte per message cost
// more than encoding into it); the bytes are only read while one text is transcoded.
let utf8Scratch = new Uint8Array(1 << 16);

const SCRATCH_MAX = 48 << 20; // a longer text gets a buffer of its own, not kept

function utf8Of(text) {
  if (text.length * 3 > SCRATCH_MAX) return utf8Encoder.encode(text);
  if (utf8Scratch.length < text.length * 3) utf8Scratch = new Uint8Array(text.length * 3); // enough for any text
  const { written } = utf8Encoder.encodeInto(text, utf8Scratch);
  return utf8Scratch.subarray(0, written);
}

/** Reads JSON as UTF-8 bytes (the grammar json.loads accepts) and writes each value as it is read. */
class Transcoder {
  constructor(text, scalarEntries = false) {
    this.scalarEntries = scalarEntries;
    this.text = text;
    this.src = utf8Of(text);
    this.isAscii = this.src.length === text.length; // then byte offsets are character offsets
    this.at = 0;
    this.out = new MarshalWriter(Math.max(64, this.src.length + (this.src.length >> 2)));
    this.keys = new KeyTable(this.src.length);
    this.sharingValues = true; // short value strings are shared while enough of them repeat (SHARING_TRIAL)
    this.valueStrings = 0;
    this.valueRepeats = 0;
    this.refCount = 0;
  }

  skipWhitespace() {
    const src = this.src;
    let at = this.at;
    while (at < src.length && isWhitespace(src[at])) at++;
    this.at = at;
  }

  expect(word) {
    const src = this.src;
    for (let i = 0; i < word.length; i++) if (src[this.at + i] !== word.charCodeAt(i)) throw new Invalid();
    this.at += word.length;
  }

  value(depth) {
    this.skipWhitespace();
    const code = this.src[this.at];
    if (code === 0x22) return this.string();
    if (code === 0x7b) return this.object(depth + 1);
    if (code === 0x5b) return this.array(depth + 1);
    if (code === 0x2d || isDigit(code)) return this.number();
    if (code === 0x6e) { this.expect("null"); return this.out.byte(TYPE_NONE); }
    if (code === 0x74) { this.expect("true"); return this.out.byte(TYPE_TRUE); }
    if (code === 0x66) { this.expect("false"); return this.out.byte(TYPE_FALSE); }
    if (code === 0x4e) { this.expect("NaN"); return this.out.float(NaN); }
    if (code === 0x49) { this.expect("Infinity"); return this.out.float(Infinity); }
    throw new Invalid();
  }

  object(depth) {
    if (depth > MAX_DEPTH) throw new Invalid();
    const src = this.src;
    this.at++;
    this.out.byte(TYPE_DICT);
    this.skipWhitespace();
    if (src[this.at] === 0x7d) {
      this.at++;
      return this.out.byte(TYPE_NULL);
    }
    let previous = -1; // the ref of the key before this one (-1: none), which predicts this one
    while (true) {
      this.skipWhitespace();
      if (src[this.at] !== 0x22) throw new Invalid();
      const keyStart = this.at;
      const outStart = this.out.length;
      previous = this.key(previous);
      this.skipWhitespace();
      if (src[this.at] !== 0x3a) throw new Invalid();
      this.at++;
      if (!(depth === 1 && this.scalarEntries && this.isObjectsKey(keyStart) && this.packScalarEntries(keyStart, outStart))) {
        this.value(depth);
      }
      this.skipWhitespace();
      const code = src[this.at++];
      if (code === 0x7d) return this.out.byte(TYPE_NULL);
      if (code !== 0x2c) throw new Invalid();
    }
  }

  array(depth) {
    if (depth > MAX_DEPTH) throw new Invalid();
    const src = this.src;
    this.at++;
    const out = this.out;
    out.typedInt32(TYPE_LIST, 0);
    const countAt = out.length - 4;
    let count = 0;
    this.skipWhitespace();
    if (src[this.at] === 0x5d) {
      this.at++;
      return;
    }
    while (true) {
      this.value(depth);
      count++;
      this.skipWhitespace();
      const code = src[this.at++];
      if (code === 0x5d) break;
      if (code !== 0x2c) throw new Invalid();
    }
    out.view.setInt32(countAt, count, true);
  }

  /** The characters of src[start:end] (ASCII) as a string. */
  asciiText(start, end) {
    if (this.isAscii) return this.text.slice(start, end);
    return String.fromCharCode.apply(null, this.src.subarray(start, end));
  }

  number() {
    const src = this.src;
    const start = this.at;
    let at = start;
    const negative = src[at] === 0x2d;
    if (negative) {
      at++;
      if (src[at] === 0x49) {
        this.at = at;
        this.expect("Infinity");
        return this.out.float(-Infinity);
      }
    }
    const digitsStart = at;
    let value = 0;
    if (src[at] === 0x30) at++;
    else if (isDigit(src[at])) while (isDigit(src[at])) value = value * 10 + (src[at++] - 0x30);
    else throw new Invalid();
    const digitsEnd = at;
    let isFloat = false;
    let mantissa = value; // the digits before and after the point as one integer
    let scale = 0; // the power of ten to apply to it
    if (src[at] === 0x2e && isDigit(src[at + 1])) {
      isFloat = true;
      at++;
      while (isDigit(src[at])) {
        mantissa = mantissa * 10 + (src[at++] - 0x30);
        scale--;
      }
    }
    const e = src[at];
    if (e === 0x65 || e === 0x45) {
      let exponent = at + 1;
      const sign = src[exponent];
      if (sign === 0x2b || sign === 0x2d) exponent++;
      if (isDigit(src[exponent])) {
        isFloat = true;
        at = exponent;
        let power = 0;
        while (isDigit(src[at])) power = power * 10 + (src[at++] - 0x30); // (huge: Infinity, not fast)
        scale += sign === 0x2d ? -power : power;
      }
    }
    this.at = at;
    if (isFloat) {
      // Clinger's fast path: an integer below 2^53 and a power of ten up to 1e22 are exact doubles, and one
      // IEEE multiplication or division rounds correctly, as Python's float(text) does. Else V8's parser.
      // (mantissa only grows digit by digit, so when it ends below 2^53 every step was exact.)
      if (mantissa <= Number.MAX_SAFE_INTEGER && scale >= -22 && scale <= 22) {
        const magnitude = scale < 0 ? mantissa / POWERS_OF_TEN[-scale] : mantissa * POWERS_OF_TEN[scale];
        return this.out.float(negative ? -magnitude : magnitude);
      }
      return this.out.float(Number(this.asciiText(start, at)));
    }
    const digitCount = digitsEnd - digitsStart;
    if (digitCount <= 9) return this.out.typedInt32(TYPE_INT, negative ? -value : value);
    if (digitCount > MAX_INT_DIGITS) throw new Invalid();
    if (value <= 2147483647) return this.out.typedInt32(TYPE_INT, negative ? -value : value);
    return this.out.long(this.asciiText(digitsStart, digitsEnd), negative);
  }

  /** Scans a string's bytes from its opening quote: [end of its plain run, that run is ASCII]; stops at the
   *  closing quote, a backslash or a control character. */
  plainRun(start) {
    const src = this.src;
    let at = start;
    let high = 0;
    let hash = 0;
    while (at < src.length) {
      const code = src[at];
      if (code === 0x22 || code === 0x5c || code < 0x20) break;
      high |= code;
      hash = (Math.imul(hash, 31) + code) | 0;
      at++;
    }
    this.runIsAscii = high < 0x80;
    this.runHash = hash; // (the run's bytes hashed as KeyTable.find hashes a string)
    return at;
  }

  string() {
    const start = this.at + 1;
    const end = this.plainRun(start);
    if (this.src[end] === 0x22) {
      this.at = end + 1;
      if (end - start > SHARED_MAX || !this.sharingValues) return this.out.utf8(this.src, start, end, this.runIsAscii, 0);
      const refs = this.refCount;
      if (this.shared(start, end) >= 0 && this.refCount === refs) this.valueRepeats++; // (found, not added)
      if (++this.valueStrings === SHARING_TRIAL) this.sharingValues = this.valueRepeats * 4 >= SHARING_TRIAL;
      return;
    }
    this.escapedString(start, end, 0);
  }

  /** A short plain string: written once (FLAG_REF), then referred to, so Python makes one str object for all
   *  its repeats (strs are immutable: json.loads's values compare equal; only `is` could tell). Returns its
   *  ref, or -1 when the table is full. */
  shared(start, end) {
    const src = this.src;
    const keys = this.keys;
    const ref = keys.find(src, start, end, this.runHash);
    if (ref >= 0) {
      this.out.typedInt32(TYPE_REF, ref);
      return ref;
    }
    if (keys.add(src, start, end, this.refCount)) {
      this.out.utf8(src, start, end, this.runIsAscii, FLAG_REF);
      return this.refCount++;
    }
    this.out.utf8(src, start, end, this.runIsAscii, 0);
    return -1;
  }

  /** A string with escapes, decoded into UTF-8 bytes as it is written (lone surrogates as themselves). */
  escapedString(start, end, flags) {
    const src = this.src;
    const decoded = [];
    let at = start;
    let runEnd = end;
    while (true) {
      for (let i = at; i < runEnd; i++) decoded.push(src[i]);
      at = runEnd;
      const code = src[at];
      if (code === 0x22) break;
      if (code !== 0x5c) throw new Invalid(); // the end, or a control character: json.loads (strict) refuses them
      const escape = src[at + 1];
      if (escape === 0x75) {
        let unit = this.hex4(at + 2);
        at += 6;
        if (unit >= 0xd800 && unit < 0xdc00 && src[at] === 0x5c && src[at + 1] === 0x75) {
          const low = this.hex4(at + 2);
          if (low >= 0xdc00 && low < 0xe000) {
            unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
            at += 6;
          }
        }
        pushUtf8(decoded, unit);
      } else {
        const byte = escape < 128 ? ESCAPED[escape] : 0;
        if (!byte) throw new Invalid();
        decoded.push(byte);
        at += 2;
      }
      runEnd = this.plainRun(at);
    }
    this.at = at + 1;
    const bytes = Uint8Array.from(decoded);
    return this.out.utf8(bytes, 0, bytes.length, false, flags);
  }

  hex4(at) {
    let unit = 0;
    for (let i = at; i < at + 4; i++) {
      const code = this.src[i];
      const digit = isDigit(code) ? code - 0x30 : (code | 0x20) >= 0x61 && (code | 0x20) <= 0x66 ? (code | 0x20) - 0x57 : -1;
      if (digit < 0) throw new Invalid();
      unit = unit * 16 + digit;
    }
    return unit;
  }

  /** A dict key: the first time it is seen, written with FLAG_REF; later, as a reference to that one. The key
   *  that followed `previous` (a key's ref, or -1 at a dict's start) last time is tried first: records of one
   *  shape repeat their keys in order, so most keys are found without hashing. Returns the key's ref, or -1. */
  key(previous) {
    const src = this.src;
    const start = this.at + 1;
    const end = this.plainRun(start);
    if (src[end] !== 0x22) {
      this.escapedString(start, end, 0); // rare: not shared
      return -1;
    }
    this.at = end + 1;
    const keys = this.keys;
    const guess = keys.following[previous + 1];
    if (guess >= 0 && keys.isKey(guess, src, start, end)) {
      this.out.typedInt32(TYPE_REF, guess);
      return guess;
    }
    const ref = this.shared(start, end); // (-1: the table is full, this key is not shared)
    if (ref >= 0) keys.following[previous + 1] = ref;
    return ref;
  }
}

/** Whether the text at src[at:] is the key "objects". */
Transcoder.prototype.isObjectsKey = function isObjectsKey(at) {
  return this.src[at + 8] === 0x22 && asciiAt(this.src, at + 1, "objects");
};

/** The message's `objects` list (its last key: the text ends with it and the closing brace), when every entry
 *  is a Date, DateTime, Long or Float entry (scalarEntries below), written as a tuple of (kind, path, value)
 *  instead: Python puts those values in place without the codec's general decoding (scalar_entries.py). True
 *  when written (and read: `at` is past it); false leaves it to be read as any value. */
Transcoder.prototype.packScalarEntries = function packScalarEntries(keyStart, outStart) {
  this.skipWhitespace();
  const src = this.src;
  let end = src.length - 1;
  while (end > this.at && isWhitespace(src[end])) end--;
  if (src[end] !== 0x7d) return false;
  end--;
  while (end > this.at && isWhitespace(src[end])) end--;
  if (src[this.at] !== 0x5b || src[end] !== 0x5d) return false;
  const entries = scalarEntries(src, this.at, end + 1); // null unless src[at:end + 1] is one array (JSON.parse)
  if (entries === null) return false;
  this.at = end + 1;
  const out = this.out;
  out.length = outStart;
  out.utf8(this.src, keyStart + 1, keyStart + 8, true, 0);
  out.typedInt32(TYPE_TUPLE, entries.length);
  for (const [kind, path, value] of entries) {
    out.typedInt32(TYPE_TUPLE, 3);
    out.utf8(ASCII_KINDS[kind], 0, 1, true, 0);
    out.typedInt32(TYPE_TUPLE, path.length);
    for (const key of path) {
      if (typeof key === "number") out.typedInt32(TYPE_INT, key);
      else writeText(out, key);
    }
    if (value === null) out.byte(TYPE_NONE);
    else if (typeof value === "number") out.float(value);
    else if (typeof value === "string") writeLong(out, value);
    else {
      out.typedInt32(TYPE_TUPLE, value.length);
      for (const part of value) {
        if (part === null) out.byte(TYPE_NONE);
        else out.typedInt32(TYPE_INT, part);
      }
    }
  }
  return true;
};

function asciiAt(src, at, word) {
  for (let i = 0; i < word.length; i++) if (src[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

const ASCII_KINDS = { D: Uint8Array.of(0x44), T: Uint8Array.of(0x54), L: Uint8Array.of(0x4c), F: Uint8Array.of(0x46) };

function writeText(out, text) {
  let ascii = text.length < 256;
  for (let i = 0; ascii && i < text.length; i++) ascii = text.charCodeAt(i) < 0x80;
  if (!ascii) {
    const bytes = utf8Encoder.encode(text);
    return out.utf8(bytes, 0, bytes.length, bytes.length === text.length, 0);
  }
  out.reserve(text.length + 2);
  out.bytes[out.length++] = TYPE_SHORT_ASCII;
  out.bytes[out.length++] = text.length;
  for (let i = 0; i < text.length; i++) out.bytes[out.length++] = text.charCodeAt(i);
}

function writeLong(out, text) {
  const negative = text[0] === "-";
  const digits = negative ? text.slice(1) : text;
  const value = BigInt(text);
  if (value >= -2147483648n && value <= 2147483647n) return out.typedInt32(TYPE_INT, Number(value));
  out.long(digits, negative);
}

const DATE_TEXT = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const DATETIME_TEXT = new RegExp("^([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\\.([0-9]{1,6}))?" +
  "(?:([+-])([0-9]{2}):?([0-9]{2})|(Z))?$");
const LONG_TEXT = /^-?[0-9]+$/;
const FLOAT_VALUES = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const KINDS = { Date: "D", DateTime: "T", Long: "L", Float: "F" };

/** The entries in src[start:end] (a JSON array) as [kind, path, value], when every one is an entry whose first
 *  type is Date, DateTime, Long or Float with a well-formed path and value (the codec's rules, client/anvil/
 *  _wire/decode.py and scalars.py): a date as [y, m, d], a datetime as [y, m, d, H, M, S, us, offset minutes or
 *  null], null for an empty one, a Long's digits, a float; else null (the codec decodes and reports). Whether
 *  each path leads to a place in the message is Python's to check. */
export function scalarEntries(src, start, end) {
  let inString = false;
  for (let i = start; i < end; i++) { // numbers other than ints (1.0, 1e3) would look like ints after JSON.parse
    const code = src[i];
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x2e || code === 0x45 || code === 0x65 && isDigit(src[i - 1])) return null;
  }
  let entries;
  try {
    entries = JSON.parse(textDecoder.decode(src.subarray(start, end)));
  } catch {
    return null;
  }
  if (!Array.isArray(entries) || !entries.length) return null;
  const result = [];
  for (const entry of entries) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return null;
    const { path, type } = entry;
    if (!Array.isArray(path) || !path.length || !Array.isArray(type) || !type.length) return null;
    for (const key of path) { // (a lone surrogate would not survive TextEncoder: left to the codec)
      if (typeof key === "string" ? !key.isWellFormed() : !(Number.isSafeInteger(key) && key >= 0 && key <= 2147483647)) {
        return null;
      }
    }
    if (!type.every((name) => typeof name === "string")) return null;
    const kind = Object.hasOwn(KINDS, type[0]) ? KINDS[type[0]] : null;
    if (kind === null) return null;
    const value = scalarValue(kind, Object.hasOwn(entry, "value") ? entry.value : null);
    if (value === undefined) return null;
    result.push([kind, path, value]);
  }
  return result;
}

/** An entry's value as Python will build it (see scalarEntries), or undefined when the codec would refuse it. */
function scalarValue(kind, text) {
  if (kind === "D" || kind === "T") {
    if (text === null || text === "") return null;
    if (typeof text !== "string") return undefined;
    const match = (kind === "D" ? DATE_TEXT : DATETIME_TEXT).exec(text);
    if (match === null) return undefined;
    const parts = match.slice(1, 7).filter((part) => part !== undefined).map(Number);
    if (kind === "D") return parts;
    const [, , , , , , , fraction, sign, hours, minutes] = match;
    parts.push(Number((fraction || "0").padEnd(6, "0")));
    if (sign === undefined) {
      parts.push(match[11] === "Z" ? 0 : null);
      return parts;
    }
    const offset = Number(hours) * 60 + Number(minutes);
    if (offset >= 24 * 60) return undefined;
    parts.push(sign === "-" ? -offset : offset);
    return parts;
  }
  if (kind === "L") {
    return typeof text === "string" && LONG_TEXT.test(text) && text.length <= MAX_INT_DIGITS ? text : undefined;
  }
  return typeof text === "string" && Object.hasOwn(FLOAT_VALUES, text) ? FLOAT_VALUES[text] : undefined;
}

const textDecoder = new TextDecoder();

/** The keys already written, by their place in the source bytes: an open-addressing table of
 *  [start, length, ref] (typed arrays: no allocation per key). */
class KeyTable {
  /** A table for a text of `textBytes` bytes: a power of two from MIN_SLOTS to MAX_SLOTS, at least 2/3 of a slot
   *  per byte (e.g. 32 slots for a 47-byte reply). */
  constructor(textBytes) {
    let size = MIN_SLOTS;
    while (size < MAX_SLOTS && size * 3 < textBytes * 2) size *= 2;
    this.mask = size - 1;
    this.capacity = size / 2;
    this.slots = new Int32Array(size).fill(-1); // the ref in each slot, or -1
    this.count = 0;
    this.starts = new Int32Array(this.capacity); // by ref: where the string is in the source bytes
    this.lengths = new Int32Array(this.capacity);
    this.following = new Int32Array(this.capacity + 1).fill(-1); // by ref + 1: the ref of the key seen after it
  }

  /** Whether src[start:end] is the string of `ref`. */
  isKey(ref, src, start, end) {
    return this.lengths[ref] === end - start && sameBytes(src, start, this.starts[ref], end - start);
  }

  /** The ref of the string src[start:end] whose bytes hash to `hash` (Transcoder.plainRun), or -1 (then `add`
   *  may record it in the free slot found). */
  find(src, start, end, hash) {
    const slots = this.slots;
    for (let slot = (hash ^ (hash >>> 15)) & this.mask; ; slot = (slot + 1) & this.mask) {
      const ref = slots[slot];
      if (ref < 0) {
        this.free = slot;
        return -1;
      }
      if (this.isKey(ref, src, start, end)) return ref;
    }
  }

  /** Records the string that find() just missed as `ref`; false when the table is full. */
  add(src, start, end, ref) {
    if (this.count >= this.capacity) return false;
    this.slots[this.free] = ref;
    this.starts[ref] = start;
    this.lengths[ref] = end - start;
    this.count++;
    return true;
  }
}

function sameBytes(src, a, b, count) {
  for (let i = 0; i < count; i++) if (src[a + i] !== src[b + i]) return false;
  return true;
}

/** Appends the UTF-8 of one code point (a lone surrogate as its 3-byte form, as "surrogatepass" reads it). */
function pushUtf8(bytes, code) {
  if (code < 0x80) bytes.push(code);
  else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
  else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
}

/** The marshal bytes of the value `json.loads(text)` gives, or null (see the top of this file). With
 *  `scalarEntries`, a message's `objects` list of only Date, DateTime, Long and Float entries is a tuple of
 *  (kind, path, value) instead (packScalarEntries). */
export function jsonToMarshal(text, { scalarEntries = false } = {}) {
  const transcoder = new Transcoder(text, scalarEntries);
  try {
    transcoder.value(0);
    transcoder.skipWhitespace();
    if (transcoder.at !== transcoder.src.length) return null;
  } catch (error) {
    if (error instanceof Invalid || error instanceof RangeError) return null;
    throw error;
  }
  return transcoder.out.bytes.subarray(0, transcoder.out.length);
}
