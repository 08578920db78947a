import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startSshd, type Sshd } from "./sshd.js";

/**
 * A loopback sshd whose sessions get `RBEE_HOME=<home>` (sshd's `SetEnv`): one "machine" with its
 * own node home, so that two of them on one computer keep their models apart.
 */
export async function startSshdWithHome(home: string): Promise<Sshd> {
  mkdirSync(home, { recursive: true });
  const sshd = await startSshd();
  appendFileSync(join(sshd.dir, "sshd_config"), `SetEnv RBEE_HOME=${home}\n`);
  // The config is read when sshd starts: start it again, on the same port with the same keys.
  await sshd.stop();
  await sshd.start();
  return sshd;
}
