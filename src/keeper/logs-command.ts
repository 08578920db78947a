import { parseArgs } from "node:util";
import { MAX_LOG_LINES, RbeeError } from "../shared/contract/index.js";
import type { KeeperIo } from "./cli.js";
import type { QueenClient } from "./queen-client.js";
import { abortOnInterrupt } from "./command-args.js";

const EXIT_OK = 0;
const EXIT_INTERRUPTED = 130;

function logFlags(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: { node: { type: "string" }, worker: { type: "string" }, lines: { type: "string" }, follow: { type: "boolean", short: "f", default: false } },
      strict: true,
    }).values;
  } catch (error) {
    throw new RbeeError("INVALID_REQUEST", `${(error as Error).message}. Run rbee-keeper --help`);
  }
}

function lineCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const count = Number(value);
  if (!/^\d+$/.test(value) || count > MAX_LOG_LINES) {
    throw new RbeeError("INVALID_REQUEST", `--lines must be a whole number from 0 to ${MAX_LOG_LINES}, not "${value}"`);
  }
  return count;
}

/** What to do when a node or worker is not there: where to find the names. */
function withNextStep(error: unknown): unknown {
  if (!(error instanceof RbeeError)) return error;
  if (error.code === "NODE_NOT_FOUND") return new RbeeError(error.code, `${error.message}. List the nodes with: rbee-keeper setup list-nodes (add one with: rbee-keeper setup add-node --help)`);
  if (error.code === "WORKER_NOT_FOUND") return new RbeeError(error.code, `${error.message}. List the workers with: rbee-keeper workers list, or leave out --worker for the node's hive log`);
  return error;
}

/**
 * `rbee-keeper logs --node NAME [--worker ID] [--lines N] [--follow]`: the last lines of a node's
 * hive log or of one worker's to stdout; with --follow each new line as it arrives, until the
 * worker exits or Ctrl+C (exit 130).
 */
export async function logsCommand(client: QueenClient, args: readonly string[], io: KeeperIo): Promise<number> {
  const values = logFlags(args);
  if (values.node === undefined || values.node === "") throw new RbeeError("INVALID_REQUEST", "Missing --node. Run rbee-keeper --help");
  const lines = lineCount(values.lines);
  const input = { node: values.node, ...(values.worker !== undefined ? { worker: values.worker } : {}), ...(lines !== undefined ? { lines } : {}) };
  try {
    if (!values.follow) {
      const answer = await client.call("logs", input);
      for (const line of answer.lines) io.out(`${line}\n`);
      return EXIT_OK;
    }
    const ctrlC = abortOnInterrupt(io.interrupted);
    try {
      for await (const event of client.follow("logs", input, ctrlC.signal)) {
        if (event.type === "error") throw new RbeeError(event.code, event.message);
        io.out(`${event.line}\n`);
      }
    } catch (error) {
      if (ctrlC.interrupted) return EXIT_INTERRUPTED;
      throw error;
    }
    return ctrlC.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  } catch (error) {
    throw withNextStep(error);
  }
}
