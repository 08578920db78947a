// Where every program keeps its state on a machine: the queen, the hive and the CLI agree.
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** `RBEE_HOME` (a leading `~` expanded, made absolute), default `~/.rbee`. */
export function rbeeHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.RBEE_HOME?.trim();
  return configured ? resolve(expandHome(configured)) : join(homedir(), ".rbee");
}

/** Expands a leading `~` to the local user's home directory. */
export function expandHome(path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return join(homedir(), path.slice(2));
  return path;
}

/**
 * Creates a program's home and its `logs` directory, both 0700 (the home holds tokens), plus the
 * given subdirectories with the default mode; answers the home and the logs path.
 */
export function createHome(home: string, ...subdirectories: readonly string[]): { readonly home: string; readonly logs: string } {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  for (const name of subdirectories) mkdirSync(join(home, name), { recursive: true });
  const logs = join(home, "logs");
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  return { home, logs };
}
