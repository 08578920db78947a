import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { previousFile } from "./rotating-log.js";

const CHUNK_BYTES = 64 * 1024;

/** The last `count` lines of one file (oldest first); none when it does not exist. */
function lastLinesOfFile(path: string, count: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return [];
  }
  try {
    let end = fstatSync(fd).size;
    let text = "";
    // Read backwards until the text holds `count` complete lines (one more newline than that) or the start.
    while (end > 0 && text.split("\n").length <= count + 1) {
      const start = Math.max(0, end - CHUNK_BYTES);
      const buffer = Buffer.alloc(end - start);
      readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString("latin1") + text;
      end = start;
    }
    const lines = Buffer.from(text, "latin1").toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    // A line cut by the chunk boundary at the front is dropped unless the file starts there.
    if (end > 0) lines.shift();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

/** The last `count` lines of a rotated log: its current file, preceded by its previous one when short. */
export function lastLines(path: string, count: number): string[] {
  if (count <= 0) return [];
  const current = lastLinesOfFile(path, count);
  if (current.length >= count) return current;
  return [...lastLinesOfFile(previousFile(path), count - current.length), ...current];
}
