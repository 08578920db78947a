/**
 * Whether two values parsed from JSON hold the same data. The fleet store keeps the object it
 * already has when an event brings an equal one, so that the rows showing it (memoised on object
 * identity) are not rendered again.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((value, i) => jsonEqual(value, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * `next` with each value equal to the one `previous` holds under its key replaced by that one;
 * `previous` itself when nothing changed at all.
 */
export function keepEqualValues<K, V>(previous: ReadonlyMap<K, V>, next: ReadonlyMap<K, V>): ReadonlyMap<K, V> {
  const kept = new Map<K, V>();
  let changed = previous.size !== next.size;
  for (const [key, value] of next) {
    const before = previous.get(key);
    const same = before !== undefined && jsonEqual(before, value);
    if (!same) changed = true;
    kept.set(key, same ? before : value);
  }
  return changed ? kept : previous;
}
