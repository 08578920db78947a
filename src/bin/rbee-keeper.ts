#!/usr/bin/env node
import { runKeeper } from "../keeper/cli.js";

const interrupted = new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
});
process.exitCode = await runKeeper(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interrupted,
});
// Pending sockets (an aborted stream) must not hold the exit.
process.exit();
