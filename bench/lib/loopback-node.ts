import type { jsonClient } from "../../test/helpers/http-client.js";
import type { Sshd } from "../../test/helpers/sshd.js";

/** Adds a loopback sshd as node `name` whose install path is the benchmarked build itself (nothing to install). */
export async function addLoopbackNode(api: ReturnType<typeof jsonClient>, name: string, sshd: Sshd, root: string): Promise<void> {
  const added = await api.post("/v2/registry/beehives/add", {
    node_name: name,
    ssh_host: sshd.host,
    ssh_port: sshd.port,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: `file://${root}`,
    install_path: root,
  });
  if (added.status !== 201) throw new Error(`adding ${name} failed: ${JSON.stringify(added.body)}`);
}
