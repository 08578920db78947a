import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { installFakeNvidiaSmi, type FakeGpu, type FakeNvidiaSmi } from "../test/helpers/fake-nvidia-smi.js";
import { addInstalledNode, postJson, spawnWorker } from "../test/helpers/installed-node.js";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { readStreamEvents } from "../test/helpers/sse.js";
import { startSshd, type Sshd } from "../test/helpers/sshd.js";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.js";
import type { EndEvent, RegisteredWorker } from "../src/shared/contract/index.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// The Nodes view's GPU bars and the Workers view's recent jobs, live, in the real renderer against
// a real queen, sshd, installed node and worker. The node's `nvidia-smi` is a stand-in (no NVIDIA
// GPU exists here) on the node's PATH through the sshd's environment; the hive polls it for real.
test.describe.configure({ mode: "serial" });

const NODE = "gpu-box";
const ARTIFACTS = "e2e/artifacts";
const GPUS: readonly FakeGpu[] = [
  { name: "NVIDIA GeForce RTX 4090", totalMib: 24576, usedMib: 6144, utilizationPercent: 42, temperatureC: 61 },
  { name: "NVIDIA RTX A4000", totalMib: 16384, usedMib: 1024, utilizationPercent: 7, temperatureC: "[N/A]" },
];

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let fake: FakeNvidiaSmi;
let worker: RegisteredWorker;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  dir = mkdtempSync(join(tmpdir(), "rbee-e2e-gpu-"));
  fake = installFakeNvidiaSmi(join(dir, "fake-gpu"), GPUS);
  const model = join(dir, "tiny.gguf");
  await writeTinyGguf(model, { seed: 3 });
  sshd = await startSshd({ setEnv: { PATH: `${fake.binDir}:${process.env.PATH ?? "/usr/bin:/bin"}` } });
  queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1" } });
  await addInstalledNode(queen, sshd, NODE, join(dir, "node"));
  worker = await spawnWorker(queen, { node_name: NODE, model_ref: `file:${model}`, slots: 1 });
});

test.afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

guardPages(test);

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))));
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png` });
}

test("a node's GPU bars show the GPUs' memory, load and temperature, and follow them live", async ({ page }) => {
  await openUi(page, queen);
  const row = page.getByTestId(`node-row-${NODE}`);
  await expect(row.getByTestId("node-status")).toHaveText("ready");
  const gpus = page.getByTestId(`gpus-row-${NODE}`);
  const first = gpus.getByTestId("gpu-cuda-0");
  const second = gpus.getByTestId("gpu-cuda-1");
  await expect(row.getByTestId("node-devices")).toHaveText(/^cpu · 2× cuda · [\d.]+ GiB RAM$/);
  await expect(first).toContainText("NVIDIA GeForce RTX 4090");
  await expect(first.getByTestId("gpu-memory")).toHaveText("6.00 GiB / 24.0 GiB");
  await expect(first.getByTestId("gpu-load")).toHaveText("load 42%");
  await expect(first.getByTestId("gpu-temperature")).toHaveText("61 °C");
  await expect(first.getByRole("meter", { name: /RTX 4090 memory in use/ })).toHaveAttribute("aria-valuenow", String(6144 * 1024 * 1024));
  await expect(second.getByTestId("gpu-memory")).toHaveText("1.00 GiB / 16.0 GiB");
  await expect(second.getByTestId("gpu-load")).toHaveText("load 7%");
  // The node cannot read this card's temperature: the row says so instead of showing a number.
  await expect(second.getByTestId("gpu-temperature")).toHaveText("—");
  await expect(second).toHaveAttribute("title", /do not report its temperature/);
  await shot(page, "nodes-gpus");

  // New figures reach the open page without a reload: the hive polls, the queen pushes.
  fake.set([{ ...GPUS[0]!, usedMib: 20480, utilizationPercent: 97, temperatureC: 83 }, GPUS[1]!]);
  await expect(first.getByTestId("gpu-memory")).toHaveText("20.0 GiB / 24.0 GiB", { timeout: 20_000 });
  await expect(first.getByTestId("gpu-load")).toHaveText("load 97%");
  await expect(first.getByTestId("gpu-temperature")).toHaveText("83 °C");
});

test("a worker's recent jobs show its requests, tokens/s, TTFT and a sparkline once it has run some", async ({ page }) => {
  await openUi(page, queen);
  await page.keyboard.press("Control+2");
  await expect(page).toHaveURL(/#\/workers$/);
  const row = page.getByTestId(`worker-row-${worker.id}`);
  await expect(row.getByTestId("worker-requests")).toHaveText("0");
  await expect(row.getByTestId("worker-rate")).toHaveText("—");

  const ends: EndEvent[] = [];
  for (const [index, maxTokens] of [12, 24, 18].entries()) {
    const { events } = await readStreamEvents(await postJson(queen, "/v1/inference", { model: worker.model_ref, prompt: `Job ${index}`, max_tokens: maxTokens, seed: index }));
    ends.push(events.find((event): event is EndEvent => event.type === "end")!);
  }
  expect(ends.every(Boolean)).toBe(true);
  await expect(row.getByTestId("worker-requests")).toHaveText("3");
  await expect(row.getByTestId("worker-rate")).toHaveText(/^[\d.]+ tok\/s$/);
  await expect(row.getByTestId("worker-ttft")).toHaveText(/^\d+(\.\d)? m?s$/);
  await expect(row.getByTestId("worker-queue")).toHaveText("0 running · 0 in line");
  await expect(row.getByRole("img", { name: "Tokens per second of the last 3 jobs" })).toBeVisible();
  await shot(page, "workers-stats");
});
