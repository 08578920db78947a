// Node and worker rows as the queen lists them, for tests of what is computed from a fleet snapshot.
import type { Beehive, NodeStatus, RegisteredWorker, WorkerState } from "../../src/shared/contract/index.js";

/** A registry row of a node named `node_name` with `status`. */
export const node = (node_name: string, status: NodeStatus): Beehive => ({
  node_name,
  ssh_host: `${node_name}.home.arpa`,
  ssh_port: 22,
  ssh_user: "vince",
  ssh_key_path: null,
  git_repo_url: "https://example.invalid/rbee.git",
  git_branch: "main",
  install_path: "~/rbee",
  last_connected_unix: null,
  status,
  transport: "ssh",
});

/** A one-slot worker on node "mac" in `state`. */
export const worker = (id: string, state: WorkerState): RegisteredWorker => ({
  id,
  url: "http://127.0.0.1:9300",
  model_ref: "tinyllama",
  backend: "cpu",
  device: 0,
  state,
  slots_total: 1,
  slots_available: state === "idle" ? 1 : 0,
  vram_bytes: null,
  node_name: "mac",
  last_heartbeat_unix: 0,
});
