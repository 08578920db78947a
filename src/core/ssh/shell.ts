/**
 * Quoting for the remote POSIX shell. Every value that reaches a remote command line goes through
 * `shellQuote` (or `shellPath` for paths that may start with `~`), so no value can run a command.
 */

/** One single-quoted shell word; embedded single quotes become `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A path as a shell word: `~` and `~/…` expand to the remote `$HOME`, the rest is quoted. */
export function shellPath(path: string): string {
  if (path === "~") return `"$HOME"`;
  if (path.startsWith("~/")) return `"$HOME"/${shellQuote(path.slice(2))}`;
  return shellQuote(path);
}
