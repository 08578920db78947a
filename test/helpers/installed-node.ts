// A real node on a loopback sshd, added to a real queen and installed from a git repository of this
// project: the fixture of the workflow tests that need workers but not the install itself.
import { join } from "node:path";
import { expect } from "vitest";
import type { RegisteredWorker, SpawnWorkerRequest } from "../../src/shared/contract/index.js";
import { jsonClient } from "./http-client.js";
import { makeProjectRepo } from "./project-repo.js";
import type { QueenProcess } from "./queen-process.js";
import { readSseJson } from "./sse.js";
import type { Sshd } from "./sshd.js";

/** Adds node `name` (installed under `dir`) to the queen over the sshd and installs it; fails the test on any error. */
export async function addInstalledNode(queen: QueenProcess, sshd: Sshd, name: string, dir: string): Promise<void> {
  const api = jsonClient(queen.baseUrl, queen.token);
  const added = await api.post("/v2/registry/beehives/add", {
    node_name: name,
    ssh_host: sshd.host,
    ssh_port: sshd.port,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: makeProjectRepo(join(dir, "repo")),
    install_path: join(dir, "rbee"),
  });
  expect(added.status).toBe(201);
  const install = await postJson(queen, "/v2/registry/beehives/install", { node_name: name });
  const { events, done } = await readSseJson(install);
  expect(events.filter((event) => (event as { type: string }).type === "error")).toEqual([]);
  expect(done).toBe(true);
}

/** Spawns a worker through the queen and answers the registered worker. */
export async function spawnWorker(queen: QueenProcess, request: SpawnWorkerRequest): Promise<RegisteredWorker> {
  const { events } = await readSseJson(await postJson(queen, "/v1/workers/spawn", request));
  const last = events.at(-1) as { type: string; worker?: RegisteredWorker } | undefined;
  if (last?.type !== "worker" || !last.worker) throw new Error(`the spawn did not end with a worker: ${JSON.stringify(events)}`);
  return last.worker;
}

/** POSTs JSON to the queen with its token. */
export function postJson(queen: QueenProcess, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${queen.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}
