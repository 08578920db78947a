import type { NodeLifecycle } from "../nodes/node-lifecycle.js";
import type { BeehiveRegistry } from "../registry/beehive-registry.js";
import type { NodeAccess } from "./node-access.js";
import type { ProgressSink } from "./progress-sink.js";

/** What an install needs. */
export interface InstallDeps {
  readonly beehives: BeehiveRegistry;
  readonly access: NodeAccess;
  readonly nodes: NodeLifecycle;
}

/** Installs or updates rbee on a node and starts its hive; the node ends `ready`. */
export async function installNode(deps: InstallDeps, nodeName: string, progress: ProgressSink): Promise<{ readonly changed: boolean }> {
  const node = deps.beehives.require(nodeName);
  const connection = await deps.access.connect(node, progress);
  deps.nodes.send(nodeName, { type: "install-started" });
  try {
    progress({ stage: "install", message: `Installing rbee on ${nodeName} in ${connection.installPath(node)}` });
    const { changed } = await connection.install(node, (message) => progress({ stage: "install", message }));
    progress({ stage: "install", message: changed ? "Installed" : "Already up to date" });
    // New programs: the running hive (an older build) makes way for one started from them.
    if (changed) await deps.access.stopHiveQuietly(node);
    await deps.access.startHive(node, progress);
    deps.nodes.send(nodeName, { type: "install-succeeded" });
    return { changed };
  } catch (error) {
    deps.nodes.send(nodeName, { type: "install-failed", connectionAlive: connection.alive });
    throw error;
  }
}
