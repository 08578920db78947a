import { describe, expect, it } from "vitest";
import { gpuFiguresText } from "../../src/renderer/lib/gpu-figures.js";
import { workerActivity } from "../../src/renderer/lib/worker-activity.js";
import { applyEvent, INITIAL_FLEET_STATE } from "../../src/renderer/state/fleet-store.js";
import type { HiveGpu } from "../../src/shared/contract/hive.js";

const GIB = 1024 ** 3;
const gpu = (over: Partial<HiveGpu> = {}): HiveGpu => ({ backend: "cuda", device: 0, name: "RTX", total_bytes: 24 * GIB, free_bytes: 18 * GIB, used_bytes: 6 * GIB, utilization: 0.426, temperature_celsius: 61.4, unavailable: [], ...over });

describe("a GPU's figures in words", () => {
  it("shows memory of total, load and temperature", () => {
    expect(gpuFiguresText(gpu())).toEqual({
      label: "cuda:0 RTX",
      memory: "6.00 GiB / 24.0 GiB",
      load: "43%",
      temperature: "61 °C",
      bar: { used: 6 * GIB, total: 24 * GIB },
      missing: null,
    });
  });

  it("says which figures the node cannot report (Vulkan: none; an older hive: no live figures)", () => {
    const vulkan = gpuFiguresText(gpu({ backend: "vulkan", total_bytes: 0, used_bytes: null, utilization: null, temperature_celsius: null, unavailable: ["memory_used", "utilization", "temperature"] }));
    expect(vulkan).toMatchObject({ memory: "—", load: "—", temperature: "—", bar: null, missing: "This node's tools do not report its memory use, load, temperature" });
    const older: HiveGpu = { backend: "cuda", device: 1, name: "Old", total_bytes: 8 * GIB, free_bytes: null };
    expect(gpuFiguresText(older)).toMatchObject({ memory: "8.00 GiB", load: "—", bar: null, missing: null });
  });
});

describe("a worker's recent jobs", () => {
  it("averages the speed and TTFT of the jobs that have them and keeps each speed for the sparkline", () => {
    const job = (tokens_per_s: number | null, ttft_ms: number | null) => ({ ended_unix_ms: 0, outcome: "ok" as const, tokens_out: 3, tokens_per_s, ttft_ms });
    const activity = workerActivity({ worker_id: "w", requests: 3, errors: 1, running: 1, queued: 2, recent: [job(100, 10), job(null, null), job(300, 30)] });
    expect(activity).toEqual({ requests: 3, errors: 1, tokensPerSecond: 200, ttftMs: 20, speeds: [100, null, 300], running: 1, queued: 2 });
    expect(workerActivity(undefined)).toMatchObject({ requests: 0, tokensPerSecond: null, ttftMs: null, speeds: [] });
  });
});

describe("the fleet store", () => {
  it("keeps the pushed worker stats and device figures by id and node", () => {
    const withStats = applyEvent(INITIAL_FLEET_STATE, { type: "worker_stats", stats: [{ worker_id: "w", requests: 1, errors: 0, running: 0, queued: 0, recent: [] }] });
    const withDevices = applyEvent(withStats, { type: "devices", nodes: [{ node_name: "box", devices: { backends: ["cpu"], devices: { cpu: 1 }, ram_bytes: 1, vram: [gpu()] } }] });
    expect(withDevices.workerStats.get("w")?.requests).toBe(1);
    expect(withDevices.devices.get("box")?.vram[0]?.name).toBe("RTX");
    expect(applyEvent(withDevices, { type: "devices", nodes: [] }).devices.size).toBe(0);
  });
});
