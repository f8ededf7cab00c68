// JSON.parse whose reviver sees every number's source text (`context.source`) on every engine: natively where the
// engine has JSON.parse source text access (Chromium >= 114, Node >= 21), else by a scan that hands JSON.parse each
// number as a marked string and gives the reviver the number and its text back. The text is what tells 1.0 (a
// float) from 1 (an int) and keeps big ints exact, which JSON.parse's numbers cannot.
//
//   parseWithSource('[1.0, 1]', (key, value, context) => (typeof value === "number" ? context.source : value));
//   // -> ["1.0", "1"]
//
// Text that is not JSON throws JSON.parse's SyntaxError either way (a malformed number is left for it to refuse).

/** Whether this engine's JSON.parse gives the reviver a number's source text. */
export const NATIVE_SOURCE = (() => {
  let given = false;
  JSON.parse("1", (key, value, context) => {
    given = Boolean(context && context.source === "1");
    return value;
  });
  return given;
})();

// A number travels through JSON.parse as the string MARK + its text; a string of the text that itself began with
// MARK travels as MARK + MARK + the rest. (A JSON string can hold U+0000 only as the escape \u0000.)
const MARK = "\u0000";
const MARK_ESCAPE = "\\u0000";
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const NUMBER_CHARS = /[0-9+\-.eE]/;

/** `text` with every number (outside strings) turned into a marked string, and strings that began with MARK
 *  marked again. */
export function markNumbers(text) {
  const out = [];
  let copiedTo = 0;
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (char === '"') {
      const start = at;
      at++;
      while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
      at++;
      if (text.startsWith(MARK_ESCAPE, start + 1)) {
        out.push(text.slice(copiedTo, start + 1), MARK_ESCAPE);
        copiedTo = start + 1;
      }
    } else if (char === "-" || (char >= "0" && char <= "9")) {
      const start = at;
      while (at < text.length && NUMBER_CHARS.test(text[at])) at++;
      const token = text.slice(start, at);
      if (NUMBER.test(token)) {
        out.push(text.slice(copiedTo, start), `"${MARK_ESCAPE}${token}"`);
        copiedTo = at;
      }
    } else {
      at++;
    }
  }
  out.push(text.slice(copiedTo));
  return out.join("");
}

/** A key or string as it was in the text (a string that began with MARK had it doubled). */
function unmarked(text) {
  return text.startsWith(MARK + MARK) ? text.slice(1) : text;
}

/** JSON.parse(text, reviver), with `context.source` given to the reviver for every number. */
export function parseWithSource(text, reviver) {
  if (NATIVE_SOURCE) return JSON.parse(text, reviver);
  return JSON.parse(markNumbers(text), function revive(key, value) {
    key = unmarked(key);
    if (typeof value === "string") {
      if (value.startsWith(MARK) && !value.startsWith(MARK + MARK)) {
        const source = value.slice(1);
        return reviver.call(this, key, Number(source), { source });
      }
      return reviver.call(this, key, unmarked(value), {});
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.some((k) => k.startsWith(MARK))) {
        value = Object.fromEntries(keys.map((k) => [unmarked(k), value[k]]));
      }
    }
    return reviver.call(this, key, value, {});
  });
}
