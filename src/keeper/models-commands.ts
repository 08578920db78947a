import { RbeeError, type ModelEvent, type ModelStreamEvent } from "../shared/contract/index.js";
import type { KeeperIo } from "./cli.js";
import { abortOnInterrupt, commandFlags, EXIT_CODES, requiredArg } from "./command-args.js";
import { bytes } from "./format.js";
import { modelsTable } from "./models-table.js";
import type { QueenClient } from "./queen-client.js";
import { progressLine } from "./stream-lines.js";

type Command = (client: QueenClient, args: readonly string[], io: KeeperIo) => Promise<number>;

/** `rbee-keeper models …`: the fleet's model files (§9). */
export const MODELS_COMMANDS: Readonly<Record<string, Command>> = {
  "models list": listModels,
  "models download": downloadModel,
  "models remove": removeModel,
  "models copy": copyModel,
  "models cancel": cancelDownload,
};

async function listModels(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values } = commandFlags(args, { node: { type: "string" }, json: { type: "boolean", default: false } });
  const { nodes } = await client.call("listModels", values.node === undefined ? {} : { node: values.node });
  // A node asked for by name that the queen does not know is the command's error, not a row.
  const unknown = values.node !== undefined ? nodes.find((n) => n.node_name === values.node && n.error?.code === "NODE_NOT_FOUND") : undefined;
  if (unknown?.error) throw unknownNode(new RbeeError("NODE_NOT_FOUND", unknown.error.message));
  io.out(`${values.json ? JSON.stringify(nodes, null, 2) : modelsTable(nodes)}\n`);
  return EXIT_CODES.ok;
}

async function downloadModel(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values, positionals } = commandFlags(args, { node: { type: "string" } }, true);
  const node_name = requiredArg(values.node, "--node");
  const model_ref = await catalogRef(client, requiredArg(positionals[0], "the model (an alias, hf:org/repo/file.gguf or https://…/file.gguf)"));
  const outcome = await follow((signal) => client.stream("downloadModel", { node_name, model_ref }, signal), io, async () => {
    // The download goes on without its client: Ctrl+C stops it on the node too.
    await client.call("cancelDownload", { node_name, model_ref }).catch(() => undefined);
    io.err(`Cancelled: the partial file stays on ${node_name}; run the same command again to resume\n`);
  });
  if (outcome === "interrupted") return EXIT_CODES.interrupted;
  io.out(`Downloaded ${arrived(outcome)} to ${outcome.node_name}\n`);
  return EXIT_CODES.ok;
}

async function copyModel(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values, positionals } = commandFlags(args, { from: { type: "string" }, to: { type: "string" } }, true);
  const model_ref = requiredArg(positionals[0], "the model to copy");
  const from_node = requiredArg(values.from, "--from");
  const to_node = requiredArg(values.to, "--to");
  const outcome = await follow((signal) => client.stream("copyModel", { model_ref, from_node, to_node }, signal), io, async () => {
    await client.call("cancelDownload", { node_name: to_node, model_ref }).catch(() => undefined);
    io.err(`Cancelled: run the same command again to resume the copy to ${to_node}\n`);
  });
  if (outcome === "interrupted") return EXIT_CODES.interrupted;
  io.out(`Copied ${arrived(outcome)} from ${from_node} to ${outcome.node_name}\n`);
  return EXIT_CODES.ok;
}

async function removeModel(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values, positionals } = commandFlags(args, { node: { type: "string" } }, true);
  const node_name = requiredArg(values.node, "--node");
  const model_ref = requiredArg(positionals[0], "the model to remove");
  try {
    await client.call("removeModel", { node_name, model_ref });
  } catch (error) {
    if (error instanceof RbeeError && error.code === "MODEL_IN_USE") throw await inUse(client, error, node_name, model_ref);
    throw unknownNode(error);
  }
  io.out(`Removed ${model_ref} from ${node_name}\n`);
  return EXIT_CODES.ok;
}

async function cancelDownload(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values, positionals } = commandFlags(args, { node: { type: "string" } }, true);
  const node_name = requiredArg(values.node, "--node");
  const model_ref = requiredArg(positionals[0], "the model whose download to stop");
  const { cancelled } = await client.call("cancelDownload", { node_name, model_ref }).catch((error: unknown) => {
    throw unknownNode(error);
  });
  io.out(cancelled ? `Stopped the download of ${model_ref} on ${node_name}; the partial file stays for a later resume\n` : `No download of ${model_ref} runs on ${node_name}\n`);
  return EXIT_CODES.ok;
}

/**
 * Prints a download or copy stream's progress on stderr and answers its `model` event; Ctrl+C
 * closes the stream and runs `onInterrupt`. An `error` event, or an end without the model, is thrown.
 */
async function follow(
  open: (signal: AbortSignal) => AsyncGenerator<ModelStreamEvent>,
  io: KeeperIo,
  onInterrupt: () => Promise<void>,
): Promise<ModelEvent | "interrupted"> {
  const ctrlC = abortOnInterrupt(io.interrupted);
  let last = "";
  try {
    for await (const event of open(ctrlC.signal)) {
      if (event.type === "error") throw new RbeeError(event.code, event.message);
      if (event.type === "model") return event;
      const line = progressLine(event);
      // A repeat of the same line (same step, same percent) says nothing new.
      if (line !== last) io.err(`${line}\n`);
      last = line;
    }
  } catch (error) {
    if (!ctrlC.interrupted) throw unknownNode(error);
  }
  if (ctrlC.interrupted) {
    await onInterrupt();
    return "interrupted";
  }
  throw new RbeeError("INTERNAL", "The stream ended before the model arrived. Run the same command again: it resumes");
}

/** An alias of the queen's catalog as the reference it stands for (the catalog may name models the nodes' built-in one lacks); anything else as given. */
async function catalogRef(client: QueenClient, ref: string): Promise<string> {
  if (ref.includes(":")) return ref;
  const { models } = await client.call("modelCatalog", {});
  return models.find((entry) => entry.alias === ref)?.model_ref ?? ref;
}

/** "tiny.gguf (2.0 MiB, sha256 1a2b3c4d5e6f)" */
function arrived(event: ModelEvent): string {
  const digest = event.model.sha256 ? `, sha256 ${event.model.sha256.slice(0, 12)}` : "";
  // The file's own name: its folder under the node's models folder is in `models list`.
  return `${event.model.file.slice(event.model.file.lastIndexOf("/") + 1)} (${bytes(event.model.bytes)}${digest})`;
}

/** An unknown node's error always says how to see the nodes there are. */
function unknownNode(error: unknown): unknown {
  if (!(error instanceof RbeeError) || error.code !== "NODE_NOT_FOUND" || error.message.includes("setup list-nodes")) return error;
  return new RbeeError("NODE_NOT_FOUND", `${error.message}; see the nodes with \`rbee-keeper setup list-nodes\``);
}

/** MODEL_IN_USE with the workers to stop, asked of the queen, each as the command that stops it. */
async function inUse(client: QueenClient, error: RbeeError, node_name: string, model_ref: string): Promise<RbeeError> {
  const listed = await client.call("listModels", { node: node_name }).catch(() => ({ nodes: [] }));
  const model = listed.nodes.find((n) => n.node_name === node_name)?.models.find((m) => m.model_ref === model_ref || m.file === model_ref);
  const workers = model?.workers ?? [];
  const next = workers.length > 0 ? workers.map((id) => `rbee-keeper workers stop ${id}`).join(", then ") : "rbee-keeper workers list, then rbee-keeper workers stop <id>";
  return new RbeeError("MODEL_IN_USE", `${error.message.replace(/[.\s]+$/, "")}. Stop the worker first: ${next}`);
}
