import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { NodeStatus, type Beehive, type NodeDevicesFigures, type RegisteredWorker } from "../../shared/contract/index.js";
import type { JobOutcome } from "../inference/job-outcome.js";

/** The live state the gauges read at scrape time. */
export interface MetricSources {
  readonly nodes: () => readonly Beehive[];
  readonly workers: () => readonly RegisteredWorker[];
  readonly waitingPerModel: () => ReadonlyMap<string, number>;
  readonly devices: () => readonly NodeDevicesFigures[];
}

/** Time to first token, in seconds: from a warm slot's few milliseconds to a cold spawn's minute. */
const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Adds 1 (or `by`) to the entry of `key` in `map`. */
function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * The queen's Prometheus metrics (`GET /metrics`) in a registry of its own: counters fed once per
 * finished request, gauges that read the registries and the last device figures at scrape time.
 */
export class QueenMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"model" | "node" | "outcome">;
  private readonly generated: Counter<"model" | "node">;
  private readonly prompt: Counter<"model" | "node" | "cached">;
  private readonly ttft: Histogram<"model" | "node">;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "rbee_requests_total",
      help: "Inference requests by how they ended (ok, error, cancelled); node is empty when none reached a worker",
      labelNames: ["model", "node", "outcome"],
      registers,
    });
    this.generated = new Counter({ name: "rbee_generated_tokens_total", help: "Tokens the workers generated", labelNames: ["model", "node"], registers });
    this.prompt = new Counter({
      name: "rbee_prompt_tokens_total",
      help: "Prompt tokens the workers read: cached=\"true\" taken from a slot's cache, \"false\" evaluated",
      labelNames: ["model", "node", "cached"],
      registers,
    });
    this.ttft = new Histogram({
      name: "rbee_time_to_first_token_seconds",
      help: "Time from the worker taking a request to its first token",
      labelNames: ["model", "node"],
      buckets: TTFT_BUCKETS,
      registers,
    });
    new Gauge({
      name: "rbee_nodes",
      help: "Registered nodes by status",
      labelNames: ["status"],
      registers,
      collect() {
        const counts = new Map<string, number>(NodeStatus.options.map((status) => [status, 0]));
        for (const node of sources.nodes()) bump(counts, node.status);
        this.reset();
        for (const [status, count] of counts) this.set({ status }, count);
      },
    });
    new Gauge({
      name: "rbee_workers",
      help: "Live workers by node, model and state",
      labelNames: ["node", "model", "state"],
      registers,
      collect() {
        const counts = new Map<string, number>();
        for (const worker of sources.workers()) bump(counts, JSON.stringify([worker.node_name, worker.model_ref, worker.state]));
        this.reset();
        for (const [key, count] of counts) {
          const [node, model, state] = JSON.parse(key) as [string, string, string];
          this.set({ node, model, state }, count);
        }
      },
    });
    new Gauge({
      name: "rbee_worker_slots",
      help: "Slots of the live workers by node and model: kind=\"total\" or \"available\"",
      labelNames: ["node", "model", "kind"],
      registers,
      collect() {
        const total = new Map<string, number>();
        const available = new Map<string, number>();
        for (const worker of sources.workers()) {
          const key = JSON.stringify([worker.node_name, worker.model_ref]);
          bump(total, key, worker.slots_total);
          bump(available, key, worker.slots_available);
        }
        this.reset();
        for (const [key, count] of total) {
          const [node, model] = JSON.parse(key) as [string, string];
          this.set({ node, model, kind: "total" }, count);
          this.set({ node, model, kind: "available" }, available.get(key) ?? 0);
        }
      },
    });
    new Gauge({
      name: "rbee_queue_depth",
      help: "Requests waiting in line for a free slot, by model",
      labelNames: ["model"],
      registers,
      collect() {
        const depth = new Map<string, number>(sources.workers().map((worker) => [worker.model_ref, 0]));
        for (const [model, waiting] of sources.waitingPerModel()) depth.set(model, waiting);
        this.reset();
        for (const [model, waiting] of depth) this.set({ model }, waiting);
      },
    });
    gpuGauge("rbee_gpu_memory_used_bytes", "GPU memory in use, as the node's tools report it", sources, (gpu) => gpu.used_bytes, registers);
    gpuGauge("rbee_gpu_memory_total_bytes", "GPU memory in all", sources, (gpu) => (gpu.total_bytes > 0 ? gpu.total_bytes : null), registers);
    gpuGauge("rbee_gpu_utilization_ratio", "GPU load, 0 to 1", sources, (gpu) => gpu.utilization, registers);
    gpuGauge("rbee_gpu_temperature_celsius", "GPU temperature", sources, (gpu) => gpu.temperature_celsius, registers);
  }

  /** Counts one finished request: called once per request, by the inference service's end signal. */
  record(outcome: JobOutcome): void {
    const model = outcome.model;
    const node = outcome.nodeName ?? "";
    this.requests.inc({ model, node, outcome: outcome.outcome });
    const end = outcome.end;
    if (!end) return;
    this.generated.inc({ model, node }, end.tokens_out);
    const cached = end.tokens_cached ?? 0;
    const read = end.tokens_in ?? 0;
    this.prompt.inc({ model, node, cached: "true" }, cached);
    this.prompt.inc({ model, node, cached: "false" }, Math.max(0, read - cached));
    this.ttft.observe({ model, node }, end.ttft_ms / 1000);
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ readonly contentType: string; readonly text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

type Gpu = NodeDevicesFigures["devices"]["vram"][number];

/** One gauge per GPU (`device` = backend:index) of every node whose hive reported a value for it. */
function gpuGauge(name: string, help: string, sources: MetricSources, value: (gpu: Gpu) => number | null | undefined, registers: Registry[]): void {
  new Gauge({
    name,
    help,
    labelNames: ["node", "device", "name"],
    registers,
    collect() {
      this.reset();
      for (const { node_name, devices } of sources.devices()) {
        for (const gpu of devices.vram) {
          const figure = value(gpu);
          if (figure === null || figure === undefined) continue;
          this.set({ node: node_name, device: `${gpu.backend}:${gpu.device}`, name: gpu.name }, figure);
        }
      }
    },
  });
}
