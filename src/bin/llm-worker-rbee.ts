#!/usr/bin/env node
import { RbeeError } from "../shared/contract/index.js";
import { createWorkerLog } from "../worker/worker-log.js";
import { parseWorkerCommandLine, WORKER_USAGE } from "../worker/worker-options.js";

/** `llm-worker-rbee`: one model in one process. */
async function main(): Promise<number> {
  const parsed = parseWorkerCommandLine(process.argv.slice(2), process.env);
  if (parsed.kind === "help") {
    process.stdout.write(WORKER_USAGE);
    return 0;
  }
  const { options } = parsed;
  const log = createWorkerLog(options.workerId);
  // Loaded after the flags are checked, so that a bad command line fails fast.
  const { startWorker } = await import("../worker/worker-process.js");
  const worker = await startWorker(options, log, (line) => process.stdout.write(`${line}\n`));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(1);
    log(`${signal} received; stopping`);
    void worker.shutdown(0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return worker.exited;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof RbeeError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`llm-worker-rbee: ${message}\n`);
    process.exit(1);
  },
);
