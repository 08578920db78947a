import { RBEE_VERSION } from "../shared/contract/index.js";
import type { Queen } from "../core/queen.js";
import { readSshConfigHosts } from "../core/ssh/ssh-config-import.js";
import type { ApiHandlers } from "./ipc.js";

/** What each renderer API method does on the queen core: the IPC twin of the HTTP routes. */
export function apiHandlers(queen: Queen): ApiHandlers {
  return {
    health: () => ({ status: "ok" as const, version: RBEE_VERSION }),
    listNodes: () => queen.beehives.list(),
    testNode: (node) => queen.testNode(node),
    addNode: (node) => queen.addNode(node, true),
    removeNode: (name) => queen.removeNode(name),
    listWorkers: () => queen.workers.list(),
    stopWorker: (id) => queen.stopWorker(id),
    sshConfigHosts: () => readSshConfigHosts(),
    nodeDevices: (name) => queen.fleet.devices(name),
  };
}
