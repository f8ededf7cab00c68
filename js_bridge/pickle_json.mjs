// Python's `pickle` bytes of a message holding dates, datetimes, Longs or NaN -> the wire's JSON text with its
// `objects` entries, so that Python sends such a message with one `pickle.dumps` (C) instead of the codec's
// walk and `json.dumps` (client/anvil/_browser/wire_text.py and typed_pickle.py; the plain case is marshal_json.mjs).
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

// The tree is kept in typed arrays (no object per value: allocation and GC were most of the time): node n is
// SLOTS int32s at n * SLOTS, [kind, a, b, next sibling, first child, last child]; floats in `floats[n]`.
const SLOTS = 6;
const KIND = 0, A = 1, B = 2, NEXT = 3, FIRST = 4, LAST = 5;
const NONE = 0, TRUE = 1, FALSE = 2;
const INT = 3; // a: the value (inline range)
const FLOAT = 4; // floats[n]: a finite float
const STR = 5; // a, b: its UTF-8 bytes (surrogatepass) are data[a:b]
const BYTES = 6; // a, b: the same for bytes (only the state of a date or a datetime)
const ENTRY = 7; // a: index into the entry lists: sent as null plus an `objects` entry
const LIST = 8, TUPLE = 9, DICT = 10; // a: flags; b: item count (a dict's items are key, value, key, value...)
const GLOBAL = 11; // a: which class of the datetime module
const OFFSET = 12; // a: a timezone's (or a timedelta's) offset in seconds east of UTC
const PLAIN = 1; // nothing in it needs an entry or makes the encoder walk it (is_plain_json)
const ARGUMENTS = 2; // a tuple holding bytes or an offset: the arguments of a reduction, never a value
const CLASSES = ["date", "datetime", "timezone", "timedelta"];
const DATE = 0, DATETIME = 1, TIMEZONE = 2, TIMEDELTA = 3;

const textDecoder = new TextDecoder();
const scratch = { nodes: new Int32Array(SLOTS * 4096), floats: new Float64Array(4096), out: new Uint8Array(0) };

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

/** Reads the opcodes `pickle.dumps(message, protocol=5)` writes for JSON-like values, dates and datetimes. */
class Reader {
  constructor(data) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.at = 0;
    // Kept between calls (every slot of a node is written when it is made): allocating and zeroing megabytes
    // per message cost more than reading it.
    this.nodes = scratch.nodes;
    this.floats = scratch.floats;
    this.count = 0;
    this.entryTypes = [];
    this.entryValues = [];
    this.stack = [];
    this.marks = [];
    this.memo = [];
  }

  node(kind, a, b) {
    if ((this.count + 1) * SLOTS > this.nodes.length) {
      const nodes = new Int32Array(this.nodes.length * 2);
      nodes.set(this.nodes);
      this.nodes = scratch.nodes = nodes;
      const floats = new Float64Array(nodes.length / SLOTS);
      floats.set(this.floats);
      this.floats = scratch.floats = floats;
    }
    const n = this.count++;
    const at = n * SLOTS;
    const nodes = this.nodes;
    nodes[at + KIND] = kind;
    nodes[at + A] = a;
    nodes[at + B] = b;
    nodes[at + NEXT] = -1;
    nodes[at + FIRST] = -1;
    nodes[at + LAST] = -1;
    return n;
  }

  entry(type, value) {
    this.entryTypes.push(type);
    this.entryValues.push(value);
    return this.node(ENTRY, this.entryTypes.length - 1, 0);
  }

  int(value) {
    return value >= -INT_LIMIT && value <= INT_LIMIT ? this.node(INT, value, 0) : this.entry("Long", String(value));
  }

  uint32() {
    const value = this.view.getUint32(this.at, true);
    this.at += 4;
    return value;
  }

  str(length, kind) {
    const start = this.at;
    this.at += length;
    if (this.at > this.data.length) throw new NotTyped();
    return this.node(kind, start, this.at);
  }

  long(length) {
    if (length === 0) return this.node(INT, 0, 0);
    const data = this.data;
    let value = 0n;
    for (let i = this.at + length - 1; i >= this.at; i--) value = (value << 8n) | BigInt(data[i]);
    if (data[this.at + length - 1] & 0x80) value -= 1n << BigInt(8 * length); // two's complement
    this.at += length;
    return value >= -INT_LIMIT && value <= INT_LIMIT ? this.node(INT, Number(value), 0) : this.entry("Long", value.toString());
  }

  float(value) {
    if (!Number.isFinite(value)) return this.entry("Float", Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    const n = this.node(FLOAT, 0, 0);
    this.floats[n] = value;
    return n;
  }

  pop() {
    if (!this.stack.length) throw new NotTyped();
    return this.stack.pop();
  }

  top() {
    if (!this.stack.length) throw new NotTyped();
    return this.stack[this.stack.length - 1];
  }

  kind(n) {
    return this.nodes[n * SLOTS + KIND];
  }

  /** A value a message can hold (not a class, bytes, an offset or reduction arguments on their own). */
  isValue(n) {
    const kind = this.nodes[n * SLOTS + KIND];
    return kind <= ENTRY && kind !== BYTES || kind === LIST || kind === DICT ||
      kind === TUPLE && !(this.nodes[n * SLOTS + A] & ARGUMENTS);
  }

  isPlain(n) {
    const kind = this.nodes[n * SLOTS + KIND];
    if (kind < LIST) return kind !== ENTRY;
    return (this.nodes[n * SLOTS + A] & PLAIN) !== 0;
  }

  /** Links child `n` as the last item of container `parent`. */
  link(parent, n) {
    const nodes = this.nodes;
    const at = parent * SLOTS;
    if (nodes[at + LAST] < 0) nodes[at + FIRST] = n;
    else nodes[nodes[at + LAST] * SLOTS + NEXT] = n;
    nodes[at + LAST] = n;
    nodes[at + B]++;
  }

  append(list, item) {
    if (this.kind(list) !== LIST || !this.isValue(item)) throw new NotTyped();
    this.link(list, item);
    if (!this.isPlain(item)) this.nodes[list * SLOTS + A] &= ~PLAIN;
  }

  setItem(dict, key, value) {
    if (this.kind(dict) !== DICT || this.kind(key) !== STR || !this.isValue(value)) throw new NotTyped();
    this.link(dict, key);
    this.link(dict, value);
    if (!this.isPlain(value)) this.nodes[dict * SLOTS + A] &= ~PLAIN;
  }

  /** A tuple of the top `count` values. */
  tuple(count) {
    const stack = this.stack;
    if (count > stack.length) throw new NotTyped();
    const tuple = this.node(TUPLE, 0, 0);
    for (let i = stack.length - count; i < stack.length; i++) {
      const item = stack[i];
      if (!this.isValue(item)) {
        const kind = this.kind(item);
        if (kind !== BYTES && kind !== OFFSET) throw new NotTyped();
        this.nodes[tuple * SLOTS + A] |= ARGUMENTS;
      }
      this.link(tuple, item);
    }
    stack.length -= count;
    stack.push(tuple);
  }

  /** The start of the values above the last MARK. */
  popMark() {
    if (!this.marks.length) throw new NotTyped();
    return this.marks.pop();
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
        case 0x4e: stack.push(this.node(NONE, 0, 0)); break; // NONE
        case 0x88: stack.push(this.node(TRUE, 0, 0)); break; // NEWTRUE
        case 0x89: stack.push(this.node(FALSE, 0, 0)); break; // NEWFALSE
        case 0x4a: stack.push(this.int(this.view.getInt32(this.at, true))); this.at += 4; break; // BININT
        case 0x4b: stack.push(this.node(INT, data[this.at++], 0)); break; // BININT1
        case 0x4d: stack.push(this.node(INT, this.view.getUint16(this.at, true), 0)); this.at += 2; break; // BININT2
        case 0x8a: stack.push(this.long(data[this.at++])); break; // LONG1
        case 0x8b: stack.push(this.long(this.uint32())); break; // LONG4
        case 0x47: stack.push(this.float(this.view.getFloat64(this.at, false))); this.at += 8; break; // BINFLOAT
        case 0x8c: stack.push(this.str(data[this.at++], STR)); break; // SHORT_BINUNICODE
        case 0x58: stack.push(this.str(this.uint32(), STR)); break; // BINUNICODE
        case 0x43: stack.push(this.str(data[this.at++], BYTES)); break; // SHORT_BINBYTES
        case 0x5d: stack.push(this.node(LIST, PLAIN, 0)); break; // EMPTY_LIST
        case 0x29: stack.push(this.node(TUPLE, 0, 0)); break; // EMPTY_TUPLE
        case 0x7d: stack.push(this.node(DICT, PLAIN, 0)); break; // EMPTY_DICT
        case 0x28: this.marks.push(stack.length); break; // MARK
        case 0x61: { // APPEND
          const item = this.pop();
          this.append(this.top(), item);
          break;
        }
        case 0x65: { // APPENDS
          const mark = this.popMark();
          const list = stack[mark - 1];
          if (mark < 1) throw new NotTyped();
          for (let i = mark; i < stack.length; i++) this.append(list, stack[i]);
          stack.length = mark;
          break;
        }
        case 0x73: { // SETITEM
          const value = this.pop();
          const key = this.pop();
          this.setItem(this.top(), key, value);
          break;
        }
        case 0x75: { // SETITEMS
          const mark = this.popMark();
          if (mark < 1 || (stack.length - mark) % 2) throw new NotTyped();
          const dict = stack[mark - 1];
          for (let i = mark; i < stack.length; i += 2) this.setItem(dict, stack[i], stack[i + 1]);
          stack.length = mark;
          break;
        }
        case 0x74: this.tuple(stack.length - this.popMark()); break; // TUPLE
        case 0x85: case 0x86: case 0x87: this.tuple(op - 0x84); break; // TUPLE1, TUPLE2, TUPLE3
        case 0x94: this.memo.push(this.top()); break; // MEMOIZE
        case 0x68: this.ref(data[this.at++]); break; // BINGET
        case 0x6a: this.ref(this.uint32()); break; // LONG_BINGET
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (this.kind(module) !== STR || this.kind(name) !== STR || this.text(module) !== "datetime") throw new NotTyped();
          const which = CLASSES.indexOf(this.text(name));
          if (which < 0) throw new NotTyped();
          stack.push(this.node(GLOBAL, which, 0));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop();
          stack.push(this.reduce(this.pop(), args));
          break;
        }
        default: throw new NotTyped(); // anything else: Python's encoder decides
      }
    }
    throw new NotTyped();
  }

  text(n) {
    const at = n * SLOTS;
    return textDecoder.decode(this.data.subarray(this.nodes[at + A], this.nodes[at + B]));
  }

  /** A value seen before (a shared str, date...); a container seen before appears twice or inside itself,
   *  which this writer leaves to the encoder. */
  ref(index) {
    if (index >= this.memo.length) throw new NotTyped();
    const value = this.memo[index];
    const kind = this.kind(value);
    if (kind === LIST || kind === TUPLE || kind === DICT) throw new NotTyped();
    const at = value * SLOTS;
    this.stack.push(this.node(kind, this.nodes[at + A], this.nodes[at + B])); // a copy: a node has one place
  }

  /** What datetime.<class>(*args) is on the wire (only the pickled forms of dates, aware datetimes and
   *  datetime.timezone offsets). */
  reduce(callable, args) {
    const nodes = this.nodes;
    if (this.kind(callable) !== GLOBAL || this.kind(args) !== TUPLE) throw new NotTyped();
    const count = nodes[args * SLOTS + B];
    const first = nodes[args * SLOTS + FIRST];
    const second = count > 1 ? nodes[first * SLOTS + NEXT] : -1;
    const third = count > 2 ? nodes[second * SLOTS + NEXT] : -1;
    const isState = (n, length) => this.kind(n) === BYTES && nodes[n * SLOTS + B] - nodes[n * SLOTS + A] === length;
    const isInt = (n) => this.kind(n) === INT;
    switch (nodes[callable * SLOTS + A]) {
      case DATE:
        if (count === 1 && isState(first, 4)) return this.entry("Date", dateText(this.data, nodes[first * SLOTS + A]));
        break;
      case DATETIME:
        if (count === 2 && isState(first, 10) && this.kind(second) === OFFSET) {
          return this.entry("DateTime", datetimeText(this.data, nodes[first * SLOTS + A], nodes[second * SLOTS + A]));
        }
        break;
      case TIMEZONE:
        if ((count === 1 || count === 2 && this.kind(second) === STR) && this.kind(first) === OFFSET) {
          return this.node(OFFSET, nodes[first * SLOTS + A], 0);
        }
        break;
      case TIMEDELTA: // (days, seconds, microseconds), normalised: 0 <= seconds < 86400
        if (count === 3 && isInt(first) && isInt(second) && isInt(third) && nodes[third * SLOTS + A] === 0) {
          return this.node(OFFSET, nodes[first * SLOTS + A] * 86400 + nodes[second * SLOTS + A], 0);
        }
        break;
    }
    throw new NotTyped();
  }
}

/** data[a:b] against data[c:d] by bytes: UTF-8 keeps the order of code points, which is how Python sorts str. */
function compareBytes(data, a, b, c, d) {
  const length = Math.min(b - a, d - c);
  for (let i = 0; i < length; i++) {
    const difference = data[a + i] - data[c + i];
    if (difference) return difference;
  }
  return (b - a) - (d - c);
}

/** Writes the tree as the encoder does: entries collected with their paths in the encoder's walk order. */
class Writer extends JsonBuffer {
  constructor(reader) {
    super(0);
    this.out = scratch.out.length >= reader.data.length * 3 ? scratch.out : new Uint8Array(reader.data.length * 3 + 64);
    this.reader = reader;
    this.data = reader.data;
    this.nodes = reader.nodes;
    this.entries = new JsonBuffer(256);
    this.path = []; // node ids (a key) and numbers (an index, as ~index)
  }

  /** A value that holds no entries (is_plain_json): no path kept. */
  plain(n, depth) {
    const nodes = this.nodes;
    const at = n * SLOTS;
    switch (nodes[at + KIND]) {
      case NONE: return this.ascii("null");
      case TRUE: return this.ascii("true");
      case FALSE: return this.ascii("false");
      case INT: return this.ascii(String(nodes[at + A]));
      case FLOAT: return this.ascii(pythonFloatRepr(this.reader.floats[n]));
      case STR: return this.utf8String(this.data, nodes[at + A], nodes[at + B]);
    }
    if (depth > MAX_DEPTH) throw new NotTyped();
    const isDict = nodes[at + KIND] === DICT;
    this.byte(isDict ? 0x7b : 0x5b);
    for (let child = nodes[at + FIRST], i = 0; child >= 0; child = nodes[child * SLOTS + NEXT], i++) {
      if (i) this.pair(COMMA_SPACE);
      if (isDict) {
        this.utf8String(this.data, nodes[child * SLOTS + A], nodes[child * SLOTS + B]);
        this.pair(COLON_SPACE);
        child = nodes[child * SLOTS + NEXT];
      }
      this.plain(child, depth + 1);
    }
    this.byte(isDict ? 0x7d : 0x5d);
  }

  /** Any value, at `this.path`. */
  value(n, depth) {
    const reader = this.reader;
    if (reader.isPlain(n)) return this.plain(n, depth);
    const nodes = this.nodes;
    const at = n * SLOTS;
    if (nodes[at + KIND] === ENTRY) {
      this.addEntry(nodes[at + A]);
      return this.ascii("null");
    }
    if (depth > MAX_DEPTH) throw new NotTyped();
    if (nodes[at + KIND] === DICT) return this.dict(n, depth);
    const path = this.path;
    this.byte(0x5b);
    for (let child = nodes[at + FIRST], i = 0; child >= 0; child = nodes[child * SLOTS + NEXT], i++) {
      if (i) this.pair(COMMA_SPACE);
      path.push(~i);
      this.value(child, depth + 1);
      path.pop();
    }
    this.byte(0x5d);
  }

  /** A dict the encoder walks: keys sorted. */
  dict(n, depth) {
    const nodes = this.nodes;
    const data = this.data;
    const keys = [];
    for (let key = nodes[n * SLOTS + FIRST]; key >= 0; key = nodes[nodes[key * SLOTS + NEXT] * SLOTS + NEXT]) keys.push(key);
    keys.sort((x, y) => compareBytes(data, nodes[x * SLOTS + A], nodes[x * SLOTS + B], nodes[y * SLOTS + A], nodes[y * SLOTS + B]));
    this.byte(0x7b);
    const path = this.path;
    for (let i = 0; i < keys.length; i++) {
      if (i) this.pair(COMMA_SPACE);
      const key = keys[i];
      this.utf8String(data, nodes[key * SLOTS + A], nodes[key * SLOTS + B]);
      this.pair(COLON_SPACE);
      path.push(key);
      this.value(nodes[key * SLOTS + NEXT], depth + 1);
      path.pop();
    }
    this.byte(0x7d);
  }

  addEntry(index) {
    const out = this.entries;
    if (out.length) out.pair(COMMA_SPACE);
    out.ascii(`{"type": ["${this.reader.entryTypes[index]}"], "value": "${this.reader.entryValues[index]}", "path": [`);
    const path = this.path;
    const nodes = this.nodes;
    for (let i = 0; i < path.length; i++) {
      if (i) out.pair(COMMA_SPACE);
      const key = path[i];
      if (key < 0) out.ascii(String(~key));
      else out.utf8String(this.data, nodes[key * SLOTS + A], nodes[key * SLOTS + B]);
    }
    out.ascii("]}");
  }

  /** The message: a dict, its `objects` added last. */
  message(root) {
    const nodes = this.nodes;
    if (this.reader.kind(root) !== DICT) throw new NotTyped();
    for (let key = nodes[root * SLOTS + FIRST]; key >= 0; key = nodes[nodes[key * SLOTS + NEXT] * SLOTS + NEXT]) {
      if (this.reader.text(key) === "objects") throw new NotTyped();
    }
    if (this.reader.isPlain(root)) this.plain(root, 0);
    else this.dict(root, 0);
    this.length--; // reopen it for "objects"
    this.ascii(nodes[root * SLOTS + B] ? ', "objects": [' : '"objects": [');
    this.reserve(this.entries.length);
    this.out.set(this.entries.out.subarray(0, this.entries.length), this.length);
    this.length += this.entries.length;
    this.ascii("]}");
  }
}

/** The wire's JSON text of the message `pickle.dumps` wrote into `bytes`, or null (see the top of this file). */
export function pickleToJson(bytes) {
  try {
    const reader = new Reader(bytes);
    const root = reader.read();
    const writer = new Writer(reader);
    writer.message(root);
    scratch.out = writer.out; // kept for the next message (text() copies)
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
