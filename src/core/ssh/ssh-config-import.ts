import { readdirSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import SSHConfig from "ssh-config";
import type { SshConfigHost } from "../../shared/contract/index.js";

/** What resolving a config needs from the machine; injected in tests. */
export interface SshConfigEnvironment {
  /** The local user's home: `~` and `%d`. */
  readonly home: string;
  /** The local user name: the default `User`, and `%u`. */
  readonly localUser: string;
  /** A file's text, or null when it cannot be read. */
  readonly readFile: (path: string) => string | null;
  /** The names in a directory (for `Include` patterns), or [] when it cannot be read. */
  readonly readDir: (path: string) => readonly string[];
}

const MAX_INCLUDE_DEPTH = 8;

/** The user's own config: `RBEE_SSH_CONFIG` when set (tests), else `~/.ssh/config`. */
export function defaultSshConfigPath(): string {
  return process.env.RBEE_SSH_CONFIG?.trim() || join(homedir(), ".ssh", "config");
}

/** The machine this process runs on, as an SshConfigEnvironment. */
export function localSshConfigEnvironment(): SshConfigEnvironment {
  return {
    home: homedir(),
    localUser: safeUserName(),
    readFile: (path) => {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return null;
      }
    },
    readDir: (path) => {
      try {
        return readdirSync(path);
      } catch {
        return [];
      }
    },
  };
}

/** Reads and resolves the concrete hosts of an ssh config file; a missing file has none. */
export function readSshConfigHosts(
  path: string = defaultSshConfigPath(),
  environment: SshConfigEnvironment = localSshConfigEnvironment(),
): SshConfigHost[] {
  const text = environment.readFile(path);
  return text === null ? [] : importSshConfigHosts(text, environment, dirname(path));
}

/**
 * The hosts a user can pick from an ssh config text, resolved the way OpenSSH resolves them (first
 * value wins, `Host *` defaults apply): every name of a `Host` line that is not a pattern (`*`,
 * `?`, `!`), with HostName (`%h` expanded), Port, User and the first IdentityFile (`~`, `%d`, `%u`,
 * `%h`, `%r` expanded). `Include` is followed (relative to `baseDir`, `*` and `?` in the file name).
 * `Match exec` is never run: a config is data here, not a script.
 */
export function importSshConfigHosts(text: string, environment: SshConfigEnvironment, baseDir = join(environment.home, ".ssh")): SshConfigHost[] {
  const config = SSHConfig.parse(inlineIncludes(text, environment, baseDir, 0));
  const aliases: string[] = [];
  for (const line of config) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== "host") continue;
    for (const name of valuesOf(line.value)) {
      if (isConcreteName(name) && !aliases.includes(name)) aliases.push(name);
    }
  }
  const hosts: SshConfigHost[] = [];
  for (const alias of aliases) {
    const computed = config.compute(alias, { ignoreCase: true, matchExec: false });
    const first = (key: string): string | undefined => {
      const value = computed[key];
      const text = Array.isArray(value) ? value[0] : value;
      return text === undefined || text === "" ? undefined : text;
    };
    const port = Number(first("port") ?? "22");
    if (!Number.isInteger(port) || port < 1 || port > 65535) continue;
    const sshHost = expandTokens(first("hostname") ?? alias, { h: alias, d: environment.home, u: environment.localUser });
    const user = first("user") ?? environment.localUser;
    const identity = first("identityfile");
    const tokens = { h: sshHost, d: environment.home, u: environment.localUser, r: user };
    hosts.push({
      alias,
      ssh_host: sshHost,
      ssh_port: port,
      ssh_user: user,
      ssh_key_path: identity && identity.toLowerCase() !== "none" ? expandHome(expandTokens(identity, tokens), environment.home) : null,
    });
  }
  return hosts;
}

function valuesOf(value: string | readonly { readonly val: string }[]): string[] {
  return typeof value === "string" ? [value] : value.map((part) => part.val);
}

function isConcreteName(name: string): boolean {
  return name !== "" && !/[*?!]/.test(name);
}

/** Expands ssh_config(5) `%` tokens we know; unknown ones stay as written. */
function expandTokens(value: string, tokens: Readonly<Record<string, string>>): string {
  return value.replace(/%([%a-zA-Z])/g, (whole, key: string) => (key === "%" ? "%" : (tokens[key] ?? whole)));
}

function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return path;
}

// OpenSSH reads Include files in place; so do we, textually, up to a depth that stops loops.
function inlineIncludes(text: string, environment: SshConfigEnvironment, baseDir: string, depth: number): string {
  if (depth >= MAX_INCLUDE_DEPTH) return text;
  return text
    .split(/\r?\n/)
    .map((line) => {
      const match = /^\s*include\s*[=\s]\s*(.+?)\s*$/i.exec(line);
      if (!match?.[1]) return line;
      const included = match[1]
        .split(/\s+/)
        .map((pattern) => pattern.replace(/^"(.*)"$/, "$1"))
        .flatMap((pattern) => expandInclude(pattern, environment, baseDir))
        .map((path) => environment.readFile(path))
        .filter((content): content is string => content !== null)
        .map((content) => inlineIncludes(content, environment, baseDir, depth + 1));
      return included.join("\n");
    })
    .join("\n");
}

function expandInclude(pattern: string, environment: SshConfigEnvironment, baseDir: string): string[] {
  const expanded = expandHome(pattern, environment.home);
  const path = isAbsolute(expanded) ? expanded : join(baseDir, expanded);
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  const regex = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return environment
    .readDir(dirname(path))
    .filter((entry) => regex.test(entry) && !entry.startsWith("."))
    .sort()
    .map((entry) => join(dirname(path), entry));
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "root";
  }
}
