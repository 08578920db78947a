import type { NodeModels } from "../shared/contract/index.js";
import { bytes, table } from "./format.js";

/** `models list` as text: one row per model file, a node that could not be asked with its error, then each node's free disk. */
export function modelsTable(nodes: readonly NodeModels[]): string {
  if (nodes.length === 0) return "No nodes yet. Add one with: rbee-keeper setup add-node --help";
  const rows = nodes.flatMap((node): string[][] => {
    if (node.error) return [[node.node_name, `(could not ask: ${node.error.message})`, "", "", "", ""]];
    if (node.models.length === 0) return [[node.node_name, "(no models)", "", "", "", ""]];
    return node.models.map((model) => [
      node.node_name,
      model.model_ref,
      model.file,
      bytes(model.bytes),
      model.sha256 ? model.sha256.slice(0, 12) : "—",
      model.workers.length > 0 ? model.workers.join(",") : "no",
    ]);
  });
  const free = nodes
    .filter((node) => node.disk_free_bytes !== undefined)
    .map((node) => `${node.node_name} ${bytes(node.disk_free_bytes)}`)
    .join(", ");
  const lines = [table(["NODE", "MODEL", "FILE", "SIZE", "SHA256", "IN USE"], rows)];
  if (free) lines.push(`Free disk: ${free}`);
  return lines.join("\n");
}
