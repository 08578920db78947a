#!/usr/bin/env node
import { resolve } from "node:path";
import { RBEE_VERSION, RbeeError } from "../shared/contract/index.js";
import { HIVE_USAGE, parseHiveCommandLine } from "../hive/cli.js";
import { startHive } from "../hive/daemon.js";
import { hiveLogLine } from "../hive/logs/hive-log.js";
import { rbeeHome } from "../node-common/home.js";

function log(line: string): void {
  process.stderr.write(`${hiveLogLine(line)}\n`);
}

/** `rbee-hive daemon`: the pool manager of one node. */
async function main(): Promise<number | undefined> {
  const command = parseHiveCommandLine(process.argv.slice(2), process.env);
  if (command.kind === "help") {
    process.stdout.write(HIVE_USAGE);
    return 0;
  }
  if (command.kind === "version") {
    process.stdout.write(`rbee-hive ${RBEE_VERSION}\n`);
    return 0;
  }
  const hive = await startHive({
    ...command,
    ...(command.workerBin !== undefined ? { workerBin: resolve(command.workerBin) } : {}),
    home: rbeeHome(process.env),
    env: process.env,
    log,
  });
  process.stdout.write(`rbee-hive listening on ${hive.url}\n`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      hive.log(`${signal} again: killing the workers`);
      hive.kill();
      process.exit(1);
    }
    hive.log(`${signal} received: stopping the workers`);
    hive.close().then(
      () => process.exit(0),
      (error: unknown) => {
        hive.log(`stop failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // A relay or a client failing must never take the workers down with the hive.
  process.on("unhandledRejection", (reason) => hive.log(`unhandled rejection: ${String(reason)}`));
  return undefined;
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    const message = error instanceof RbeeError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`rbee-hive: ${message}\n`);
    process.exit(1);
  },
);
