import { RbeeError } from "../../shared/contract/index.js";

// A long fleet would bury the advice at the end of the sentence: past this many the rest are counted.
const MAX_LISTED = 8;

/**
 * The one sentence for a node name nobody registered: the known nodes, the closest one when the name
 * looks like a typo of it, and the commands that list and add nodes. The registry and the scheduler
 * both say it, so the CLI, the HTTP API and the app all read the same words.
 */
export function unknownNodeMessage(name: string, known: readonly string[]): string {
  const add = "add one with `rbee-keeper setup add-node`";
  if (known.length === 0) return `No node named "${name}": this queen has no nodes yet; ${add}`;
  const closest = closestName(name, known);
  const guess = closest === undefined ? "" : ` (did you mean "${closest}"?)`;
  const sorted = [...known].sort();
  const more = sorted.length > MAX_LISTED ? ` and ${sorted.length - MAX_LISTED} more` : "";
  const knows = `this queen knows ${sorted.slice(0, MAX_LISTED).join(", ")}${more}`;
  return `No node named "${name}"${guess}: ${knows}; see the list with \`rbee-keeper setup list-nodes\` or ${add}`;
}

/** NODE_NOT_FOUND with that sentence. */
export function unknownNodeError(name: string, known: readonly string[]): RbeeError {
  return new RbeeError("NODE_NOT_FOUND", unknownNodeMessage(name, known));
}

/**
 * The known name the given one is most likely a typo of, or undefined when none is close: at most
 * two edits (a letter missing, extra, wrong, or two swapped) and at most a third of the longer name, so
 * that "x" is not taken for "mac". Case is ignored (node names are lowercase; a user may type "Mac").
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  let best: { readonly name: string; readonly distance: number } | undefined;
  for (const candidate of [...known].sort()) {
    const distance = editDistance(typed, candidate.toLowerCase());
    const allowed = Math.min(2, Math.floor(Math.max(typed.length, candidate.length) / 3));
    if (distance > allowed) continue;
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`: optimal string alignment. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = rows[i]!;
      const above = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[a.length]![b.length]!;
}
