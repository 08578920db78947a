import { nodeAddress, nodeInstall } from "../shared/node-address.js";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { RbeeError } from "../shared/contract/index.js";
import { ago, table } from "./format.js";
import { WORKER_HEADERS, workerRow } from "./workers-table.js";
import { QueenClient, queenConnection } from "./queen-client.js";
import { MODELS_COMMANDS } from "./models-commands.js";
import { logsCommand } from "./logs-command.js";
import { placementCommand } from "./placement-command.js";
import { abortOnInterrupt } from "./command-args.js";
import { explainRefusedToken } from "./refused-token.js";
import { endLine, progressLine } from "./stream-lines.js";

const USAGE = `Usage: rbee-keeper [--queen-url URL] <command>

  setup add-node --name NAME --ssh-host HOST [--ssh-port 22] --ssh-user USER [--ssh-key PATH]
                 [--git-repo URL] [--git-branch main] [--install-path ~/rbee] [--no-verify]
                 (--git-repo defaults to this installation's git origin; file:///path works
                 for a checkout the node can read)
  setup list-nodes [--json]
  setup remove-node --name NAME
  setup install --node NAME
  workers list [--json]
  workers spawn --node NAME --model MODEL [--backend cpu] [--device 0] [--slots N] [--ctx N] [--threads N]
                [--engine node-llama-cpp|llama-server] [--shard NAME]...
                 (each --shard names another node that holds part of the model: llama-server runs
                 on --node, an rpc-server on each shard, tunnelled through this queen)
  workers stop ID
  infer --model MODEL --prompt TEXT [--node NAME] [--session ID] [--max-tokens N] [--temperature T] [--top-p P] [--seed N]
  models list [--node NAME] [--json]
  models download --node NAME MODEL    (an alias, hf:org/repo/file.gguf or https://…/file.gguf;
                                        resumes a partial file; Ctrl+C stops it)
  models copy MODEL --from NAME --to NAME   (through this queen; checked on arrival; resumes)
  models remove --node NAME MODEL      (refused while a worker has it loaded)
  models cancel --node NAME MODEL      (stops a running download; the partial file stays)
  logs --node NAME [--worker ID] [--lines N] [--follow]
                 (the node's hive log, or one worker's; --follow prints new lines until Ctrl+C)
  placement --model MODEL [--ctx N] [--slots N] [--backend cpu|cuda|metal|vulkan] [--nodes a,b] [--json]
                 (where the queen would run it: one node, or split with the bytes per node; exit 1 if it fits nowhere)

The queen's token comes from RBEE_TOKEN or RBEE_HOME/token (default ~/.rbee/token).`;

/** Where the CLI writes: tokens and results to `out`, progress and errors to `err`. */
export interface KeeperIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Resolves when the user presses Ctrl+C. */
  readonly interrupted: Promise<void>;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_INTERRUPTED = 130;

type Command = (client: QueenClient, args: readonly string[], io: KeeperIo) => Promise<number>;

/** The two-word commands; `infer` takes its flags right after it. */
const COMMANDS: Readonly<Record<string, Command>> = {
  "setup add-node": addNode,
  "setup list-nodes": listNodes,
  "setup remove-node": removeNode,
  "setup install": install,
  "workers list": listWorkers,
  "workers spawn": spawnWorker,
  "worker spawn": spawnWorker,
  "workers stop": stopWorker,
  ...MODELS_COMMANDS,
};

/** Runs one rbee-keeper command; returns its exit code. */
export async function runKeeper(argv: readonly string[], env: NodeJS.ProcessEnv, io: KeeperIo): Promise<number> {
  const { queenUrl, rest } = splitGlobal(argv);
  const connection = queenConnection(queenUrl, env);
  const client = new QueenClient(connection);
  const [group, command, ...args] = rest;
  try {
    const run = COMMANDS[`${group ?? ""} ${command ?? ""}`.trim()];
    if (run) return await run(client, args, io);
    if (group === "infer") return await infer(client, rest.slice(1), io);
    if (group === "logs") return await logsCommand(client, rest.slice(1), io);
    if (group === "placement") return await placementCommand(client, rest.slice(1), io);
    if (group === undefined || group === "help" || group === "--help" || group === "-h") {
      io.out(`${USAGE}\n`);
      return group === undefined ? EXIT_ERROR : EXIT_OK;
    }
    throw new RbeeError("INVALID_REQUEST", `Unknown command "${rest.join(" ")}". Run rbee-keeper --help`);
  } catch (error) {
    io.err(`rbee-keeper: ${describe(explainRefusedToken(error, env, connection.token !== undefined))}\n`);
    return EXIT_ERROR;
  }
}

function splitGlobal(argv: readonly string[]): { queenUrl: string | undefined; rest: string[] } {
  const rest = [...argv];
  let queenUrl: string | undefined;
  const index = rest.findIndex((arg) => arg === "--queen-url" || arg.startsWith("--queen-url="));
  if (index >= 0) {
    const arg = rest[index] ?? "";
    if (arg.includes("=")) {
      queenUrl = arg.slice(arg.indexOf("=") + 1);
      rest.splice(index, 1);
    } else {
      queenUrl = rest[index + 1];
      rest.splice(index, 2);
    }
  }
  return { queenUrl, rest };
}

function describe(error: unknown): string {
  if (error instanceof RbeeError) {
    const details = error.details?.filter((d) => !error.message.includes(d.message)) ?? [];
    return [error.message, ...details.map((d) => `  ${d.field}: ${d.message}`)].join("\n");
  }
  return (error as Error)?.message ?? String(error);
}

function flags<O extends NonNullable<ParseArgsConfig["options"]>>(args: readonly string[], options: O, positionals = false) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new RbeeError("INVALID_REQUEST", `${(error as Error).message}. Run rbee-keeper --help`);
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new RbeeError("INVALID_REQUEST", `Missing ${flag}. Run rbee-keeper --help`);
  return value;
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || value.trim() === "") throw new RbeeError("INVALID_REQUEST", `${flag} must be a number, not "${value}"`);
  return parsed;
}

async function addNode(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values } = flags(args, {
    name: { type: "string" },
    "ssh-host": { type: "string" },
    "ssh-port": { type: "string" },
    "ssh-user": { type: "string" },
    "ssh-key": { type: "string" },
    "git-repo": { type: "string" },
    "git-branch": { type: "string" },
    "install-path": { type: "string" },
    "no-verify": { type: "boolean", default: false },
  });
  const node_name = required(values.name, "--name");
  const ssh_host = required(values["ssh-host"], "--ssh-host");
  const ssh_user = required(values["ssh-user"], "--ssh-user");
  // Where the node installs from: this installation's own origin unless told otherwise.
  const defaults = values["git-repo"] === undefined || values["install-path"] === undefined ? await client.call("nodeDefaults", {}) : undefined;
  const git_repo_url = values["git-repo"] ?? defaults?.git_repo_url;
  if (!git_repo_url) {
    throw new RbeeError(
      "INVALID_REQUEST",
      "--git-repo is required: this rbee installation has no git origin to offer. Give the repository nodes install from (https://…, ssh://…, or file:///path/to/a/checkout the node can read)",
    );
  }
  const body = {
    node_name,
    ssh_host,
    ssh_port: number(values["ssh-port"], "--ssh-port"),
    ssh_user,
    ssh_key_path: values["ssh-key"],
    git_repo_url,
    git_branch: values["git-branch"],
    install_path: values["install-path"] ?? defaults?.install_path ?? "~/rbee",
  };
  if (!values["no-verify"]) io.err(`Connecting to ${body.ssh_user}@${body.ssh_host} over SSH…\n`);
  const answer = await client.call("addNode", { ...body, ...(values["no-verify"] ? { verify: false } : {}) });
  const key = answer.host_key_fingerprint ? `, host key ${answer.host_key_fingerprint}` : "";
  io.out(`Added node ${answer.node.node_name} (${answer.node.status}${key})\n`);
  return EXIT_OK;
}

async function listNodes(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { nodes } = await client.call("listNodes", {});
  printList(io, args, nodes, {
    empty: "No nodes yet. Add one with: rbee-keeper setup add-node --help",
    headers: ["NAME", "REACHED AS", "STATUS", "LAST CONNECTED", "INSTALL"],
    row: (n) => [n.node_name, nodeAddress(n), n.status, ago(n.last_connected_unix), nodeInstall(n)],
  });
  return EXIT_OK;
}

/** Prints a list as JSON (`--json`), as a table, or as what to do when it is empty. */
function printList<T>(
  io: KeeperIo,
  args: readonly string[],
  items: readonly T[],
  view: { readonly empty: string; readonly headers: readonly string[]; readonly row: (item: T) => string[] },
): void {
  const { values } = flags(args, { json: { type: "boolean", default: false } });
  if (values.json) io.out(`${JSON.stringify(items, null, 2)}\n`);
  else if (items.length === 0) io.out(`${view.empty}\n`);
  else io.out(`${table(view.headers, items.map(view.row))}\n`);
}

async function removeNode(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values } = flags(args, { name: { type: "string" } });
  const name = required(values.name, "--name");
  await client.call("removeNode", { node_name: name });
  io.out(`Removed node ${name}\n`);
  return EXIT_OK;
}

async function install(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values } = flags(args, { node: { type: "string" } });
  const node = required(values.node, "--node");
  for await (const event of client.stream("installNode", { node_name: node })) {
    // The queen's own sentence, as the HTTP API gives it: its code is not news to the user.
    if (event.type === "error") throw new RbeeError(event.code, event.message);
    if (event.type === "progress") io.err(`${progressLine(event)}\n`);
  }
  io.out(`Node ${node} is ready\n`);
  return EXIT_OK;
}

async function listWorkers(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { workers } = await client.call("listWorkers", {});
  printList(io, args, workers, {
    empty: "No workers running. Start one with: rbee-keeper infer --model MODEL --prompt TEXT",
    headers: WORKER_HEADERS,
    row: workerRow,
  });
  return EXIT_OK;
}

async function spawnWorker(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values } = flags(args, {
    node: { type: "string" },
    model: { type: "string" },
    backend: { type: "string" },
    device: { type: "string" },
    slots: { type: "string" },
    ctx: { type: "string" },
    threads: { type: "string" },
    engine: { type: "string" },
    shard: { type: "string", multiple: true },
  });
  const shards = values.shard ?? [];
  const body = {
    node_name: required(values.node, "--node"),
    model_ref: required(values.model, "--model"),
    backend: values.backend,
    device: number(values.device, "--device"),
    slots: number(values.slots, "--slots"),
    ctx: number(values.ctx, "--ctx"),
    threads: number(values.threads, "--threads"),
    engine: values.engine,
    ...(shards.length > 0 ? { shards } : {}),
  };
  // Ctrl+C closes the stream: the queen stops the spawn and whatever it had started.
  const ctrlC = abortOnInterrupt(io.interrupted);
  try {
    // The queen validates the flags as it validates any spawn: its answer names each bad one.
    for await (const event of client.stream("spawnWorker", body as never, ctrlC.signal)) {
      if (event.type === "error") throw new RbeeError(event.code, event.message);
      if (event.type === "progress") io.err(`${progressLine(event)}\n`);
      if (event.type === "worker") {
        const split = event.worker.shards?.length ? `, split with ${event.worker.shards.map((shard) => shard.node_name).join(", ")}` : "";
        io.out(`Worker ${event.worker.id} is ready on ${event.worker.node_name}${split}\n`);
        return EXIT_OK;
      }
    }
  } catch (error) {
    if (ctrlC.interrupted) {
      io.err("Cancelled\n");
      return EXIT_INTERRUPTED;
    }
    throw error;
  }
  if (ctrlC.interrupted) return EXIT_INTERRUPTED;
  throw new RbeeError("INTERNAL", "The spawn stream ended without the worker");
}

async function stopWorker(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { positionals } = flags(args, {}, true);
  const id = required(positionals[0], "the worker id");
  await client.call("stopWorker", { id });
  io.out(`Stopped worker ${id}\n`);
  return EXIT_OK;
}

async function infer(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const { values } = flags(args, {
    node: { type: "string" },
    model: { type: "string" },
    prompt: { type: "string" },
    session: { type: "string" },
    "max-tokens": { type: "string" },
    temperature: { type: "string" },
    "top-p": { type: "string" },
    seed: { type: "string" },
  });
  const body = {
    model: required(values.model, "--model"),
    prompt: required(values.prompt, "--prompt"),
    node: values.node,
    session: values.session,
    max_tokens: number(values["max-tokens"], "--max-tokens"),
    temperature: number(values.temperature, "--temperature"),
    top_p: number(values["top-p"], "--top-p"),
    seed: number(values.seed, "--seed"),
  };
  // Ctrl+C closes the stream: the queen cancels the job on its worker, which is then free again.
  const ctrlC = abortOnInterrupt(io.interrupted);
  let wroteText = false;
  // The queen says a place in line again when it moves; a repeat of the same place is not printed.
  let place: number | undefined;
  try {
    for await (const event of client.stream("infer", body, ctrlC.signal)) {
      switch (event.type) {
        case "progress": {
          const queued = event.stage === "queue" ? event.position : undefined;
          if (queued === undefined || queued !== place) io.err(`${progressLine(event)}\n`);
          place = queued;
          break;
        }
        case "started":
          break;
        case "token":
          io.out(event.t);
          wroteText ||= event.t.length > 0;
          break;
        case "end":
          if (wroteText) io.out("\n");
          io.err(`${endLine(event)}\n`);
          if (!ctrlC.interrupted) return EXIT_OK;
          io.err("Cancelled\n");
          return EXIT_INTERRUPTED;
        case "error":
          throw new RbeeError(event.code, event.message);
      }
    }
  } catch (error) {
    if (ctrlC.interrupted) {
      if (wroteText) io.out("\n");
      io.err("Cancelled\n");
      return EXIT_INTERRUPTED;
    }
    throw error;
  }
  if (ctrlC.interrupted) return EXIT_INTERRUPTED;
  throw new RbeeError("INTERNAL", "The stream ended without an end event");
}
