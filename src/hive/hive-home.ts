import { join } from "node:path";
import { createHome } from "../node-common/home.js";
import { loadOrCreateSecretFile } from "../node-common/secrets.js";

/** The files a hive keeps under the node's `RBEE_HOME`. */
export interface HivePaths {
  readonly home: string;
  readonly models: string;
  readonly logs: string;
  readonly token: string;
  /** The running hive's `hive.json` (HiveStateFile), so that the queen finds it over SSH. */
  readonly state: string;
}

/** Resolves and creates the hive's layout (0700: it holds the hive token). */
export function hivePaths(home: string): HivePaths {
  const { logs } = createHome(home, "models");
  return { home, models: join(home, "models"), logs, token: join(home, "hive-token"), state: join(home, "hive.json") };
}

/** The hive token: `RBEE_HIVE_TOKEN` when set, else `RBEE_HOME/hive-token`, created (0600) on first start. */
export function loadHiveToken(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.RBEE_HIVE_TOKEN?.trim() || loadOrCreateSecretFile(path);
}
