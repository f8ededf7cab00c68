// The wire types the codec knows, and the one rule both sides use to decide which `objects` entries carry
// media: an entry carries media when the first name in its `type` list that is a known wire type is
// "DataMedia". The Python side (client/anvil/_wire/types.py, WIRE_TYPES) names the same types in the same
// order; tests/cases/media_rule_cases.json checks the rule on both sides with the same cases.
//
//   mediaIds({objects: [{path: ["response"], type: ["DataMedia"], id: "m0"}]})   // ["m0"]

export const WIRE_TYPE_NAMES = ["DataMedia", "Capability", "LiveObject", "Date", "DateTime", "Long", "Float",
  "Primitive", "ValueType", "ClassType"];

const KNOWN = new Set(WIRE_TYPE_NAMES);

/** The first known wire type an `objects` entry names, or null. */
export function firstKnownType(entry) {
  if (!entry || !Array.isArray(entry.type)) return null;
  for (const name of entry.type) if (KNOWN.has(name)) return name;
  return null;
}

/** The ids of the media whose chunks follow `message`, in `objects` order (entries without a string id are skipped:
 *  the decoder rejects them). */
export function mediaIds(message) {
  const objects = message && Array.isArray(message.objects) ? message.objects : [];
  const ids = [];
  for (const entry of objects) {
    if (firstKnownType(entry) === "DataMedia" && typeof entry.id === "string") ids.push(entry.id);
  }
  return ids;
}
