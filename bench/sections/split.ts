// One model across two machines (llama.cpp RPC). Two figures, each against a baseline of the same run:
// - the split worker's tokens/s through the queen (llama-server on `main`, the layers on `side`'s
//   ggml-rpc-server, tunnelled over the queen's SSH connections) vs the same model on one
//   llama-server worker through the queen;
// - what the queen's tunnel costs llama.cpp's RPC: llama-server with `--rpc` on the tunnel's port
//   vs on the rpc-server's own loopback port, same rpc-server, same model, no queen in between.
// Two loopback sshd are the two machines. Needs the llama.cpp build (scripts/build-llama.sh).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openShardTunnel, type ShardTunnel } from "../../src/core/fleet/shard-tunnels.js";
import { KnownHosts } from "../../src/core/ssh/known-hosts.js";
import { SshNodeConnection } from "../../src/core/ssh/node-connection.js";
import { connectSsh } from "../../src/core/ssh/ssh-connect.js";
import { findLlamaProgram } from "../../src/node-common/llama-cpp-binaries.js";
import { jsonClient } from "../../test/helpers/http-client.js";
import { listeningSockets } from "../../test/helpers/listening-sockets.js";
import { spawnProcess, type RunningProcess } from "../../test/helpers/process.js";
import { readSseJson } from "../../test/helpers/sse.js";
import { freePort, startSshd, type Sshd } from "../../test/helpers/sshd.js";
import { writeTinyGguf } from "../../test/helpers/tiny-gguf.js";
import { until } from "../../test/helpers/until.js";
import type { BenchContext } from "../lib/context.js";
import { addLoopbackNode } from "../lib/loopback-node.js";
import { startBenchQueen, type BenchQueen } from "../lib/queen.js";
import { figure, type SectionResult } from "../lib/report.js";
import { summarize, summarizeRate } from "../lib/stats.js";
import { assertStreamOk, rbeeEvents, timedPost } from "../lib/timed-stream.js";

const TITLE = "10. Split model";
const PROMPT = "The bees";

interface Machine {
  readonly name: string;
  readonly sshd: Sshd;
}

function program(name: "llama-server" | "rpc-server"): string {
  const found = findLlamaProgram(name, "cpu");
  if (!found) throw new Error(`${name} is not built on this machine: run \`bash scripts/build-llama.sh\``);
  return found.path;
}

/** POSTs a spawn through the queen and answers the worker's id, failing on an `error` event. */
async function spawn(queen: BenchQueen, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${queen.baseUrl}/v1/workers/spawn`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const { events } = await readSseJson(response);
  const last = events.at(-1) as { type?: string; worker?: { id: string } } | undefined;
  if (last?.type !== "worker" || !last.worker) throw new Error(`the spawn did not end with a worker: ${JSON.stringify(last)}`);
  return last.worker.id;
}

/** Tokens per second of one greedy answer through the queen, from its first token to its end. */
async function queenRate(queen: BenchQueen, model: string, tokens: number): Promise<number> {
  const answer = await timedPost(`${queen.baseUrl}/v1/inference`, queen.token, { model, prompt: PROMPT, max_tokens: tokens, temperature: 0, seed: 1 });
  assertStreamOk(answer, "inference");
  const events = rbeeEvents(answer).filter((event) => event.type === "token");
  if (events.length < 2) throw new Error(`only ${events.length} tokens came`);
  return (events.length - 1) / ((events.at(-1)!.t - events[0]!.t) / 1000);
}

/** A llama-server on loopback with its layers on `rpc`, once it answers; its load time in seconds. */
async function llamaServerOver(model: string, rpc: string): Promise<{ process: RunningProcess; url: string; loadSeconds: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnProcess(program("llama-server"), ["-m", model, "--host", "127.0.0.1", "--port", String(port), "-t", "1", "-c", "1024", "-np", "1", "--rpc", rpc, "-ngl", "99"], {
    env: { ...process.env, GGML_NO_BACKTRACE: "1" },
  });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/health`).catch(() => undefined))?.status === 200, "llama-server to load over RPC", 60_000);
  return { process: child, url, loadSeconds: (performance.now() - started) / 1000 };
}

/** Tokens per second of one greedy completion straight from llama-server (its own timing of the generation). */
async function llamaServerRate(url: string, tokens: number): Promise<number> {
  const response = await fetch(`${url}/completion`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: PROMPT, n_predict: tokens, temperature: 0, seed: 1, cache_prompt: false }),
  });
  const body = (await response.json()) as { timings?: { predicted_n: number; predicted_ms: number } };
  if (!response.ok || !body.timings) throw new Error(`llama-server answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.timings.predicted_n / (body.timings.predicted_ms / 1000);
}

async function sshNode(ctx: BenchContext, machine: Machine): Promise<SshNodeConnection> {
  const { sshd } = machine;
  const session = await connectSsh(
    { host: sshd.host, port: sshd.port, user: sshd.user, keyPath: sshd.keyPath },
    { knownHosts: new KnownHosts(join(ctx.dir, "split-known-hosts"), []), unknownHost: "accept-once", agent: "" },
  );
  return new SshNodeConnection(machine.name, session.client, session.fingerprint);
}

/** Split vs one node through the queen, and the queen's tunnel vs a direct loopback rpc-server. */
export async function runSplit(ctx: BenchContext): Promise<SectionResult> {
  const tokens = ctx.settings.splitTokens;
  const runs = ctx.settings.splitRuns;
  program("llama-server");
  program("rpc-server");
  const model = join(ctx.dir, "split-bench.gguf");
  await writeTinyGguf(model, { blocks: 8, text: "printable", seed: 21 });
  const modelRef = `file:${model}`;
  const machines = await Promise.all(
    ["main", "side"].map(async (name): Promise<Machine> => {
      const home = join(ctx.dir, `split-${name}`, "home");
      mkdirSync(home, { recursive: true });
      return { name, sshd: await startSshd({ setEnv: { RBEE_HOME: home } }) };
    }),
  );
  const cleanups: (() => unknown)[] = [];
  try {
    const queen = await startBenchQueen(ctx.app.root, { RBEE_NODE_HOME: "", RBEE_LOCAL_NODE: "0", RBEE_WORKER_THREADS: "1" });
    cleanups.push(() => queen.stop());
    const api = jsonClient(queen.baseUrl, queen.token);
    for (const { name, sshd } of machines) await addLoopbackNode(api, name, sshd, ctx.app.root);

    // Through the queen: the split worker, then one llama-server worker of the same model.
    const measureWorker = async (label: string, body: Record<string, unknown>): Promise<number[]> => {
      ctx.log(`split: spawning ${label}`);
      const id = await spawn(queen, { node_name: "main", model_ref: modelRef, engine: "llama-server", ctx: 1024, threads: 1, ...body });
      await queenRate(queen, modelRef, 8); // warm-up
      const rates: number[] = [];
      for (let i = 0; i < runs; i++) rates.push(await queenRate(queen, modelRef, tokens));
      ctx.log(`split: ${label}: ${rates.map((rate) => rate.toFixed(0)).join(", ")} tokens/s`);
      const stopped = await api.delete(`/v1/workers/${id}`);
      if (stopped.status !== 204) throw new Error(`stopping ${label}: ${JSON.stringify(stopped.body)}`);
      return rates;
    };
    const splitRates = await measureWorker("the split worker (main + side)", { shards: ["side"] });
    const singleRates = await measureWorker("one llama-server worker on main", {});

    // No queen in between: llama-server over the queen's tunnel vs straight to the rpc-server.
    const rpcPort = await freePort();
    const rpc = spawnProcess(program("rpc-server"), ["-H", "127.0.0.1", "-p", String(rpcPort), "-t", "1"], { env: { ...process.env, GGML_NO_BACKTRACE: "1" } });
    cleanups.push(() => rpc.stop());
    await until(() => listeningSockets([rpc.pid]).some((socket) => socket.port === rpcPort), "ggml-rpc-server to listen", 15_000);
    const [mainConnection, sideConnection] = await Promise.all(machines.map((machine) => sshNode(ctx, machine)));
    cleanups.push(() => mainConnection!.close(), () => sideConnection!.close());
    let lost = "";
    const tunnel: ShardTunnel = await openShardTunnel(mainConnection!, sideConnection!, rpcPort, (reason) => (lost = reason));
    cleanups.push(() => tunnel.close());
    const overRpc = async (label: string, address: string): Promise<{ rates: number[]; load: number }> => {
      const server = await llamaServerOver(model, address);
      try {
        await llamaServerRate(server.url, 8);
        const rates: number[] = [];
        for (let i = 0; i < runs; i++) rates.push(await llamaServerRate(server.url, tokens));
        ctx.log(`split: llama-server over ${label}: loaded in ${server.loadSeconds.toFixed(2)} s, ${rates.map((rate) => rate.toFixed(0)).join(", ")} tokens/s`);
        return { rates, load: server.loadSeconds };
      } finally {
        await server.process.stop();
      }
    };
    const tunnelled: number[] = [];
    const direct: number[] = [];
    const tunnelLoads: number[] = [];
    const directLoads: number[] = [];
    for (let round = 0; round < ctx.settings.splitTunnelRounds; round++) {
      const viaTunnel = await overRpc("the queen's tunnel", tunnel.address);
      const straight = await overRpc("loopback", `127.0.0.1:${rpcPort}`);
      tunnelled.push(...viaTunnel.rates);
      direct.push(...straight.rates);
      tunnelLoads.push(viaTunnel.load);
      directLoads.push(straight.load);
    }
    if (lost) throw new Error(`the tunnel reported a loss during the run: ${lost}`);

    return {
      id: "split",
      title: TITLE,
      status: "ok",
      seconds: 0,
      figures: [
        figure({
          id: "split.tokens",
          label: `split worker (main + 1 shard) tokens/s through the queen (${tokens} tokens)`,
          unit: "tokens/s",
          summary: summarizeRate(splitRates),
          baseline: { label: "the same model on one llama-server worker", summary: summarizeRate(singleRates) },
        }),
        figure({
          id: "split.tunnel",
          label: `llama-server --rpc over the queen's tunnel, tokens/s (${tokens} tokens)`,
          unit: "tokens/s",
          summary: summarizeRate(tunnelled),
          baseline: { label: "--rpc straight to rpc-server on loopback", summary: summarizeRate(direct) },
        }),
        figure({
          id: "split.load",
          label: "llama-server load (weights sent to rpc-server) over the queen's tunnel",
          unit: "s",
          summary: summarize(tunnelLoads),
          baseline: { label: "straight to rpc-server on loopback", summary: summarize(directLoads) },
        }),
      ],
      notes: [
        "The model is an 8-layer generated GGUF of about 1.4 MiB: every token crosses to the shard and back, so the figures are dominated by RPC round trips, which is what the tunnel adds to; a real model's compute per token would hide more of them.",
        "The tunnel: a loopback port on main (an SSH remote forward of the queen's connection to main) whose connections the queen carries to side's rpc-server over its connection to side; both are real sshd on loopback.",
      ],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await Promise.all(machines.map((machine) => machine.sshd.dispose()));
  }
}
