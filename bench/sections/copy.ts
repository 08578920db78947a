// Node-to-node model copy through the queen (hive A's file stream piped into hive B's receive over
// the queen's two SSH connections) against `scp -3` between the same two loopback sshd, same file.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { jsonClient } from "../../test/helpers/http-client.js";
import { startModelFileServer } from "../../test/helpers/model-file-server.js";
import { readSseJson } from "../../test/helpers/sse.js";
import { startSshd, type Sshd } from "../../test/helpers/sshd.js";
import type { BenchContext } from "../lib/context.js";
import { addLoopbackNode } from "../lib/loopback-node.js";
import { startBenchQueen, type BenchQueen } from "../lib/queen.js";
import { figure, type SectionResult } from "../lib/report.js";
import { summarizeRate } from "../lib/stats.js";

const TITLE = "8. Model copy";
const run = promisify(execFile);
const MIB = 1024 * 1024;

interface Machine {
  readonly name: string;
  readonly sshd: Sshd;
  readonly home: string;
}

async function machine(dir: string, name: string): Promise<Machine> {
  const home = join(dir, `copy-${name}`, "home");
  mkdirSync(home, { recursive: true });
  return { name, home, sshd: await startSshd({ setEnv: { RBEE_HOME: home } }) };
}

/** POSTs a stream row and answers its events, failing on an `error` event. */
async function streamRow(queen: BenchQueen, path: string, body: unknown): Promise<unknown[]> {
  const response = await fetch(`${queen.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const { events } = await readSseJson(response);
  const last = events.at(-1) as { type?: string; message?: string } | undefined;
  if (last?.type !== "model") throw new Error(`${path} did not end with the model: ${JSON.stringify(last)}`);
  return events;
}

/** `scp -3`: the file goes from one sshd to the other through this machine, as the queen's copy does. */
async function scpThree(a: Machine, b: Machine, from: string, to: string): Promise<void> {
  const options = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"];
  await run("scp", ["-3", "-q", ...options, "-i", a.sshd.keyPath, "-i", b.sshd.keyPath,
    `scp://${a.sshd.user}@127.0.0.1:${a.sshd.port}/${from}`, `scp://${b.sshd.user}@127.0.0.1:${b.sshd.port}/${to}`]);
}

/** Copy throughput A → B through the queen vs `scp -3` between the same two sshd (target ≥ 0.8×). */
export async function runCopy(ctx: BenchContext): Promise<SectionResult> {
  const bytes = (ctx.mode === "smoke" ? 32 : 256) * MIB;
  const runs = ctx.mode === "smoke" ? 1 : 3;
  const [a, b] = await Promise.all([machine(ctx.dir, "a"), machine(ctx.dir, "b")]);
  const files = await startModelFileServer({ "copy.gguf": randomBytes(bytes) });
  let queen: BenchQueen | undefined;
  try {
    queen = await startBenchQueen(ctx.app.root, { RBEE_NODE_HOME: "", RBEE_LOCAL_NODE: "0" });
    const api = jsonClient(queen.baseUrl, queen.token);
    for (const node of [a, b]) await addLoopbackNode(api, node.name, node.sshd, ctx.app.root);
    const modelRef = `${files.url}/copy.gguf`;
    ctx.log(`copy: downloading ${bytes / MIB} MiB to node a`);
    const downloaded = (await streamRow(queen, "/v2/models/download", { node_name: "a", model_ref: modelRef })).at(-1) as { model: { file: string } };
    const source = join(a.home, "models", downloaded.model.file);

    const queenRates: number[] = [];
    const scpRates: number[] = [];
    for (let i = 0; i < runs; i++) {
      const removed = await api.post("/v2/models/remove", { node_name: "b", model_ref: modelRef });
      if (removed.status !== 200 && removed.body?.error?.code !== "MODEL_NOT_FOUND") throw new Error(`removing from b: ${JSON.stringify(removed.body)}`);
      let start = performance.now();
      await streamRow(queen, "/v2/models/copy", { model_ref: modelRef, from_node: "a", to_node: "b" });
      queenRates.push(bytes / MIB / ((performance.now() - start) / 1000));

      const target = join(b.home, "scp-copy.gguf");
      rmSync(target, { force: true });
      start = performance.now();
      await scpThree(a, b, source, target);
      scpRates.push(bytes / MIB / ((performance.now() - start) / 1000));
      rmSync(target, { force: true });
      ctx.log(`copy: run ${i + 1}: queen ${queenRates.at(-1)!.toFixed(1)} MiB/s, scp -3 ${scpRates.at(-1)!.toFixed(1)} MiB/s`);
    }
    return {
      id: "copy",
      title: TITLE,
      status: "ok",
      seconds: 0,
      figures: [
        figure({
          id: "copy.throughput",
          label: `copy node → node through the queen (${bytes / MIB} MiB, sha256 checked)`,
          unit: "MiB/s",
          summary: summarizeRate(queenRates),
          baseline: { label: "scp -3 between the same two sshd", summary: summarizeRate(scpRates) },
          target: "≥ 0.8× scp -3",
          check: ({ ratio }) => ratio !== null && ratio >= 0.8,
        }),
      ],
      notes: [
        "The queen's copy includes the target's sha256 check before it catalogs the file (a second read of the received bytes is avoided: the digest is computed as they arrive); scp -3 verifies nothing beyond SSH's own MACs.",
      ],
    };
  } finally {
    await queen?.stop();
    await files.stop();
    await Promise.all([a.sshd.dispose(), b.sshd.dispose()]);
  }
}
