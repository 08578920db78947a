// Two "machines" for fleet tests: two loopback sshd, each giving its sessions its own node home
// (`SetEnv RBEE_HOME=…`), added to one real queen and installed from a repository of this project.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { addInstalledNode } from "./installed-node.js";
import { startQueen, type QueenProcess } from "./queen-process.js";
import { startSshd, type Sshd } from "./sshd.js";

/** One of the machines: its sshd, its node name and its node home. */
export interface Machine {
  readonly name: string;
  readonly sshd: Sshd;
  readonly home: string;
  readonly models: string;
  /** The node's hive as a test reaches it directly (its loopback port and token, read from its home). */
  hive(): { readonly url: string; readonly token: string };
  /** The hive's log so far. */
  hiveLog(): string;
}

export interface TwoMachines {
  readonly queen: QueenProcess;
  readonly a: Machine;
  readonly b: Machine;
  dispose(): Promise<void>;
}

async function machine(dir: string, name: string): Promise<Machine> {
  const home = join(dir, name, "home");
  mkdirSync(home, { recursive: true });
  const sshd = await startSshd({ setEnv: { RBEE_HOME: home } });
  return {
    name,
    sshd,
    home,
    models: join(home, "models"),
    hive() {
      const state = JSON.parse(readFileSync(join(home, "hive.json"), "utf8")) as { port: number };
      return { url: `http://127.0.0.1:${state.port}`, token: readFileSync(join(home, "hive-token"), "utf8").trim() };
    },
    hiveLog: () => readFileSync(join(home, "logs", "hive.log"), "utf8"),
  };
}

/** Starts both sshd and a queen (with `env`), and installs both nodes: `a` and `b` name them. */
export async function startTwoMachines(dir: string, names: readonly [string, string], env: Record<string, string> = {}): Promise<TwoMachines> {
  const [a, b] = await Promise.all([machine(dir, names[0]), machine(dir, names[1])]);
  const queen = await startQueen({ env: { RBEE_WORKER_THREADS: "1", RBEE_NODE_HOME: "", ...env } });
  await addInstalledNode(queen, a.sshd, a.name, join(dir, a.name));
  await addInstalledNode(queen, b.sshd, b.name, join(dir, b.name));
  return {
    queen,
    a,
    b,
    async dispose() {
      await queen.stop();
      await Promise.all([a.sshd.dispose(), b.sshd.dispose()]);
    },
  };
}
