// rbee-keeper models, from the real programs: a real queen-rbee with two nodes (this computer, and a
// loopback sshd with its own node home where rbee is installed from this project), and a model file
// served by a loopback HTTP server at the pace of a slow link so that the download's progress shows.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { addInstalledNode, spawnWorker } from "../helpers/installed-node.js";
import { jsonClient } from "../helpers/http-client.js";
import { runKeeperBin } from "../helpers/keeper.js";
import { startModelFileServer, type ModelFileServer } from "../helpers/model-file-server.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

const MODEL_FILE = "keeper-tiny.gguf";

let dir: string;
let sshd: Sshd;
let server: ModelFileServer;
let queen: QueenProcess;
let env: Record<string, string>;
let modelRef: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-keeper-models-"));
  const file = join(dir, MODEL_FILE);
  await writeTinyGguf(file, { seed: 5 });
  const body = readFileSync(file);
  // Six steps 300 ms apart: longer than the hive's 200 ms between progress reports.
  server = await startModelFileServer({ [MODEL_FILE]: body }, { stepBytes: Math.ceil(body.length / 6), stepMs: 300 });
  modelRef = `${server.url}/${MODEL_FILE}`;
  sshd = await startSshd();
  // "local" keeps its models under the queen's home, "mac" under its own.
  queen = await startQueen({ env: { RBEE_LOCAL_NODE: "1", RBEE_NODE_HOME: join(dir, "mac-home"), RBEE_WORKER_THREADS: "1" } });
  await addInstalledNode(queen, sshd, "mac", join(dir, "mac"));
  env = { RBEE_HOME: queen.home, RBEE_TOKEN: "", RBEE_QUEEN_URL: queen.baseUrl };
}, 300_000);

afterAll(async () => {
  await queen?.stop();
  await server?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const keeper = (...args: string[]) => runKeeperBin(args, env);

describe("rbee-keeper models", () => {
  test("download shows bytes, total and percent on stderr as it goes, and one final line on stdout", async () => {
    const run = await keeper("models", "download", "--node", "mac", modelRef);
    expect(run.code, run.stderr).toBe(0);
    const percents = [...run.stderr.matchAll(/^\[download\] .* (\d+)% \([\d.]+ K?i?B of [\d.]+ KiB\)$/gm)].map((m) => Number(m[1]));
    expect(percents.length, run.stderr).toBeGreaterThanOrEqual(2);
    expect(percents.some((p) => p > 0 && p < 100), run.stderr).toBe(true);
    expect(run.stdout).toMatch(new RegExp(`^Downloaded ${MODEL_FILE.replace(".", "\\.")} \\([\\d.]+ KiB(, sha256 [0-9a-f]{12})?\\) to mac\\n$`));
  }, 120_000);

  test("list is a table of node, model, file, size, sha256 and use, with each node's free disk; --json the nodes", async () => {
    const run = await keeper("models", "list");
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NODE\s+MODEL\s+FILE\s+SIZE\s+SHA256\s+IN USE$/);
    expect(lines).toContainEqual(expect.stringMatching(/^local\s+\(no models\)$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^mac\\s+\\S+${MODEL_FILE}\\s+\\S*${MODEL_FILE}\\s+[\\d.]+ KiB\\s+([0-9a-f]{12}|—)\\s+no$`)));
    expect(lines.at(-1)).toMatch(/^Free disk: (local|mac) [\d.]+ [KMGT]iB, (local|mac) [\d.]+ [KMGT]iB$/);

    const json = await keeper("models", "list", "--node", "mac", "--json");
    expect(json.code, json.stderr).toBe(0);
    const nodes = JSON.parse(json.stdout) as { node_name: string; models: { file: string; bytes: number }[]; disk_free_bytes?: number }[];
    expect(nodes.map((n) => n.node_name)).toEqual(["mac"]);
    expect(nodes[0]?.models).toEqual([expect.objectContaining({ file: expect.stringContaining(MODEL_FILE), bytes: readFileSync(join(dir, MODEL_FILE)).length })]);
  });

  test("an unknown node is one line on stderr that says how to list the nodes, exit 1", async () => {
    for (const args of [
      ["models", "download", "--node", "nope", modelRef],
      ["models", "list", "--node", "nope"],
      ["models", "remove", "--node", "nope", modelRef],
    ]) {
      const run = await keeper(...args);
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^rbee-keeper: No node named "nope".*`rbee-keeper setup list-nodes`.*\n$/);
    }
  });

  test("remove of a model a worker has loaded names the worker to stop; once it stops, the model goes", async () => {
    const worker = await spawnWorker(queen, { node_name: "mac", model_ref: modelRef, backend: "cpu", device: 0 });
    const refused = await keeper("models", "remove", "--node", "mac", modelRef);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^rbee-keeper: .*\\. Stop the worker first: rbee-keeper workers stop ${worker.id}\\n$`));

    expect((await keeper("workers", "stop", worker.id)).code).toBe(0);
    const removed = await keeper("models", "remove", "--node", "mac", modelRef);
    expect(removed, removed.stderr).toMatchObject({ code: 0, stdout: `Removed ${modelRef} from mac\n` });
    const listed = await keeper("models", "list", "--node", "mac");
    expect(listed.stdout).toMatch(/^mac\s+\(no models\)$/m);
  }, 120_000);

  test("copy goes from one node to the other with progress on stderr; the file server sees no second download", async () => {
    expect((await keeper("models", "download", "--node", "mac", modelRef)).code).toBe(0);
    const downloads = server.requests.length;
    const run = await keeper("models", "copy", modelRef, "--from", "mac", "--to", "local");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^\[copy\] /m);
    expect(run.stdout).toMatch(new RegExp(`^Copied ${MODEL_FILE.replace(".", "\\.")} \\([\\d.]+ KiB, sha256 [0-9a-f]{12}\\) from mac to local\\n$`));
    expect(server.requests.length).toBe(downloads);
    const listed = await keeper("models", "list", "--node", "local");
    expect(listed.stdout).toMatch(new RegExp(`^local\\s+\\S+${MODEL_FILE}`, "m"));
  }, 120_000);

  test("Ctrl+C during a download stops it on the node too, says how to resume, exit 130", async () => {
    const body = readFileSync(join(dir, MODEL_FILE));
    // This server stops halfway until released: the download is surely under way when Ctrl+C comes.
    const held = await startModelFileServer({ "held.gguf": body }, { stepBytes: 4096, stepMs: 50, holdAt: 4096 * 8 });
    try {
      const ref = `${held.url}/held.gguf`;
      const child = spawn(process.execPath, ["dist/bin/rbee-keeper.js", "models", "download", "--node", "mac", ref], { env: { ...process.env, ...env } });
      let stderr = "";
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const progressed = new Promise<void>((resolve) =>
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/^\[download\] /m.test(stderr)) resolve();
        }),
      );
      await held.held;
      await progressed;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(stdout).toBe("");
      expect(stderr).toMatch(/Cancelled: the partial file stays on mac; run the same command again to resume\n$/);
      // The queen runs it no more: nothing left to cancel, and the node has no such model.
      const api = jsonClient(queen.baseUrl, queen.token);
      expect((await api.post("/v2/models/cancel", { node_name: "mac", model_ref: ref })).body).toEqual({ cancelled: false });
      const listed = await api.get("/v2/models/list?node=mac");
      expect(JSON.stringify(listed.body)).not.toContain("held.gguf");
    } finally {
      await held.stop();
    }
  }, 60_000);
});

