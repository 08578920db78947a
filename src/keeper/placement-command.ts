import { parseArgs } from "node:util";
import { Backend, RbeeError, type PlacementPreviewResponse } from "../shared/contract/index.js";
import type { KeeperIo } from "./cli.js";
import { bytes, table } from "./format.js";
import type { QueenClient } from "./queen-client.js";

const EXIT_OK = 0;
/** The model fits nowhere now: the answer is printed, and scripts can tell. */
const EXIT_FITS_NOWHERE = 1;

function placementFlags(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        model: { type: "string" },
        ctx: { type: "string" },
        slots: { type: "string" },
        backend: { type: "string" },
        nodes: { type: "string" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new RbeeError("INVALID_REQUEST", `${(error as Error).message}. Run rbee-keeper --help`);
  }
}

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new RbeeError("INVALID_REQUEST", `--${flag} must be a whole number, not "${value}"`);
  return Number(value);
}

/** The placement in one line: where it runs, and the bytes each node holds when it is split. */
export function placementLine(answer: PlacementPreviewResponse): string {
  const placement = answer.placement;
  if (!placement) return "Placement: none (it fits nowhere now)";
  if (placement.kind === "single") {
    return `Placement: ${placement.node_name} alone (${placement.backend} device ${placement.device}, ${placement.engine})`;
  }
  const shards = placement.shards.map((shard) => `${shard.node_name} ${bytes(shard.bytes)} (${shard.backend} device ${shard.device}, rpc-server)`);
  return `Placement: split: ${placement.node_name} ${bytes(placement.bytes)} (${placement.backend}, llama-server) + ${shards.join(" + ")}`;
}

function footprintLine(answer: PlacementPreviewResponse): string {
  const slots = `ctx ${answer.ctx} × ${answer.slots} slot${answer.slots === 1 ? "" : "s"}`;
  const footprint = answer.footprint;
  if (!footprint) return `Model: size unknown; ${slots}`;
  const header =
    footprint.layers > 0
      ? `, ${footprint.layers} layers, KV cache ${bytes(footprint.kv_bytes_per_token)} per token`
      : " (file size only: its KV cache is not counted)";
  return `Model: ${bytes(footprint.weights_bytes)} of weights${header}; ${slots}; needs ${bytes(answer.need_bytes)}`;
}

/**
 * `rbee-keeper placement --model REF [--ctx N] [--slots N] [--backend B] [--nodes a,b] [--json]`:
 * where the queen would run the model now and why (one node, or split with the bytes per node),
 * and each node's free memory. Exit 1 when it fits nowhere.
 */
export async function placementCommand(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const values = placementFlags(args);
  if (values.model === undefined || values.model === "") throw new RbeeError("INVALID_REQUEST", "Missing --model. Run rbee-keeper --help");
  const ctx = wholeNumber("ctx", values.ctx);
  const slots = wholeNumber("slots", values.slots);
  let backend: Backend | undefined;
  if (values.backend !== undefined) {
    const parsed = Backend.safeParse(values.backend);
    if (!parsed.success) throw new RbeeError("INVALID_REQUEST", `--backend must be one of ${Backend.options.join(", ")}, not "${values.backend}"`);
    backend = parsed.data;
  }
  const answer = await client.call("placementPreview", {
    model: values.model,
    ...(ctx !== undefined ? { ctx } : {}),
    ...(slots !== undefined ? { slots } : {}),
    ...(backend !== undefined ? { backend } : {}),
    ...(values.nodes !== undefined ? { nodes: values.nodes } : {}),
  });
  if (values.json) {
    io.out(`${JSON.stringify(answer, null, 2)}\n`);
  } else {
    const rows = answer.nodes.map((node) => [
      node.node_name,
      bytes(node.free_bytes),
      node.backend ?? "—",
      node.has_model ? "yes" : "no",
      node.engines.join(",") || "—",
      node.note ?? "",
    ]);
    io.out(`${answer.reason}\n${placementLine(answer)}\n${footprintLine(answer)}\n\n${table(["NODE", "FREE", "BACKEND", "HAS FILE", "ENGINES", "NOTE"], rows)}\n`);
  }
  return answer.placement ? EXIT_OK : EXIT_FITS_NOWHERE;
}
