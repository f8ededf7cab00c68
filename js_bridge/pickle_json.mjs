// Python's `pickle` bytes of a message holding dates, datetimes, Longs or NaN -> the wire's JSON text with its
// `objects` entries, so that Python sends such a message with one `pickle.dumps` (C) instead of the codec's
// walk and `json.dumps` (client/anvil/_browser/wire_text.py; the plain case is marshal_json.mjs).
//
//   const text = pickleToJson(bytes);   // a string, or null
//   // Python: json.loads(text) == json.loads(json.dumps(encode_message(message).message))
//
// The text is what Python's encoder (client/anvil/_wire/encode.py) gives, as JSON: a date, an aware datetime
// (its tzinfo a datetime.timezone), an int outside +-2147483647 and a non-finite float become null plus an
// `objects` entry ({"type": ["Date"], "value": "2024-05-01", "path": [...]}), in the encoder's order: a dict
// holding anything but plain JSON (those values, or a tuple) is written with its keys sorted, as the encoder
// walks it; `objects` ends the message. For anything else -- other objects, a naive datetime, bytes, a
// non-str key, a container that appears twice (or in itself), an offset with seconds, nesting deeper than
// MAX_DEPTH, an opcode the C pickler does not write for these values -- the result is null and Python's
// encoder decides (it sends the value or raises the SerializationError).

import { COLON_SPACE, COMMA_SPACE, JsonBuffer, pythonFloatRepr } from "./json_buffer.mjs";

export const MAX_DEPTH = 200;
const INT_LIMIT = 2147483647;

class NotTyped extends Error {}

/** A str: its UTF-8 bytes (surrogatepass) are data[start:end]. */
class Str {
  constructor(start, end) {
    this.start = start;
    this.end = end;
  }
}

class Float {
  constructor(value) {
    this.value = value;
  }
}

/** Bytes (only the state of a date or datetime). */
class Bytes extends Str {}

/** A list or a tuple; `plain`: nothing in it needs an entry or makes the encoder walk it (is_plain_json);
 *  `isArguments`: a tuple holding what only a reduction takes (bytes, an offset), never a value. */
class Sequence {
  constructor(isTuple, items) {
    this.items = items;
    this.plain = !isTuple;
    this.isArguments = false;
  }
}

class Dict {
  constructor() {
    this.keys = [];
    this.values = [];
    this.plain = true;
  }
}

/** A value sent as null plus an `objects` entry of `type` with `value` (text). */
class Entry {
  constructor(type, value) {
    this.type = type;
    this.value = value;
  }
}

/** The class datetime.<name>, and what reducing with it made. */
class Global {
  constructor(name) {
    this.name = name;
  }
}

class Offset { // a datetime.timezone (or the datetime.timedelta of its offset): seconds east of UTC
  constructor(seconds) {
    this.seconds = seconds;
  }
}

const textDecoder = new TextDecoder();

function strText(data, str) {
  return textDecoder.decode(data.subarray(str.start, str.end));
}

function pad(value, width) {
  return String(value).padStart(width, "0");
}

/** Python's format_date / format_datetime (client/anvil/_wire/scalars.py) from the pickled state bytes. */
function dateText(data, start) {
  return `${pad(data[start] * 256 + data[start + 1], 4)}-${pad(data[start + 2] & 0x7f, 2)}-${pad(data[start + 3], 2)}`;
}

function datetimeText(data, start, offsetSeconds) {
  if (offsetSeconds % 60) throw new NotTyped(); // the encoder refuses it (SerializationError)
  const minutes = Math.abs(offsetSeconds) / 60;
  const microsecond = (data[start + 7] << 16) | (data[start + 8] << 8) | data[start + 9];
  return `${dateText(data, start)} ${pad(data[start + 4], 2)}:${pad(data[start + 5], 2)}:${pad(data[start + 6], 2)}` +
    `.${pad(microsecond, 6)}${offsetSeconds < 0 ? "-" : "+"}${pad(Math.floor(minutes / 60), 2)}${pad(minutes % 60, 2)}`;
}

/** An int from the pickle: inline (a number), or a Long entry. */
function intValue(value) {
  return value >= -INT_LIMIT && value <= INT_LIMIT ? value : new Entry("Long", String(value));
}

/** Reads the opcodes `pickle.dumps(message, protocol=4 or 5)` writes for JSON-like values, dates and datetimes
 *  into a tree of the nodes above. */
class Reader {
  constructor(data) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.at = 0;
    this.stack = [];
    this.marks = [];
    this.memo = [];
  }

  uint32() {
    const value = this.view.getUint32(this.at, true);
    this.at += 4;
    return value;
  }

  str(length, Kind) {
    const start = this.at;
    this.at += length;
    if (this.at > this.data.length) throw new NotTyped();
    return new Kind(start, this.at);
  }

  long(length) {
    if (length === 0) return 0;
    const data = this.data;
    let value = 0n;
    for (let i = this.at + length - 1; i >= this.at; i--) value = (value << 8n) | BigInt(data[i]);
    if (data[this.at + length - 1] & 0x80) value -= 1n << BigInt(8 * length); // two's complement
    this.at += length;
    return value >= -INT_LIMIT && value <= INT_LIMIT ? Number(value) : new Entry("Long", value.toString());
  }

  /** Pops the values above the last MARK. */
  popMarked() {
    if (!this.marks.length) throw new NotTyped();
    return this.stack.splice(this.marks.pop());
  }

  top() {
    if (!this.stack.length) throw new NotTyped();
    return this.stack[this.stack.length - 1];
  }

  read() {
    const data = this.data;
    const stack = this.stack;
    while (this.at < data.length) {
      const op = data[this.at++];
      switch (op) {
        case 0x80: this.at++; break; // PROTO
        case 0x95: this.at += 8; break; // FRAME
        case 0x2e: // STOP
          if (stack.length !== 1 || this.marks.length || this.at !== data.length) throw new NotTyped();
          return stack[0];
        case 0x4e: stack.push(null); break; // NONE
        case 0x88: stack.push(true); break; // NEWTRUE
        case 0x89: stack.push(false); break; // NEWFALSE
        case 0x4a: stack.push(intValue(this.view.getInt32(this.at, true))); this.at += 4; break; // BININT
        case 0x4b: stack.push(data[this.at++]); break; // BININT1
        case 0x4d: stack.push(this.view.getUint16(this.at, true)); this.at += 2; break; // BININT2
        case 0x8a: stack.push(this.long(data[this.at++])); break; // LONG1
        case 0x8b: stack.push(this.long(this.uint32())); break; // LONG4
        case 0x47: { // BINFLOAT (big-endian)
          const value = this.view.getFloat64(this.at, false);
          this.at += 8;
          stack.push(Number.isFinite(value) ? new Float(value)
            : new Entry("Float", Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity"));
          break;
        }
        case 0x8c: stack.push(this.str(data[this.at++], Str)); break; // SHORT_BINUNICODE
        case 0x58: stack.push(this.str(this.uint32(), Str)); break; // BINUNICODE
        case 0x43: stack.push(this.str(data[this.at++], Bytes)); break; // SHORT_BINBYTES
        case 0x5d: stack.push(new Sequence(false, [])); break; // EMPTY_LIST
        case 0x29: stack.push(new Sequence(true, [])); break; // EMPTY_TUPLE
        case 0x7d: stack.push(new Dict()); break; // EMPTY_DICT
        case 0x28: this.marks.push(stack.length); break; // MARK
        case 0x61: { // APPEND
          const item = stack.pop();
          this.append(this.top(), item);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMarked();
          const list = this.top();
          for (const item of items) this.append(list, item);
          break;
        }
        case 0x73: { // SETITEM
          const value = stack.pop();
          const key = stack.pop();
          this.setItem(this.top(), key, value);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMarked();
          const dict = this.top();
          if (items.length % 2) throw new NotTyped();
          for (let i = 0; i < items.length; i += 2) this.setItem(dict, items[i], items[i + 1]);
          break;
        }
        case 0x74: stack.push(this.tuple(this.popMarked())); break; // TUPLE
        case 0x85: case 0x86: case 0x87: { // TUPLE1, TUPLE2, TUPLE3
          const count = op - 0x84;
          if (stack.length < count) throw new NotTyped();
          stack.push(this.tuple(stack.splice(stack.length - count)));
          break;
        }
        case 0x94: this.memo.push(this.top()); break; // MEMOIZE
        case 0x68: this.ref(data[this.at++]); break; // BINGET
        case 0x6a: this.ref(this.uint32()); break; // LONG_BINGET
        case 0x93: { // STACK_GLOBAL
          const name = stack.pop();
          const module = stack.pop();
          if (!(module instanceof Str) || !(name instanceof Str)) throw new NotTyped();
          if (strText(data, module) !== "datetime") throw new NotTyped();
          stack.push(new Global(strText(data, name)));
          break;
        }
        case 0x52: { // REDUCE
          const args = stack.pop();
          const callable = stack.pop();
          stack.push(this.reduce(callable, args));
          break;
        }
        default: throw new NotTyped(); // anything else: Python's encoder decides
      }
    }
    throw new NotTyped();
  }

  tuple(items) {
    const tuple = new Sequence(true, items);
    for (const item of items) {
      if (isValue(item)) continue;
      if (!(item instanceof Bytes || item instanceof Offset)) throw new NotTyped();
      tuple.isArguments = true;
    }
    return tuple;
  }

  /** A container seen before: it appears twice or inside itself, which this writer leaves to the encoder. */
  ref(index) {
    if (index >= this.memo.length) throw new NotTyped();
    const value = this.memo[index];
    if (value instanceof Sequence || value instanceof Dict) throw new NotTyped();
    this.stack.push(value);
  }

  append(list, item) {
    if (!(list instanceof Sequence) || !isValue(item)) throw new NotTyped();
    list.items.push(item);
    if (list.plain && !isPlain(item)) list.plain = false;
  }

  setItem(dict, key, value) {
    if (!(dict instanceof Dict) || key === null || key.constructor !== Str || !isValue(value)) throw new NotTyped();
    dict.keys.push(key);
    dict.values.push(value);
    if (dict.plain && !isPlain(value)) dict.plain = false;
  }

  /** What datetime.<name>(*args) is on the wire (only the pickled forms of dates, aware datetimes and
   *  datetime.timezone offsets). */
  reduce(callable, args) {
    if (!(callable instanceof Global) || !(args instanceof Sequence) || args.plain) throw new NotTyped();
    const [first, second, third] = args.items;
    const count = args.items.length;
    switch (callable.name) {
      case "date":
        if (count === 1 && first instanceof Bytes && first.end - first.start === 4) {
          return new Entry("Date", dateText(this.data, first.start));
        }
        break;
      case "datetime":
        if (count === 2 && first instanceof Bytes && first.end - first.start === 10 && second instanceof Offset) {
          return new Entry("DateTime", datetimeText(this.data, first.start, second.seconds));
        }
        break;
      case "timezone":
        if ((count === 1 || count === 2 && second instanceof Str) && first instanceof Offset) return first;
        break;
      case "timedelta": // (days, seconds, microseconds), normalised: 0 <= seconds < 86400
        if (count === 3 && typeof first === "number" && typeof second === "number" && third === 0) {
          return new Offset(first * 86400 + second);
        }
        break;
    }
    throw new NotTyped();
  }
}

/** A value a message can hold (not a class, bytes or an offset on their own). */
function isValue(node) {
  return node === null || typeof node !== "object" || node.constructor === Str || node instanceof Float ||
    node instanceof Entry || node instanceof Sequence && !node.isArguments || node instanceof Dict;
}

function isPlain(node) {
  if (node === null || typeof node !== "object") return true;
  if (node instanceof Sequence || node instanceof Dict) return node.plain;
  return !(node instanceof Entry);
}

/** data[a.start:a.end] against data[b.start:b.end] by bytes: UTF-8 keeps the order of code points, which is
 *  how Python sorts str. */
function compareStr(data, a, b) {
  const length = Math.min(a.end - a.start, b.end - b.start);
  for (let i = 0; i < length; i++) {
    const difference = data[a.start + i] - data[b.start + i];
    if (difference) return difference;
  }
  return (a.end - a.start) - (b.end - b.start);
}

/** Writes the tree as the encoder does: entries collected with their paths in the encoder's walk order. */
class Writer extends JsonBuffer {
  constructor(data) {
    super(data.length * 2 + 64);
    this.data = data;
    this.entries = new JsonBuffer(256);
    this.path = [];
  }

  /** A value that holds no entries (is_plain_json): no path kept. */
  plain(node, depth) {
    if (node === null) return this.ascii("null");
    switch (typeof node) {
      case "boolean": return this.ascii(node ? "true" : "false");
      case "number": return this.ascii(String(node));
    }
    if (node.constructor === Str) return this.utf8String(this.data, node.start, node.end);
    if (node instanceof Float) return this.ascii(pythonFloatRepr(node.value));
    if (depth > MAX_DEPTH) throw new NotTyped();
    if (node instanceof Sequence) {
      this.byte(0x5b);
      const items = node.items;
      for (let i = 0; i < items.length; i++) {
        if (i) this.pair(COMMA_SPACE);
        this.plain(items[i], depth + 1);
      }
      return this.byte(0x5d);
    }
    this.byte(0x7b);
    const { keys, values } = node;
    for (let i = 0; i < keys.length; i++) {
      if (i) this.pair(COMMA_SPACE);
      this.utf8String(this.data, keys[i].start, keys[i].end);
      this.pair(COLON_SPACE);
      this.plain(values[i], depth + 1);
    }
    this.byte(0x7d);
  }

  /** Any value, at `this.path`. */
  value(node, depth) {
    if (isPlain(node)) return this.plain(node, depth);
    if (node instanceof Entry) {
      this.addEntry(node);
      return this.ascii("null");
    }
    if (depth > MAX_DEPTH) throw new NotTyped();
    const path = this.path;
    if (node instanceof Sequence) {
      this.byte(0x5b);
      const items = node.items;
      for (let i = 0; i < items.length; i++) {
        if (i) this.pair(COMMA_SPACE);
        path.push(i);
        this.value(items[i], depth + 1);
        path.pop();
      }
      return this.byte(0x5d);
    }
    this.dict(node, depth);
  }

  /** A dict the encoder walks: keys sorted. */
  dict(node, depth) {
    const { keys, values } = node;
    const data = this.data;
    const order = keys.map((_, i) => i);
    order.sort((a, b) => compareStr(data, keys[a], keys[b]));
    this.byte(0x7b);
    const path = this.path;
    for (let i = 0; i < order.length; i++) {
      if (i) this.pair(COMMA_SPACE);
      const key = keys[order[i]];
      this.utf8String(data, key.start, key.end);
      this.pair(COLON_SPACE);
      path.push(key);
      this.value(values[order[i]], depth + 1);
      path.pop();
    }
    this.byte(0x7d);
  }

  addEntry(entry) {
    const out = this.entries;
    if (out.length) out.pair(COMMA_SPACE);
    out.ascii(`{"type": ["${entry.type}"], "value": "${entry.value}", "path": [`);
    this.path.forEach((key, i) => {
      if (i) out.pair(COMMA_SPACE);
      if (typeof key === "number") out.ascii(String(key));
      else out.utf8String(this.data, key.start, key.end);
    });
    out.ascii("]}");
  }

  /** The message: a dict, its `objects` added last. */
  message(root) {
    if (!(root instanceof Dict)) throw new NotTyped();
    for (const key of root.keys) if (strText(this.data, key) === "objects") throw new NotTyped();
    if (root.plain) this.plain(root, 0);
    else this.dict(root, 0);
    this.length--; // reopen it for "objects"
    this.ascii(root.keys.length ? ', "objects": [' : '"objects": [');
    this.reserve(this.entries.length);
    this.out.set(this.entries.out.subarray(0, this.entries.length), this.length);
    this.length += this.entries.length;
    this.ascii("]}");
  }
}

/** The wire's JSON text of the message `pickle.dumps` wrote into `bytes`, or null (see the top of this file). */
export function pickleToJson(bytes) {
  try {
    const root = new Reader(bytes).read();
    const writer = new Writer(bytes);
    writer.message(root);
    return writer.text();
  } catch (error) {
    if (error instanceof NotTyped || error instanceof RangeError) return null;
    throw error;
  }
}

/** What the bridge hands Python for a message's pickle bytes: {text} (kept in JS), or null. */
export function typedJsonText(bytes) {
  const text = pickleToJson(bytes);
  return text === null ? null : { text };
}
