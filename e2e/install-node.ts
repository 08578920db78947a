import { jsonClient } from "../test/helpers/http-client.js";
import type { QueenProcess } from "../test/helpers/queen-process.js";
import { readSseJson } from "../test/helpers/sse.js";
import type { Sshd } from "../test/helpers/sshd.js";

/** Adds node `name` on `sshd` to the queen and installs rbee there from `repoUrl`, through the HTTP API; throws on any error. */
export async function addAndInstallNode(queen: QueenProcess, sshd: Sshd, name: string, repoUrl: string, installPath: string): Promise<void> {
  const api = jsonClient(queen.baseUrl, queen.token);
  const added = await api.post("/v2/registry/beehives/add", {
    node_name: name,
    ssh_host: sshd.host,
    ssh_port: sshd.port,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: repoUrl,
    install_path: installPath,
  });
  if (added.status !== 201) throw new Error(`adding ${name} answered ${added.status}: ${JSON.stringify(added.body)}`);
  const install = await fetch(`${queen.baseUrl}/v2/registry/beehives/install`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify({ node_name: name }),
  });
  const { events, done } = await readSseJson(install);
  const errors = events.filter((event) => (event as { type: string }).type === "error");
  if (errors.length > 0 || !done) throw new Error(`installing ${name} failed: ${JSON.stringify(errors)}`);
}
