import type { Beehive } from "../../shared/contract/index.js";
import { shellPath, shellQuote } from "../ssh/shell.js";

/**
 * The shell scripts the queen runs on a node. Each is a pure function of its inputs, and every
 * value in it is quoted (`shellQuote` / `shellPath`), so nothing from the registry can run a command.
 */

/**
 * A script as the queen sends it: one fixed command text, and the script itself on stdin.
 * sshd runs a command text as `<login shell> -c '<text>'`, and puts it on the node's process list
 * (`/proc/PID/cmdline`, readable by every user there); stdin is seen by the script alone.
 */
export interface RemoteScript {
  readonly command: string;
  readonly stdin: string;
}

/**
 * The only command text scripts are sent with: plain words that mean the same in sh, bash, zsh,
 * fish and csh (whose quoting rules differ: fish keeps backslashes, csh refuses newlines in quotes).
 */
export const SH_STDIN_COMMAND = "exec sh -s";

/** Exit code of the install script when the branch does not exist in the repository. */
export const EXIT_NO_BRANCH = 20;
/** Exit code of the install script when git is missing. */
export const EXIT_NO_GIT = 21;
/** Exit code of the install script when the install path holds something that is not an rbee checkout. */
export const EXIT_FOREIGN_CHECKOUT = 22;
/** Exit code of the hive start script when the programs are not installed. */
export const EXIT_NOT_INSTALLED = 30;
/** Exit code of the hive start script when the hive did not come up. */
export const EXIT_HIVE_FAILED = 31;
/** Exit code of the hive script in attach-only mode when no hive runs (and rbee is installed). */
export const EXIT_NO_HIVE = 32;

/** Written by scripts/install-node.sh after a successful install: marks an rbee checkout. */
export const INSTALL_STAMP = ".rbee-install-stamp";

// Non-interactive SSH sessions often miss the user's PATH additions (nvm, Homebrew, ~/.local).
const PATH_PRELUDE = `PATH="$HOME/.local/bin:/usr/local/bin:/opt/homebrew/bin:$PATH"; export PATH; [ -s "$HOME/.nvm/nvm.sh" ] && . "$HOME/.nvm/nvm.sh" >/dev/null 2>&1; true`;

// A pid from a state file is only trusted while it still runs rbee-hive (pids get reused).
const IS_HIVE = `is_hive() { ps -p "$1" -o args= 2>/dev/null | grep -q rbee-hive; }`;

/**
 * Clone or update the checkout at `install_path` to `git_branch` of `git_repo_url`, then run the
 * project's own lean node install. Lines starting with `rbee-progress:` report steps. An existing
 * directory there is reused only if it is an rbee checkout (the install stamp, or a git checkout
 * of this repository), or filled if it is empty; anything else is refused, untouched.
 */
export function installScript(node: Pick<Beehive, "git_repo_url" | "git_branch" | "install_path">): RemoteScript {
  const dest = shellPath(node.install_path);
  const url = shellQuote(node.git_repo_url);
  const ref = shellQuote(`refs/heads/${node.git_branch}`);
  const branch = shellQuote(node.git_branch);
  return onStdin([
    "set -eu",
    PATH_PRELUDE,
    `command -v git >/dev/null 2>&1 || { echo "git is not installed on this node" >&2; exit ${EXIT_NO_GIT}; }`,
    `dest=${dest}`,
    `url=${url}`,
    // Only git's own .git counts: `git -C` in a plain directory would read an enclosing repository.
    `if [ -e "$dest/.git" ] && { [ -f "$dest/${INSTALL_STAMP}" ] || [ "$(git -C "$dest" config --get remote.origin.url 2>/dev/null || true)" = "$url" ]; }; then`,
    `  echo "rbee-progress: fetching ${escapeEcho(node.git_branch)}"`,
    `  git -C "$dest" remote set-url origin "$url"`,
    `  git -C "$dest" fetch --quiet origin ${ref} || { echo "branch ${escapeEcho(node.git_branch)} not found in the repository" >&2; exit ${EXIT_NO_BRANCH}; }`,
    `  before=$(git -C "$dest" rev-parse HEAD)`,
    `  after=$(git -C "$dest" rev-parse FETCH_HEAD)`,
    `  if [ "$before" != "$after" ]; then git -C "$dest" checkout --quiet --force -B ${branch} FETCH_HEAD; fi`,
    // Someone else's files (or a dangling link): refused before anything in it is touched.
    `elif { [ -e "$dest" ] || [ -L "$dest" ]; } && ! { [ -d "$dest" ] && [ -z "$(ls -A "$dest")" ]; }; then`,
    `  echo "${escapeEcho(node.install_path)} exists and is not an rbee checkout; choose another install path or remove it" >&2`,
    `  exit ${EXIT_FOREIGN_CHECKOUT}`,
    `else`,
    `  echo "rbee-progress: cloning the repository"`,
    `  mkdir -p "$(dirname "$dest")"`,
    `  git ls-remote --exit-code --heads "$url" ${ref} >/dev/null 2>&1 || { echo "branch ${escapeEcho(node.git_branch)} not found in the repository (or it cannot be read)" >&2; exit ${EXIT_NO_BRANCH}; }`,
    `  git clone --quiet --branch=${branch} -- "$url" "$dest"`,
    `fi`,
    `exec sh "$dest/scripts/install-node.sh"`,
  ]);
}

/**
 * Start `rbee-hive` detached unless a live one is already there; print its state JSON on one line
 * and its token on the next. The callback token is in the script on stdin, and reaches the hive in
 * its environment (readable by the same user and root only), never on a command line.
 */
export function hiveStartScript(options: {
  readonly installPath: string;
  readonly nodeHome: string;
  /** How the node's shell starts Node.js, quoted for it; default `node` from the PATH. */
  readonly nodeCommand?: string;
  readonly nodeName: string;
  readonly callbackUrl: string;
  readonly callbackToken: string;
  /** False: only report a running hive, never start one (rediscovery after a queen restart). */
  readonly start?: boolean;
  /** The heartbeat interval the hive gives its workers. */
  readonly workerHeartbeatMs?: number;
}): RemoteScript {
  const heartbeat = options.workerHeartbeatMs ? ` --worker-heartbeat-ms ${Math.round(options.workerHeartbeatMs)}` : "";
  return onStdin([
    PATH_PRELUDE,
    `home=${shellPath(options.nodeHome)}`,
    // A shell variable, not exported: only the hive gets it, through the assignment before `nohup`.
    `callback_token=${shellQuote(options.callbackToken)}`,
    `dir=${shellPath(options.installPath)}`,
    `mkdir -p "$home/logs" && chmod 700 "$home"`,
    `state="$home/hive.json"`,
    `print_state() { cat "$state"; echo; cat "$home/hive-token"; }`,
    IS_HIVE,
    `if [ -s "$state" ]; then`,
    `  pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$state")`,
    `  if [ -n "$pid" ] && is_hive "$pid"; then print_state; exit 0; fi`,
    `  rm -f "$state"`,
    `fi`,
    `[ -f "$dir/dist/bin/rbee-hive.js" ] || { echo "rbee is not installed in ${escapeEcho(options.installPath)}" >&2; exit ${EXIT_NOT_INSTALLED}; }`,
    // After the install check: the queen asks this first, and announces a start only when one can be made.
    ...(options.start === false ? [`exit ${EXIT_NO_HIVE}`] : []),
    `cd "$dir"`,
    `RBEE_HOME="$home" RBEE_CALLBACK_TOKEN="$callback_token" nohup ${options.nodeCommand ?? "node"} dist/bin/rbee-hive.js daemon --port 0 --callback-url ${shellQuote(options.callbackUrl)} --node-name ${shellQuote(options.nodeName)}${heartbeat} >>"$home/logs/hive.log" 2>&1 </dev/null &`,
    `hive=$!`,
    `i=0`,
    `while [ ! -s "$state" ]; do`,
    `  kill -0 "$hive" 2>/dev/null || { echo "rbee-hive exited while starting:" >&2; tail -n 20 "$home/logs/hive.log" >&2; exit ${EXIT_HIVE_FAILED}; }`,
    `  i=$((i + 1)); [ "$i" -gt 600 ] && { echo "rbee-hive did not start within 60 s:" >&2; tail -n 20 "$home/logs/hive.log" >&2; exit ${EXIT_HIVE_FAILED}; }`,
    `  sleep 0.1`,
    `done`,
    `print_state`,
  ]);
}

/** Stop the hive named by the state file (SIGTERM: it stops its workers first), waiting up to 15 s. */
export function hiveStopScript(nodeHome: string): RemoteScript {
  return onStdin([
    `state=${shellPath(nodeHome)}/hive.json`,
    `[ -s "$state" ] || exit 0`,
    `pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$state")`,
    IS_HIVE,
    `[ -n "$pid" ] && is_hive "$pid" || exit 0`,
    `kill -TERM "$pid" 2>/dev/null || exit 0`,
    `i=0; while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done`,
    `kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"`,
    `exit 0`,
  ]);
}

/**
 * The script as one compound command: sh parses it whole before running any of it, and it reads
 * /dev/null, so no command in it (git, npm) can swallow the rest of the script from stdin.
 */
function onStdin(lines: readonly string[]): RemoteScript {
  return { command: SH_STDIN_COMMAND, stdin: ["{", ...lines, "} </dev/null", ""].join("\n") };
}

// Text inside a double-quoted echo: only validated values reach here, but stay safe regardless.
function escapeEcho(text: string): string {
  return text.replace(/[^A-Za-z0-9._/~ -]/g, "?");
}
