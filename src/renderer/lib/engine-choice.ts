import type { EngineStatus } from "../../shared/contract/engines.js";
import type { HiveDevices } from "../../shared/contract/hive.js";
import type { NodeStatus } from "../../shared/contract/nodes.js";
import type { Engine, EngineName } from "../../shared/contract/workers.js";

/** How long a first build of llama.cpp takes, as measured on a 2-core machine (STACK.md): said before the user waits for it. */
export const BUILD_TIME_TEXT = "about 12 minutes on 2 cores, less with more";

/** An engine's state on a node as the form shows it; `unknown` until the node's devices are known. */
export type EngineState = EngineStatus["state"] | "unknown";

/** One engine as the Spawn worker form offers it. */
export interface EngineOption {
  readonly engine: Engine;
  readonly label: string;
  readonly state: EngineState;
  /** A few words after the label: "ready", "built on first use (…)", "unavailable: install cmake". */
  readonly note: string;
  /** Unavailable engines cannot be chosen. */
  readonly disabled: boolean;
}

/** The engine's status on a node, from its devices; a hive too old to say has none. */
export function engineStatus(devices: HiveDevices | null, engine: EngineName): EngineStatus | undefined {
  return devices?.engine_status?.find((status) => status.engine === engine);
}

/** The state of `engine` on a node: node-llama-cpp is the worker every installed node has; the others must be reported. */
export function engineState(devices: HiveDevices | null, engine: EngineName): { readonly state: EngineState; readonly detail: string } {
  if (!devices) return { state: "unknown", detail: "" };
  const status = engineStatus(devices, engine);
  if (status) return { state: status.state, detail: status.detail };
  if (engine === "node-llama-cpp" || devices.engines?.includes(engine)) return { state: "ready", detail: "" };
  return { state: "unavailable", detail: "This node's hive does not report it: update rbee on the node (Nodes → Update)." };
}

/** How long the first build takes: the hive's own estimate for its cores ("about 6 minutes on 4 cores") when it gives one. */
export function buildEstimate(detail: string): string {
  return /\((about [^)]+)\)/.exec(detail)?.[1] ?? BUILD_TIME_TEXT;
}

/** An engine's state in a few words: what the user gets if they choose it. */
export function engineNote(state: EngineState, detail: string): string {
  switch (state) {
    case "ready":
      return "ready";
    case "buildable":
      return `built on first use (${buildEstimate(detail)})`;
    case "unavailable":
      return detail ? `unavailable: ${detail}` : "unavailable";
    case "unknown":
      return "checking the node…";
  }
}

const LABELS: Readonly<Record<Engine, string>> = { "node-llama-cpp": "node-llama-cpp", "llama-server": "llama-server (llama.cpp)" };

/** The engines a node offers, default first, each with its state there. */
export function engineOptions(devices: HiveDevices | null): readonly EngineOption[] {
  return (["node-llama-cpp", "llama-server"] as const).map((engine) => {
    const { state, detail } = engineState(devices, engine);
    return { engine, label: LABELS[engine], state, note: engineNote(state, detail), disabled: state === "unavailable" };
  });
}

/** Another node as a "Split across" choice: whether it can hold a shard (its rpc-server), and why not. */
export interface ShardOption {
  readonly node_name: string;
  readonly state: EngineState;
  readonly note: string;
  readonly disabled: boolean;
}

/** The nodes other than `mainNode` that could hold part of the model, each with its rpc-server's state. */
export function shardOptions(
  nodes: readonly { readonly node_name: string; readonly status: NodeStatus }[],
  mainNode: string,
  devicesOf: (nodeName: string) => HiveDevices | null,
): readonly ShardOption[] {
  return nodes
    .filter((node) => node.node_name !== mainNode)
    .map((node) => {
      if (node.status !== "ready") return { node_name: node.node_name, state: "unavailable", note: `not ready (${node.status})`, disabled: true };
      const { state, detail } = engineState(devicesOf(node.node_name), "rpc-server");
      const note = state === "buildable" ? "rpc-server built on first use" : engineNote(state, detail);
      return { node_name: node.node_name, state, note, disabled: state === "unavailable" || state === "unknown" };
    });
}

/** Why the chosen engine and shards cannot be spawned, in a sentence; null when they can (or are not known yet). */
export function engineProblem(
  choice: { readonly node: string; readonly engine: Engine; readonly shards: readonly string[] },
  engines: readonly EngineOption[],
  shards: readonly ShardOption[],
): string | null {
  const engine = engines.find((option) => option.engine === choice.engine);
  if (engine?.state === "unavailable") return `${choice.engine} cannot run on ${choice.node}: ${engine.note.replace(/^unavailable: /, "")}`;
  if (choice.shards.length > 0 && choice.engine !== "llama-server") return "A model split across nodes runs on llama-server: choose it as the engine.";
  for (const name of choice.shards) {
    const shard = shards.find((option) => option.node_name === name);
    if (!shard) return `${name} is not a node to split across: choose another.`;
    if (shard.state === "unavailable") return `${name} cannot hold part of the model: ${shard.note.replace(/^unavailable: /, "")}`;
  }
  return null;
}

/** One engine of a node as the Nodes view lists it. */
export interface NodeEngineView {
  readonly engine: EngineName;
  readonly state: EngineState;
  /** "ready", "built on first use", "unavailable: install cmake and a C++ compiler". */
  readonly text: string;
  /** The hive's own words, where it runs from or what it is built from. */
  readonly title: string;
}

/** Each engine of a node with its state; what a buildable one costs and what an unavailable one lacks. A hive that reports no engines (older rbee) has node-llama-cpp only. */
export function nodeEngines(devices: HiveDevices): readonly NodeEngineView[] {
  const reported = devices.engine_status !== undefined || devices.engines !== undefined;
  const names = reported ? (["node-llama-cpp", "llama-server", "rpc-server"] as const) : (["node-llama-cpp"] as const);
  return names.map((engine) => {
    const { state, detail } = engineState(devices, engine);
    const status = engineStatus(devices, engine);
    const from = status?.path ?? (status?.release ? `llama.cpp ${status.release}` : "");
    const text = state === "buildable" ? `built on first use (${buildEstimate(detail)})` : engineNote(state, detail);
    const title = [detail, from, state === "buildable" ? `The first build takes ${buildEstimate(detail)}.` : ""].filter(Boolean).join("\n");
    return { engine, state, text, title: title || text };
  });
}
