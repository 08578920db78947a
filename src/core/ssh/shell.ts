/**
 * Quoting for the remote POSIX shell. Every value that reaches a remote command line goes through
 * `shellQuote` (or `shellPath` for paths that may start with `~`), so no value can run a command.
 */

/** One single-quoted shell word; embedded single quotes become `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A node's RBEE_HOME when the queen sets none (RBEE_NODE_HOME): the node's own, from its
 * environment (e.g. sshd's `SetEnv RBEE_HOME=…`), else `~/.rbee`. shellPath writes it as
 * the shell expansion that picks one of the two on the node.
 */
export const NODE_OWN_HOME = "${RBEE_HOME:-~/.rbee}";

/** A path as a shell word: `~` and `~/…` expand to the remote `$HOME`, the rest is quoted. */
export function shellPath(path: string): string {
  if (path === NODE_OWN_HOME) return `"\${RBEE_HOME:-$HOME/.rbee}"`;
  if (path === "~") return `"$HOME"`;
  if (path.startsWith("~/")) return `"$HOME"/${shellQuote(path.slice(2))}`;
  return shellQuote(path);
}
