// Where every program keeps its state on a machine (SPEC §2): the queen, the hive and the CLI agree.
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
