/**
 * Markdown that is still arriving, made safe to render on every frame: what the text will most
 * likely become once its open constructs close, so that a half-written answer neither breaks the
 * layout nor flips between text and formatting as tokens arrive.
 *
 * - an open code fence (``` or ~~~) is closed, so the partial code renders as code at once;
 * - a fence marker still being typed on the last line ("`", "``") is held back;
 * - an inline code span or `**strong**` run left open in the last paragraph is closed.
 *
 * Complete text comes back unchanged, so the final render is the plain text's.
 */
export function stabilizeStreamingMarkdown(text: string): string {
  const lines = text.split("\n");
  const last = lines[lines.length - 1] ?? "";
  const fence = openFence(lines);

  if (fence) {
    let body = text;
    // The closing fence being typed would show as a line of code for a frame.
    if (lines.length > 1 && isPartialClosing(last, fence)) body = text.slice(0, text.length - last.length);
    return `${body}${body.endsWith("\n") ? "" : "\n"}${fence.indent}${fence.marker}`;
  }

  if (/^ {0,3}(`{1,2}|~{1,2})$/.test(last)) return text.slice(0, text.length - last.length);
  return closeInlineRuns(text);
}

interface Fence {
  readonly indent: string;
  readonly marker: string;
}

const OPENING = /^(\s*)(`{3,}|~{3,})(.*)$/;

/** The fence left open at the end of `lines`, if any (CommonMark rules, any indent for list items). */
export function openFence(lines: readonly string[]): Fence | null {
  let open: Fence | null = null;
  for (const line of lines) {
    if (open) {
      if (isClosing(line, open)) open = null;
      continue;
    }
    const match = OPENING.exec(line);
    if (!match) continue;
    const [, indent = "", marker = "", info = ""] = match;
    // A backtick fence's info string may not hold backticks: "```a```" is inline code, not a fence.
    if (marker.startsWith("`") && info.includes("`")) continue;
    open = { indent, marker };
  }
  return open;
}

function isClosing(line: string, fence: Fence): boolean {
  const match = /^\s*(`+|~+)\s*$/.exec(line);
  const marker = match?.[1];
  return marker !== undefined && marker[0] === fence.marker[0] && marker.length >= fence.marker.length;
}

function isPartialClosing(line: string, fence: Fence): boolean {
  const match = /^\s*(`+|~+)$/.exec(line);
  const marker = match?.[1];
  return marker !== undefined && marker[0] === fence.marker[0] && marker.length < fence.marker.length;
}

// Only the last paragraph can hold a run that is still open; earlier ones are final.
function closeInlineRuns(text: string): string {
  const start = Math.max(text.lastIndexOf("\n\n") + 2, 0);
  const paragraph = text.slice(start);
  let result = text;

  const ticks = [...paragraph.matchAll(/`+/g)];
  const openTick = ticks.length % 2 === 1 ? ticks[ticks.length - 1] : undefined;
  if (openTick && openTick[0].length === 1 && /\S/.test(paragraph.slice((openTick.index ?? 0) + 1))) {
    return `${result.trimEnd()}\``;
  }
  if (openTick) return result;

  // `**` outside code spans: an odd count means the last one is open.
  const outsideCode = paragraph.replace(/`[^`]*`/g, (span) => " ".repeat(span.length));
  const strong = [...outsideCode.matchAll(/\*\*/g)];
  const openStrong = strong.length % 2 === 1 ? strong[strong.length - 1] : undefined;
  if (openStrong && /\S/.test(outsideCode.slice((openStrong.index ?? 0) + 2))) {
    result = `${result.trimEnd()}**`;
  }
  return result;
}
