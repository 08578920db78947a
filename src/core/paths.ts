import { join } from "node:path";
import { createHome } from "../node-common/home.js";

/** The files the queen persists under its home. */
export interface QueenPaths {
  readonly home: string;
  readonly database: string;
  readonly token: string;
  readonly knownHosts: string;
  readonly logs: string;
}

/** Resolves and creates the queen's home layout (0700: it holds the token). */
export function queenPaths(home: string): QueenPaths {
  const { logs } = createHome(home);
  return {
    home,
    database: join(home, "beehives.db"),
    token: join(home, "token"),
    knownHosts: join(home, "known_hosts"),
    logs,
  };
}
