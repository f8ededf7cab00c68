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
//
// Two passes over the opcodes, no object per value: the Scanner runs pickle's stack machine on typed arrays and
// notes only what a forward writer cannot know when it meets a value -- each list's and dict's item count and
// whether it is plain (a dict that is not gets its keys sorted), where tuples start (their items come before
// the TUPLE opcode), and the reductions (a date's class, state and REDUCE) to skip, with their entries; the
// Writer then writes the JSON in one forward pass, sorting a non-plain dict's pairs (and their entries) in
// place when it closes.

import { COLON_SPACE, COMMA_SPACE, JsonBuffer } from "./json_buffer.mjs";

export const MAX_DEPTH = 200;
const INT_LIMIT = 2147483647;

class NotTyped extends Error {}

// The Scanner's stack slots: STACK int32s each, [kind, start (the data offset where the value's first opcode
// is), a, b]. Kinds up to TUPLE are values a message can hold.
const STACK = 4;
const KIND = 0, START = 1, A = 2, B = 3;
const SCALAR = 1; // None, a bool, a finite float
const INT = 2; // a: the value (inline range)
const STR = 3; // a, b: its UTF-8 bytes (surrogatepass) are data[a:b]
const ENTRY = 4; // a: the entry's index: sent as null plus an `objects` entry
const LIST = 5, DICT = 6; // a: the container's number (in the order they are created)
const TUPLE = 7; // a: item count; b: where its items are kept in `tupleItems` (up to 3), or -1
const BYTES = 8; // a, b: data[a:b] (only the state of a date or a datetime)
const GLOBAL = 9; // a: which class of the datetime module
const OFFSET = 10; // a: a timezone's (or a timedelta's) offset in seconds east of UTC
const ARGUMENTS = 11; // a tuple holding bytes or an offset: a reduction's arguments (a, b as TUPLE)
const CLASSES = ["date", "datetime", "timezone", "timedelta"];
const DATE = 0, DATETIME = 1, TIMEZONE = 2, TIMEDELTA = 3;
const TUPLE_ITEMS_KEPT = 3;

// What the Writer learns from the Scanner at a data offset (EVENT int32s: offset, what, payload).
const EVENT = 3;
const TUPLE_STARTS = 0; // payload: the tuple's item count
const REDUCTION = 1; // payload: the data offset after its REDUCE (the Writer skips to it)
const SEQUENCE_BITS = 2 ** 21; // events at one offset: the later found (an outer tuple) first

// A sorted dict's pairs: PAIR int32s each, [its output offset, the entries' output offset, the key's data range].
const PAIR = 4;

const OBJECTS_KEY = new TextEncoder().encode("objects");
const EMPTY_LIST_TEXT = [0x5b, 0x5d], NULL = [0x6e, 0x75, 0x6c, 0x6c], TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const textDecoder = new TextDecoder();

/** The entries' kinds (what the Scanner records: ENTRY_FIELDS int32s each, [kind, a, b]) and how each begins. */
const ENTRY_FIELDS = 3;
const E_DATE = 0; // a: the state bytes' offset
const E_DATETIME = 1; // a: the same; b: the offset in seconds east of UTC
const E_LONG = 2; // a, b: LONG1/LONG4's bytes are data[a:a + b]
const E_INT32_MIN = 3, E_NAN = 4, E_INFINITY = 5, E_MINUS_INFINITY = 6;
const utf8 = (text) => Array.from(new TextEncoder().encode(text));
const entryStart = (type) => utf8(`, {"type": ["${type}"], "value": "`);
const ENTRY_STARTS = [entryStart("Date"), entryStart("DateTime"), entryStart("Long"), entryStart("Long"),
  entryStart("Float"), entryStart("Float"), entryStart("Float")];
const ENTRY_VALUES = { [E_INT32_MIN]: utf8("-2147483648"), [E_NAN]: utf8("NaN"), [E_INFINITY]: utf8("Infinity"),
  [E_MINUS_INFINITY]: utf8("-Infinity") };
const ENTRY_PATH = utf8('", "path": [');
const ENTRY_END = utf8("]}");

function nonFiniteKind(value) {
  return Number.isNaN(value) ? E_NAN : value > 0 ? E_INFINITY : E_MINUS_INFINITY;
}

// Kept between calls: allocating and zeroing megabytes per message cost more than reading it.
const scratch = {
  stack: new Int32Array(STACK * 1024), memo: new Int32Array(3 * 1024), counts: new Int32Array(1024),
  plain: new Uint8Array(1024), entryData: new Int32Array(ENTRY_FIELDS * 256), events: new Int32Array(EVENT * 256),
  tupleItems: new Int32Array(3 * 64),
  path: new Int32Array(2 * 64), pairs: new Int32Array(PAIR * 64), copy: new Uint8Array(4096),
  out: new Uint8Array(0),
};

/** `array`, or a copy twice as long (at least `needed`) holding its values. */
function grown(array, needed) {
  if (needed <= array.length) return array;
  const copy = new array.constructor(Math.max(needed, array.length * 2));
  copy.set(array);
  return copy;
}

/** `value` (a non-negative integer below 2**53) in decimal, zero-padded to `width` digits. */
function writeDigits(buffer, value, width) {
  let digits = 1;
  for (let rest = Math.floor(value / 10); rest > 0; rest = Math.floor(rest / 10)) digits++;
  digits = Math.max(digits, width);
  buffer.reserve(digits);
  const out = buffer.out;
  for (let at = buffer.length + digits - 1; at >= buffer.length; at--) {
    out[at] = 0x30 + value % 10;
    value = Math.floor(value / 10);
  }
  buffer.length += digits;
}

/** Python's format_date (client/anvil/_wire/scalars.py) from a date's pickled state bytes at data[start]. */
function writeDate(buffer, data, start) {
  writeDigits(buffer, data[start] * 256 + data[start + 1], 4);
  buffer.byte(0x2d);
  writeDigits(buffer, data[start + 2] & 0x7f, 2); // (a datetime's fold is the month's top bit)
  buffer.byte(0x2d);
  writeDigits(buffer, data[start + 3], 2);
}

/** Python's format_datetime from a datetime's state bytes and its offset (whole minutes) east of UTC. */
function writeDatetime(buffer, data, start, offsetSeconds) {
  writeDate(buffer, data, start);
  buffer.byte(0x20);
  writeDigits(buffer, data[start + 4], 2);
  buffer.byte(0x3a);
  writeDigits(buffer, data[start + 5], 2);
  buffer.byte(0x3a);
  writeDigits(buffer, data[start + 6], 2);
  buffer.byte(0x2e);
  writeDigits(buffer, (data[start + 7] << 16) | (data[start + 8] << 8) | data[start + 9], 6);
  const minutes = Math.abs(offsetSeconds) / 60;
  buffer.byte(offsetSeconds < 0 ? 0x2d : 0x2b);
  writeDigits(buffer, Math.floor(minutes / 60), 2);
  writeDigits(buffer, minutes % 60, 2);
}

/** The int of LONG1/LONG4's `length` little-endian two's complement bytes at data[start]: a number when the
 *  wire sends it inline, else a BigInt (a Long entry). */
function longValue(data, start, length) {
  if (length === 0) return 0;
  let value = 0n;
  for (let i = start + length - 1; i >= start; i--) value = (value << 8n) | BigInt(data[i]);
  if (data[start + length - 1] & 0x80) value -= 1n << BigInt(8 * length);
  return value >= -INT_LIMIT && value <= INT_LIMIT ? Number(value) : value;
}


function isObjectsKey(data, a, b) {
  if (b - a !== OBJECTS_KEY.length) return false;
  for (let i = 0; i < OBJECTS_KEY.length; i++) if (data[a + i] !== OBJECTS_KEY[i]) return false;
  return true;
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

/** Rewrites buffer.out from the first pair's piece on with the pieces in `order` (pair i's piece is
 *  out[pairs[i * PAIR + field] : pairs[i * PAIR + 2 + field]]), `separator` between them. */
function permute(buffer, order, pairs, field, separator) {
  let first = order[0];
  for (const pair of order) first = Math.min(first, pair);
  const from = pairs[first * PAIR + field];
  const length = buffer.length - from;
  if (!length) return;
  scratch.copy = grown(scratch.copy, length);
  const copy = scratch.copy;
  const out = buffer.out;
  copy.set(out.subarray(from, buffer.length));
  let at = from;
  for (let i = 0; i < order.length; i++) {
    if (i && separator) {
      out[at++] = separator[0];
      out[at++] = separator[1];
    }
    const end = pairs[order[i] * PAIR + 2 + field] - from;
    for (let k = pairs[order[i] * PAIR + field] - from; k < end; k++) out[at++] = copy[k];
  }
}

/** Runs the opcodes `pickle.dumps(message, protocol=5)` writes for JSON-like values, dates and datetimes on a
 *  stack of typed-array slots, checks what each container receives, and notes what the Writer needs. */
class Scanner {
  constructor(data) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.at = 0;
    this.stack = scratch.stack;
    this.depth = 0;
    this.marks = [];
    this.memo = scratch.memo;
    this.memoCount = 0;
    this.counts = scratch.counts; // per container: items (a dict's keys and values both count)
    this.plain = scratch.plain; // per container: 1 while nothing in it needs an entry or a walk (is_plain_json)
    this.containers = 0;
    this.events = scratch.events;
    this.eventCount = 0;
    this.tupleItems = scratch.tupleItems;
    this.tupleItemCount = 0;
    this.entryData = scratch.entryData;
    this.entryCount = 0;
  }

  push(kind, start, a, b) {
    const at = this.depth * STACK;
    if (at + STACK > this.stack.length) this.stack = scratch.stack = grown(this.stack, at + STACK);
    const stack = this.stack;
    stack[at + KIND] = kind;
    stack[at + START] = start;
    stack[at + A] = a;
    stack[at + B] = b;
    this.depth++;
  }

  /** A new entry's index. */
  entry(kind, a, b) {
    const at = this.entryCount * ENTRY_FIELDS;
    if (at + ENTRY_FIELDS > this.entryData.length) {
      this.entryData = scratch.entryData = grown(this.entryData, at + ENTRY_FIELDS);
    }
    this.entryData[at] = kind;
    this.entryData[at + 1] = a;
    this.entryData[at + 2] = b;
    return this.entryCount++;
  }

  container(kind, start) {
    const number = this.containers++;
    if (number >= this.counts.length) {
      this.counts = scratch.counts = grown(this.counts, number + 1);
      this.plain = scratch.plain = grown(this.plain, number + 1);
    }
    this.counts[number] = 0;
    this.plain[number] = 1;
    this.push(kind, start, number, 0);
  }

  event(offset, what, payload) {
    const at = this.eventCount * EVENT;
    if (at + EVENT > this.events.length) this.events = scratch.events = grown(this.events, at + EVENT);
    this.events[at] = offset;
    this.events[at + 1] = what;
    this.events[at + 2] = payload;
    this.eventCount++;
  }

  /** Counts the value in stack slot `slot` into container `number`. */
  item(number, slot) {
    const stack = this.stack;
    const at = slot * STACK;
    const kind = stack[at + KIND];
    if (kind > TUPLE) throw new NotTyped();
    this.counts[number]++;
    if (kind >= ENTRY && !((kind === LIST || kind === DICT) && this.plain[stack[at + A]])) this.plain[number] = 0;
  }

  /** The container under the values from stack slot `first` on, which must be of `kind`. */
  target(first, kind) {
    if (first < 1 || this.stack[(first - 1) * STACK + KIND] !== kind) throw new NotTyped();
    return this.stack[(first - 1) * STACK + A];
  }

  appendFrom(first) {
    const number = this.target(first, LIST);
    for (let slot = first; slot < this.depth; slot++) this.item(number, slot);
    this.depth = first;
  }

  setItemsFrom(first) {
    if ((this.depth - first) % 2) throw new NotTyped();
    const number = this.target(first, DICT);
    for (let slot = first; slot < this.depth; slot += 2) {
      if (this.stack[slot * STACK + KIND] !== STR) throw new NotTyped();
      this.item(number, slot);
      this.item(number, slot + 1);
    }
    this.depth = first;
  }

  /** A tuple of the top `count` values (`start`: the offset of its opcode, for an empty one). */
  tuple(count, start) {
    if (count > this.depth) throw new NotTyped();
    const stack = this.stack;
    const first = this.depth - count;
    let kind = TUPLE;
    for (let slot = first; slot < this.depth; slot++) {
      const itemKind = stack[slot * STACK + KIND];
      if (itemKind === BYTES || itemKind === OFFSET) kind = ARGUMENTS;
      else if (itemKind > TUPLE) throw new NotTyped();
    }
    let kept = -1;
    if (count <= TUPLE_ITEMS_KEPT) { // what a reduction reads
      kept = this.tupleItemCount;
      this.tupleItems = scratch.tupleItems = grown(this.tupleItems, (kept + count) * 3);
      for (let slot = first; slot < this.depth; slot++) {
        const at = (this.tupleItemCount++) * 3;
        this.tupleItems[at] = stack[slot * STACK + KIND];
        this.tupleItems[at + 1] = stack[slot * STACK + A];
        this.tupleItems[at + 2] = stack[slot * STACK + B];
      }
    }
    if (count) start = stack[first * STACK + START];
    if (kind === TUPLE && count) this.event(start, TUPLE_STARTS, count);
    this.depth = first;
    this.push(kind, start, count, kept);
  }

  /** The start of the values above the last MARK. */
  popMark() {
    if (!this.marks.length) throw new NotTyped();
    return this.marks.pop();
  }

  top() {
    if (!this.depth) throw new NotTyped();
    return (this.depth - 1) * STACK;
  }

  /** Runs the opcodes to STOP; the message is the dict left on the stack. */
  read() {
    const data = this.data;
    const view = this.view;
    while (this.at < data.length) {
      const start = this.at;
      const op = data[this.at++];
      switch (op) {
        case 0x80: this.at++; break; // PROTO
        case 0x95: this.at += 8; break; // FRAME
        case 0x2e: // STOP
          if (this.depth !== 1 || this.stack[KIND] !== DICT || this.marks.length || this.at !== data.length) {
            throw new NotTyped();
          }
          return;
        case 0x4e: case 0x88: case 0x89: this.push(SCALAR, start, 0, 0); break; // NONE, NEWTRUE, NEWFALSE
        case 0x4a: { // BININT
          const value = view.getInt32(this.at, true);
          this.at += 4;
          if (value < -INT_LIMIT) this.push(ENTRY, start, this.entry(E_INT32_MIN, 0, 0), 0);
          else this.push(INT, start, value, 0);
          break;
        }
        case 0x4b: this.push(INT, start, data[this.at++], 0); break; // BININT1
        case 0x4d: this.push(INT, start, view.getUint16(this.at, true), 0); this.at += 2; break; // BININT2
        case 0x8a: case 0x8b: { // LONG1, LONG4
          const length = op === 0x8a ? data[this.at++] : view.getUint32(this.at, true);
          if (op === 0x8b) this.at += 4;
          if (this.at + length > data.length) throw new NotTyped();
          const value = longValue(data, this.at, length);
          if (typeof value === "number") this.push(INT, start, value, 0);
          else this.push(ENTRY, start, this.entry(E_LONG, this.at, length), 0);
          this.at += length;
          break;
        }
        case 0x47: { // BINFLOAT
          const value = view.getFloat64(this.at, false);
          this.at += 8;
          if (Number.isFinite(value)) this.push(SCALAR, start, 0, 0);
          else this.push(ENTRY, start, this.entry(nonFiniteKind(value), 0, 0), 0);
          break;
        }
        case 0x8c: case 0x58: case 0x43: { // SHORT_BINUNICODE, BINUNICODE, SHORT_BINBYTES
          const length = op === 0x58 ? view.getUint32(this.at, true) : data[this.at];
          this.at += op === 0x58 ? 4 : 1;
          if (this.at + length > data.length) throw new NotTyped();
          this.push(op === 0x43 ? BYTES : STR, start, this.at, this.at + length);
          this.at += length;
          break;
        }
        case 0x5d: this.container(LIST, start); break; // EMPTY_LIST
        case 0x7d: this.container(DICT, start); break; // EMPTY_DICT
        case 0x29: this.tuple(0, start); break; // EMPTY_TUPLE
        case 0x28: this.marks.push(this.depth); break; // MARK
        case 0x61: this.appendFrom(this.depth - 1); break; // APPEND
        case 0x65: this.appendFrom(this.popMark()); break; // APPENDS
        case 0x73: this.setItemsFrom(this.depth - 2); break; // SETITEM
        case 0x75: this.setItemsFrom(this.popMark()); break; // SETITEMS
        case 0x74: { // TUPLE (an empty one is EMPTY_TUPLE)
          const count = this.depth - this.popMark();
          if (!count) throw new NotTyped();
          this.tuple(count, start);
          break;
        }
        case 0x85: case 0x86: case 0x87: this.tuple(op - 0x84, start); break; // TUPLE1, TUPLE2, TUPLE3
        case 0x94: this.memoize(); break; // MEMOIZE
        case 0x68: this.ref(data[this.at++], start); break; // BINGET
        case 0x6a: this.ref(view.getUint32(this.at, true), start); this.at += 4; break; // LONG_BINGET
        case 0x93: this.global(); break; // STACK_GLOBAL
        case 0x52: this.reduce(); break; // REDUCE
        default: throw new NotTyped(); // anything else: Python's encoder decides
      }
    }
    throw new NotTyped();
  }

  memoize() {
    const top = this.top();
    const at = this.memoCount++ * 3;
    if (at + 3 > this.memo.length) this.memo = scratch.memo = grown(this.memo, at + 3);
    this.memo[at] = this.stack[top + KIND];
    this.memo[at + 1] = this.stack[top + A];
    this.memo[at + 2] = this.stack[top + B];
  }

  /** A value seen before (a shared str, date...); a container seen before appears twice or inside itself,
   *  which this writer leaves to the encoder. */
  ref(index, start) {
    if (index >= this.memoCount) throw new NotTyped();
    const kind = this.memo[index * 3];
    const a = this.memo[index * 3 + 1];
    if (kind === LIST || kind === DICT || kind === TUPLE || kind === ARGUMENTS) throw new NotTyped();
    if (kind === ENTRY) { // (a date met before: an entry of its own)
      const at = a * ENTRY_FIELDS;
      this.push(ENTRY, start, this.entry(this.entryData[at], this.entryData[at + 1], this.entryData[at + 2]), 0);
    }
    else this.push(kind, start, a, this.memo[index * 3 + 2]);
  }

  text(slot) {
    return textDecoder.decode(this.data.subarray(this.stack[slot * STACK + A], this.stack[slot * STACK + B]));
  }

  global() {
    if (this.depth < 2) throw new NotTyped();
    const module = this.depth - 2;
    const name = this.depth - 1;
    if (this.stack[module * STACK + KIND] !== STR || this.stack[name * STACK + KIND] !== STR ||
        this.text(module) !== "datetime") throw new NotTyped();
    const which = CLASSES.indexOf(this.text(name));
    if (which < 0) throw new NotTyped();
    const start = this.stack[module * STACK + START];
    this.depth -= 2;
    this.push(GLOBAL, start, which, 0);
  }

  /** datetime.<class>(*args) as the wire has it: only the pickled forms of dates, aware datetimes and
   *  datetime.timezone offsets. A date or datetime is a value the Writer skips to its end, writing its entry. */
  reduce() {
    if (this.depth < 2) throw new NotTyped();
    const stack = this.stack;
    const callable = (this.depth - 2) * STACK;
    const args = (this.depth - 1) * STACK;
    const argsKind = stack[args + KIND];
    if (stack[callable + KIND] !== GLOBAL || (argsKind !== TUPLE && argsKind !== ARGUMENTS) || stack[args + B] < 0) {
      throw new NotTyped();
    }
    const start = stack[callable + START];
    const count = stack[args + A];
    const items = this.tupleItems;
    const kept = stack[args + B] * 3;
    const kindOf = (i) => (i < count ? items[kept + i * 3] : -1);
    const a = (i) => items[kept + i * 3 + 1];
    const length = (i) => items[kept + i * 3 + 2] - a(i);
    let kind = OFFSET, value;
    switch (stack[callable + A]) {
      case DATE:
        if (count !== 1 || kindOf(0) !== BYTES || length(0) !== 4) throw new NotTyped();
        kind = ENTRY;
        value = this.entry(E_DATE, a(0), 0);
        break;
      case DATETIME:
        if (count !== 2 || kindOf(0) !== BYTES || length(0) !== 10 || kindOf(1) !== OFFSET) throw new NotTyped();
        kind = ENTRY;
        if (a(1) % 60) throw new NotTyped(); // an offset with seconds: the encoder refuses it (SerializationError)
        value = this.entry(E_DATETIME, a(0), a(1));
        break;
      case TIMEZONE:
        if (kindOf(0) !== OFFSET || !(count === 1 || count === 2 && kindOf(1) === STR)) throw new NotTyped();
        value = a(0);
        break;
      case TIMEDELTA: // (days, seconds, microseconds), normalised: 0 <= seconds < 86400
        if (count !== 3 || kindOf(0) !== INT || kindOf(1) !== INT || kindOf(2) !== INT || a(2) !== 0) {
          throw new NotTyped();
        }
        value = a(0) * 86400 + a(1);
        break;
    }
    this.depth -= 2;
    // Tuples found inside (the arguments) are no values; nothing found before starts inside.
    while (this.eventCount && this.events[(this.eventCount - 1) * EVENT] >= start) this.eventCount--;
    if (kind === ENTRY) this.event(start, REDUCTION, this.at);
    this.push(kind, start, value, 0);
  }

  /** The events' indices in the order the Writer meets them: by offset, and at one offset the later found
   *  (an outer tuple, then an inner one, then a reduction) first. */
  eventOrder() {
    if (this.eventCount >= SEQUENCE_BITS) throw new NotTyped();
    const keys = new Float64Array(this.eventCount);
    for (let i = 0; i < this.eventCount; i++) {
      keys[i] = this.events[i * EVENT] * SEQUENCE_BITS + (SEQUENCE_BITS - 1 - i);
    }
    keys.sort();
    const order = new Int32Array(this.eventCount);
    for (let i = 0; i < keys.length; i++) order[i] = SEQUENCE_BITS - 1 - (keys[i] % SEQUENCE_BITS);
    return order;
  }
}

/** Writes the JSON in one forward pass over the opcodes with what the Scanner found, by recursive descent:
 *  each list's and dict's items counted off, tuples opened where they start, reductions skipped, entries with
 *  their paths (kept only inside containers that hold entries). */
class Writer extends JsonBuffer {
  constructor(scanner) {
    super(0);
    const data = scanner.data;
    this.out = scratch.out.length >= data.length * 3 ? scratch.out : new Uint8Array(data.length * 3 + 64);
    this.scanner = scanner;
    this.data = data;
    this.view = scanner.view;
    this.at = 0;
    this.order = scanner.eventOrder();
    this.next = 0;
    this.nextOffset = this.order.length ? scanner.events[this.order[0] * EVENT] : -1;
    this.depth = 0;
    this.path = scratch.path; // per level: [key start, key end] or [-1, index]
    this.pairs = scratch.pairs;
    this.pairCount = 0;
    this.entries = new JsonBuffer(256); // each entry with a ", " before it
    this.nextEntry = 0;
    this.containers = 0;
    this.lastSorted = null;
  }

  /** Moves past the opcodes that only build containers (MARK, APPENDS, TUPLE, MEMOIZE...: the Scanner's
   *  counts and events stand for them) to the next value's first opcode. */
  skip() {
    const data = this.data;
    let at = this.at;
    for (;;) {
      switch (data[at]) {
        case 0x28: case 0x61: case 0x65: case 0x73: case 0x75: case 0x74: case 0x85: case 0x86: case 0x87: case 0x94:
          at++;
          continue;
        case 0x95: at += 9; continue; // FRAME
        case 0x80: at += 2; continue; // PROTO
      }
      this.at = at;
      return at;
    }
  }

  /** The next value. */
  value() {
    const at = this.skip();
    if (at === this.nextOffset) return this.event();
    const data = this.data;
    const view = this.view;
    this.at = at + 1;
    switch (data[at]) {
      case 0x4e: return this.literal(NULL); // NONE
      case 0x88: return this.literal(TRUE); // NEWTRUE
      case 0x89: return this.literal(FALSE); // NEWFALSE
      case 0x4b: this.at++; return this.int(data[at + 1]); // BININT1
      case 0x4d: this.at += 2; return this.int(view.getUint16(at + 1, true)); // BININT2
      case 0x4a: { // BININT
        const value = view.getInt32(at + 1, true);
        this.at += 4;
        return value < -INT_LIMIT ? this.entry() : this.int(value);
      }
      case 0x8a: case 0x8b: { // LONG1, LONG4
        const length = data[at] === 0x8a ? data[at + 1] : view.getUint32(at + 1, true);
        const start = at + (data[at] === 0x8a ? 2 : 5);
        const value = longValue(data, start, length);
        this.at = start + length;
        return typeof value === "number" ? this.int(value) : this.entry();
      }
      case 0x47: { // BINFLOAT
        const value = view.getFloat64(at + 1, false);
        this.at += 8;
        return Number.isFinite(value) ? this.float(value) : this.entry();
      }
      case 0x8c: case 0x58: case 0x68: case 0x6a: // SHORT_BINUNICODE, BINUNICODE, BINGET, LONG_BINGET
        this.at = at;
        return this.string();
      case 0x5d: return this.list(); // EMPTY_LIST
      case 0x7d: return this.dict(false); // EMPTY_DICT
      case 0x29: return this.literal(EMPTY_LIST_TEXT); // EMPTY_TUPLE
    }
    throw new NotTyped(); // (the Scanner has checked every opcode a value starts with)
  }

  /** A tuple starts here (its items come before its opcode), or a reduction (a date...) to skip. */
  event() {
    const events = this.scanner.events;
    const event = this.order[this.next++] * EVENT;
    this.nextOffset = this.next < this.order.length ? events[this.order[this.next] * EVENT] : -1;
    if (events[event + 1] === TUPLE_STARTS) return this.sequence(events[event + 2], false);
    this.entry();
    this.at = events[event + 2];
  }

  /** A str (or a str met before), returned as its data range in `this.key` when it is a key. */
  string() {
    const data = this.data;
    const at = this.at;
    let start, end;
    switch (data[at]) {
      case 0x8c: start = at + 2; end = start + data[at + 1]; break; // SHORT_BINUNICODE
      case 0x58: start = at + 5; end = start + this.view.getUint32(at + 1, true); break; // BINUNICODE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        this.at = at + (data[at] === 0x68 ? 2 : 5);
        const index = (data[at] === 0x68 ? data[at + 1] : this.view.getUint32(at + 1, true)) * 3;
        const memo = this.scanner.memo;
        if (memo[index] !== STR) return this.entry(); // a date met before (the Scanner allows nothing else)
        this.keyStart = memo[index + 1];
        this.keyEnd = memo[index + 2];
        return this.utf8String(data, this.keyStart, this.keyEnd);
      }
      default: throw new NotTyped();
    }
    this.at = end;
    this.keyStart = start;
    this.keyEnd = end;
    this.utf8String(data, start, end);
  }

  literal(bytes, buffer = this) {
    buffer.reserve(bytes.length);
    const out = buffer.out;
    for (let i = 0; i < bytes.length; i++) out[buffer.length++] = bytes[i];
  }

  enter() {
    if (++this.depth > MAX_DEPTH) throw new NotTyped();
  }

  list() {
    const number = this.containers++;
    this.sequence(this.scanner.counts[number], this.scanner.plain[number]);
  }

  /** A list or tuple of `count` items; the path kept unless it is plain. */
  sequence(count, plain) {
    this.enter();
    this.byte(0x5b);
    if (plain) {
      for (let i = 0; i < count; i++) {
        if (i) this.pair(COMMA_SPACE);
        this.value();
      }
    } else {
      const level = this.pushPath(-1, 0);
      for (let i = 0; i < count; i++) {
        if (i) this.pair(COMMA_SPACE);
        this.path[level + 1] = i;
        this.value();
      }
    }
    this.byte(0x5d);
    this.depth--;
  }

  pushPath(a, b) {
    const level = (this.depth - 1) * 2;
    if (level + 2 > this.path.length) this.path = scratch.path = grown(this.path, level + 2);
    this.path[level] = a;
    this.path[level + 1] = b;
    return level;
  }

  /** A dict: its keys sorted unless it is plain; the message's own dict (`root`) is left open for `objects`. */
  dict(root) {
    const number = this.containers++;
    const pairs = this.scanner.counts[number] / 2;
    const sorted = !this.scanner.plain[number];
    this.enter();
    this.byte(0x7b);
    const level = sorted ? this.pushPath(0, 0) : -1;
    const first = this.pairCount;
    for (let i = 0; i < pairs; i++) {
      if (i) this.pair(COMMA_SPACE);
      const keyAt = this.length;
      this.skip();
      this.string();
      if (root && isObjectsKey(this.data, this.keyStart, this.keyEnd)) throw new NotTyped(); // the encoder's own
      if (sorted) {
        this.pairStarts(keyAt, this.keyStart, this.keyEnd);
        this.path[level] = this.keyStart;
        this.path[level + 1] = this.keyEnd;
      }
      this.pair(COLON_SPACE);
      this.value();
    }
    if (sorted) this.sortPairs(first);
    this.depth--;
    if (!root) this.byte(0x7d);
    return pairs;
  }

  pairStarts(at, keyStart, keyEnd) {
    const index = this.pairCount++ * PAIR;
    if (index + PAIR > this.pairs.length) this.pairs = scratch.pairs = grown(this.pairs, index + PAIR);
    this.pairs[index] = at;
    this.pairs[index + 1] = this.entries.length;
    this.pairs[index + 2] = keyStart;
    this.pairs[index + 3] = keyEnd;
  }

  /** The dict whose pairs are pairs[first:]: rewritten with its keys sorted, and its entries in that order. */
  sortPairs(first) {
    const count = this.pairCount - first;
    this.pairCount = first;
    const pairs = this.pairs;
    const data = this.data;
    const before = (x, y) =>
      compareBytes(data, pairs[x * PAIR + 2], pairs[x * PAIR + 3], pairs[y * PAIR + 2], pairs[y * PAIR + 3]) < 0;
    let sorted = true;
    for (let i = first + 1; i < first + count && sorted; i++) sorted = before(i - 1, i);
    if (sorted) return;
    const order = this.sortedOrder(first, count, before);
    const last = first + count - 1;
    for (let i = first; i <= last; i++) { // where each pair's text and entries end
      pairs[i * PAIR + 2] = i < last ? pairs[(i + 1) * PAIR] - 2 : this.length; // (its ", " left out)
      pairs[i * PAIR + 3] = i < last ? pairs[(i + 1) * PAIR + 1] : this.entries.length;
    }
    permute(this, order, pairs, 0, COMMA_SPACE);
    permute(this.entries, order, pairs, 1, null);
  }

  /** pairs[first:first + count] in key order (as indices into pairs). Records of one shape have their keys in
   *  the same order, as the same memoized strs: the last dict's order is reused when its keys are the same. */
  sortedOrder(first, count, before) {
    const pairs = this.pairs;
    const last = this.lastSorted;
    let same = last !== null && last.keys.length === count;
    for (let i = 0; i < count && same; i++) same = last.keys[i] === pairs[(first + i) * PAIR + 2];
    if (same) return last.order.map((i) => first + i);
    const order = [];
    for (let i = first; i < first + count; i++) order.push(i);
    order.sort((x, y) => (before(x, y) ? -1 : 1)); // (keys differ)
    const keys = new Int32Array(count);
    for (let i = 0; i < count; i++) keys[i] = pairs[(first + i) * PAIR + 2];
    this.lastSorted = { keys, order: order.map((i) => i - first) };
    return order;
  }

  /** null here, and its entry (the Scanner's next) with the path of the containers it is in. */
  entry() {
    const scanner = this.scanner;
    const index = this.nextEntry++;
    const entries = this.entries;
    const at = index * ENTRY_FIELDS;
    const kind = scanner.entryData[at];
    const a = scanner.entryData[at + 1];
    this.literal(ENTRY_STARTS[kind], entries);
    if (kind === E_DATE) writeDate(entries, this.data, a);
    else if (kind === E_DATETIME) writeDatetime(entries, this.data, a, scanner.entryData[at + 2]);
    else if (kind === E_LONG) entries.ascii(longValue(this.data, a, scanner.entryData[at + 2]).toString());
    else this.literal(ENTRY_VALUES[kind], entries);
    this.literal(ENTRY_PATH, entries);
    const path = this.path;
    for (let level = 0; level < this.depth * 2; level += 2) {
      if (level) entries.pair(COMMA_SPACE);
      if (path[level] < 0) entries.int(path[level + 1]);
      else entries.utf8String(this.data, path[level], path[level + 1]);
    }
    this.literal(ENTRY_END, entries);
    this.literal(NULL, this);
  }

  /** The message's text, `objects` last. */
  write() {
    this.skip();
    if (this.data[this.at++] !== 0x7d) throw new NotTyped();
    const pairs = this.dict(true);
    this.skip();
    if (this.at !== this.data.length - 1 || this.data[this.at] !== 0x2e || this.next !== this.order.length ||
        this.nextEntry !== this.scanner.entryCount) throw new NotTyped();
    this.ascii(pairs ? ', "objects": [' : '"objects": [');
    const entries = this.entries;
    if (entries.length) {
      this.reserve(entries.length);
      this.out.set(entries.out.subarray(2, entries.length), this.length);
      this.length += entries.length - 2;
    }
    this.ascii("]}");
  }
}

/** The wire's JSON text of the message `pickle.dumps` wrote into `bytes`, or null (see the top of this file). */
export function pickleToJson(bytes) {
  try {
    const scanner = new Scanner(bytes);
    scanner.read();
    const writer = new Writer(scanner);
    writer.write();
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
