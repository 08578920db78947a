// `GET /metrics` and the live GPU figures, end to end: a real queen, a real sshd, an installed node
// and a real worker on a generated model. The node's `nvidia-smi` is a stand-in (no NVIDIA GPU can
// exist here) put on the node's PATH through the sshd's environment; the hive polls it as it would the real one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PrometheusFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HiveDevices, QueenEvent, type EndEvent, type RegisteredWorker } from "../../src/shared/contract/index.js";
import { installFakeNvidiaSmi, type FakeGpu, type FakeNvidiaSmi } from "../helpers/fake-nvidia-smi.js";
import { jsonClient } from "../helpers/http-client.js";
import { addInstalledNode, postJson, spawnWorker } from "../helpers/installed-node.js";
import { startQueen, type QueenProcess } from "../helpers/queen-process.js";
import { histogramOf, parseMetrics, samplesOf as samples, sumOf as total } from "../helpers/prometheus.js";
import { readStreamEvents, sseMessages } from "../helpers/sse.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../helpers/tiny-gguf.js";

const MIB = 1024 * 1024;
const NODE = "gpu-box";
const GPUS: readonly FakeGpu[] = [
  { name: "NVIDIA GeForce RTX 4090", totalMib: 24564, usedMib: 3072, utilizationPercent: 42, temperatureC: 61 },
  { name: "NVIDIA RTX A4000", totalMib: 16376, usedMib: 512, utilizationPercent: 7, temperatureC: 38 },
];

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let fake: FakeNvidiaSmi;
let worker: RegisteredWorker;
let modelRef: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-metrics-"));
  fake = installFakeNvidiaSmi(join(dir, "fake-gpu"), GPUS);
  await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 5, chatTemplate: CHATML_TEMPLATE });
  modelRef = `file:${join(dir, "tiny.gguf")}`;
  sshd = await startSshd({ setEnv: { PATH: `${fake.binDir}:${process.env.PATH ?? "/usr/bin:/bin"}` } });
  queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1" } });
  await addInstalledNode(queen, sshd, NODE, join(dir, "node"));
  worker = await spawnWorker(queen, { node_name: NODE, model_ref: modelRef, slots: 1 });
}, 300_000);

afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<{ readonly families: PrometheusFamily[]; readonly text: string; readonly contentType: string | null }> {
  const response = await fetch(`${queen.baseUrl}/metrics`, { headers: { authorization: `Bearer ${queen.token}` } });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { families: parseMetrics(text), text, contentType: response.headers.get("content-type") };
}

describe("GET /metrics", () => {
  test("needs the token like every route", async () => {
    expect((await fetch(`${queen.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${queen.baseUrl}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  });

  test("counts what was sent: requests, generated and prompt tokens, one TTFT per request, from every client API", async () => {
    const ends: EndEvent[] = [];
    for (const [index, prompt] of ["Hello", "Tell me a story about bees", "One more"].entries()) {
      const { events } = await readStreamEvents(await postJson(queen, "/v1/inference", { model: modelRef, prompt, max_tokens: 6 + index, seed: index }));
      const end = events.find((event): event is EndEvent => event.type === "end");
      expect(end, JSON.stringify(events)).toBeDefined();
      ends.push(end!);
    }
    const openAi = await postJson(queen, "/v1/chat/completions", { model: modelRef, messages: [{ role: "user", content: "Hi" }], max_tokens: 5 });
    expect(openAi.status).toBe(200);
    const usage = ((await openAi.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;

    const { families, text, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const here = { model: modelRef, node: NODE };
    expect(total(families, "rbee_requests_total", { ...here, outcome: "ok" })).toBe(4);
    expect(total(families, "rbee_requests_total")).toBe(4);
    const generated = ends.reduce((sum, end) => sum + end.tokens_out, 0) + usage.completion_tokens;
    expect(generated).toBeGreaterThan(0);
    expect(total(families, "rbee_generated_tokens_total", here)).toBe(generated);
    const prompt = ends.reduce((sum, end) => sum + (end.tokens_in ?? 0), 0) + usage.prompt_tokens;
    expect(total(families, "rbee_prompt_tokens_total", here)).toBe(prompt);
    const cached = ends.reduce((sum, end) => sum + (end.tokens_cached ?? 0), 0);
    expect(total(families, "rbee_prompt_tokens_total", { ...here, cached: "true" })).toBeGreaterThanOrEqual(cached);
    expect(families.find((family) => family.name === "rbee_time_to_first_token_seconds")?.type).toBe("HISTOGRAM");
    const ttft = histogramOf(text, "rbee_time_to_first_token_seconds", here);
    expect(ttft?.count).toBe(4);
    expect(Number(ttft?.buckets["+Inf"])).toBe(4);
    // The sum holds the OpenAI request's TTFT too, which its answer does not show.
    expect(ttft?.sum).toBeGreaterThanOrEqual(ends.reduce((sum, end) => sum + end.ttft_ms / 1000, 0) - 1e-6);

    expect(total(families, "rbee_nodes", { status: "ready" })).toBe(1);
    expect(total(families, "rbee_nodes")).toBe(1);
    expect(total(families, "rbee_workers", { ...here, state: "idle" })).toBe(1);
    expect(total(families, "rbee_worker_slots", { ...here, kind: "total" })).toBe(worker.slots_total);
    expect(total(families, "rbee_worker_slots", { ...here, kind: "available" })).toBe(worker.slots_total);
    expect(total(families, "rbee_queue_depth", { model: modelRef })).toBe(0);
  }, 120_000);
});

describe("GPU figures from the node's nvidia-smi", () => {
  test("the node's devices and /metrics show both GPUs with the figures the tool printed", async () => {
    const { status, body } = await jsonClient(queen.baseUrl, queen.token).get(`/v2/registry/beehives/devices?node_name=${NODE}`);
    expect(status).toBe(200);
    const devices = HiveDevices.parse(body);
    expect(devices.backends).toContain("cuda");
    expect(devices.vram.filter((gpu) => gpu.backend === "cuda").map(({ device, name, total_bytes, used_bytes, utilization, temperature_celsius }) => ({ device, name, total_bytes, used_bytes, utilization, temperature_celsius }))).toEqual(
      GPUS.map((gpu, device) => ({
        device,
        name: gpu.name,
        total_bytes: gpu.totalMib * MIB,
        used_bytes: Number(gpu.usedMib) * MIB,
        utilization: Number(gpu.utilizationPercent) / 100,
        temperature_celsius: Number(gpu.temperatureC),
      })),
    );

    const { families } = await scrape();
    for (const [index, gpu] of GPUS.entries()) {
      const where = { node: NODE, device: `cuda:${index}` };
      expect(total(families, "rbee_gpu_memory_used_bytes", where)).toBe(Number(gpu.usedMib) * MIB);
      expect(total(families, "rbee_gpu_memory_total_bytes", where)).toBe(gpu.totalMib * MIB);
      expect(total(families, "rbee_gpu_utilization_ratio", where)).toBeCloseTo(Number(gpu.utilizationPercent) / 100, 6);
      expect(total(families, "rbee_gpu_temperature_celsius", where)).toBe(Number(gpu.temperatureC));
    }
  }, 60_000);

  test("new figures reach a subscriber of /v1/events without asking (the UI's live bars); an unreadable figure is left out", async () => {
    const abort = new AbortController();
    const response = await fetch(`${queen.baseUrl}/v1/events`, { headers: { authorization: `Bearer ${queen.token}` }, signal: abort.signal });
    fake.set([{ ...GPUS[0]!, usedMib: 20000, utilizationPercent: 99, temperatureC: 83 }, { ...GPUS[1]!, temperatureC: "[N/A]" }]);
    // The hive polls every 3 s and the queen every 3 s while subscribed: 15 s is plenty.
    const deadline = setTimeout(() => abort.abort(), 15_000);
    let seen: HiveDevices | undefined;
    try {
      for await (const message of sseMessages(response.body!)) {
        const event = QueenEvent.parse(JSON.parse(message.data));
        if (event.type !== "devices") continue;
        const devices = event.nodes.find((node) => node.node_name === NODE)?.devices;
        if (devices?.vram[0]?.used_bytes === 20000 * MIB) {
          seen = devices;
          break;
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    } finally {
      clearTimeout(deadline);
      abort.abort();
    }
    expect(seen, "no `devices` event on /v1/events brought the new figures within 15 s").toBeDefined();
    expect(seen?.vram.map((gpu) => [gpu.utilization, gpu.temperature_celsius, gpu.unavailable])).toEqual([
      [0.99, 83, []],
      [0.07, null, ["temperature"]],
    ]);
    const { families } = await scrape();
    expect(total(families, "rbee_gpu_temperature_celsius", { node: NODE, device: "cuda:0" })).toBe(83);
    expect(samples(families, "rbee_gpu_temperature_celsius").filter((sample) => sample.labels?.device === "cuda:1")).toEqual([]);
  }, 60_000);
});
