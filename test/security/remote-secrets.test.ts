// No secret on any command line: a co-tenant on a node reads every process's command line
// (/proc/*/cmdline is world-readable). The test sshd runs on this machine, so the node's processes
// (sshd's sessions, the remote shells, the hive, the workers) are this machine's: a scanner reads
// every cmdline in a tight loop while the queen starts a hive, spawns a worker and stops both, and
// none of the secrets in play (queen token, node token, per-spawn callback token, worker API token,
// hive token) is ever in one.
import { readFileSync, statSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { HiveClient } from "../../src/core/remote/hive-client.js";
import { AddNodeRequest, SpawnWorkerRequest, type HiveWorker } from "../../src/shared/contract/index.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { until } from "../helpers/until.js";

// Plain JS for a worker thread: the scan must not wait on the event loop the queen works on.
const SCANNER = `
const { parentPort, workerData } = require("node:worker_threads");
const { readdirSync, readFileSync } = require("node:fs");
const stop = new Int32Array(workerData.stop);
const seen = new Set();
let passes = 0;
while (Atomics.load(stop, 0) === 0) {
  for (const name of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const cmdline = readFileSync("/proc/" + name + "/cmdline", "latin1");
      if (cmdline) seen.add(cmdline);
    } catch {
      // Gone meanwhile.
    }
  }
  passes++;
}
parentPort.postMessage({ cmdlines: [...seen], passes });
`;

/** Reads every process's command line over and over until stopped; answers each distinct one seen. */
function startCmdlineScan(): () => Promise<{ cmdlines: string[]; passes: number }> {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(SCANNER, { eval: true, workerData: { stop } });
  const result = new Promise<{ cmdlines: string[]; passes: number }>((resolveScan, reject) => {
    worker.once("message", resolveScan);
    worker.once("error", reject);
  });
  return async () => {
    Atomics.store(new Int32Array(stop), 0, 1);
    const scan = await result;
    await worker.terminate();
    return scan;
  };
}

const environOf = (pid: number): Map<string, string> =>
  new Map(
    readFileSync(`/proc/${pid}/environ`, "latin1")
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)] as const),
  );

let dir: string;
let sshd: Sshd;
let server: QueenServer;
let modelRef: string;
const nodeHome = () => join(dir, "node-home");
/** Tokens the queen issued (node tokens and per-spawn callback tokens), caught as they are made. */
const issued: { kind: string; token: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-secrets-"));
  const model = join(dir, "tiny.gguf");
  await writeTinyGguf(model, { seed: 3 });
  modelRef = `file:${model}`;
  sshd = await startSshd();
  server = await startQueenServer({
    home: join(dir, "queen"),
    host: "127.0.0.1",
    port: 0,
    nodeHome: nodeHome(),
    workerThreads: 1,
    userKnownHosts: [],
    sshAgent: "",
    log: () => {},
  });
  const tokens = server.queen.callbackTokens;
  const issue = tokens.issue.bind(tokens);
  const issueForNode = tokens.issueForNode.bind(tokens);
  tokens.issue = (workerId, nodeName) => record("per-spawn callback token", issue(workerId, nodeName));
  tokens.issueForNode = (nodeName) => record("node token", issueForNode(nodeName));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function record(kind: string, token: string): string {
  issued.push({ kind, token });
  return token;
}

describe("secrets never reach a command line on the node", () => {
  test("hive start, worker spawn, worker and hive stop: a concurrent /proc/*/cmdline scan finds no token", async () => {
    const queen = server.queen;
    await queen.addNode(
      AddNodeRequest.parse({
        node_name: "shared",
        ssh_host: sshd.host,
        ssh_port: sshd.port,
        ssh_user: sshd.user,
        ssh_key_path: sshd.keyPath,
        git_repo_url: "file:///nonexistent/rbee.git",
        // This checkout, built: rbee is "installed" there, so the hive starts without an install.
        install_path: resolve("."),
      }),
      true,
    );

    const stopScan = startCmdlineScan();
    let workers: HiveWorker[] = [];
    let hivePid = 0;
    let scan: { cmdlines: string[]; passes: number };
    try {
      // Starts the hive (the script with the node token), then spawns through it (the per-spawn token).
      await queen.spawnOperation(SpawnWorkerRequest.parse({ node_name: "shared", model_ref: modelRef }))(
        () => {},
        new AbortController().signal,
      );
      const state = JSON.parse(readFileSync(join(nodeHome(), "hive.json"), "utf8")) as { pid: number; port: number };
      hivePid = state.pid;
      const hive = new HiveClient(`http://127.0.0.1:${state.port}`, readFileSync(join(nodeHome(), "hive-token"), "utf8").trim(), "shared");
      workers = await hive.listWorkers();
      expect(workers).toHaveLength(1);

      // Their environments are theirs (and root's) alone: the hive's holds the node token, the worker's only its own.
      const hiveEnv = environOf(hivePid);
      const workerEnv = environOf(workers[0]!.pid);
      expect(statSync(`/proc/${hivePid}/environ`).mode & 0o777).toBe(0o400);
      expect(statSync(`/proc/${workers[0]!.pid}/environ`).mode & 0o777).toBe(0o400);
      expect(hiveEnv.get("RBEE_CALLBACK_TOKEN")).toBe(issued.find((entry) => entry.kind === "node token")?.token);
      expect(workerEnv.get("RBEE_WORKER_TOKEN")).toBe(workers[0]!.token);
      expect(workerEnv.has("RBEE_CALLBACK_TOKEN")).toBe(false);

      // The stop scripts run under the scan too.
      await queen.removeNode("shared");
      await until(() => {
        try {
          process.kill(hivePid, 0);
          return false;
        } catch {
          return true;
        }
      }, "the hive to stop", 20_000);
    } finally {
      scan = await stopScan();
    }

    const secrets = [
      { kind: "queen token", token: queen.token },
      { kind: "queen token file", token: readFileSync(join(dir, "queen", "token"), "utf8").trim() },
      { kind: "hive token", token: readFileSync(join(nodeHome(), "hive-token"), "utf8").trim() },
      ...workers.map((worker) => ({ kind: "worker API token", token: worker.token ?? "" })),
      ...issued,
    ];
    expect(new Set(secrets.map((secret) => secret.kind))).toEqual(
      new Set(["queen token", "queen token file", "hive token", "worker API token", "node token", "per-spawn callback token"]),
    );
    for (const secret of secrets) expect(secret.token.length, secret.kind).toBeGreaterThanOrEqual(32);

    for (const secret of secrets) {
      // Each leak shown as the process's first words and the text around the token.
      const leaks = scan.cmdlines
        .filter((cmdline) => cmdline.includes(secret.token))
        .map((cmdline) => {
          const shown = cmdline.replaceAll(secret.token, `<${secret.kind}>`).replaceAll("\0", " ");
          const at = shown.indexOf(`<${secret.kind}>`);
          return at <= 100 ? shown.slice(0, 160) : `${shown.slice(0, 40)} … ${shown.slice(at - 60, at + 60)}`;
        });
      expect(leaks, `${secret.kind} on a command line`).toEqual([]);
    }

    // And the scan did see the node side at work: the remote shell (the script on its stdin), the hive and the worker.
    expect(scan.passes).toBeGreaterThan(10);
    expect(scan.cmdlines).toContain("sh\0-s\0");
    expect(scan.cmdlines.some((cmdline) => cmdline.includes("rbee-hive.js\0daemon"))).toBe(true);
    expect(scan.cmdlines.some((cmdline) => cmdline.includes("llm-worker-rbee.js"))).toBe(true);
  }, 120_000);
});
