import type { WorkerExit } from "../../shared/contract/logs.js";

/** How a worker ended, in words: "was killed by SIGKILL while running", "was stopped: a machine holding part of its model went away". */
export function exitText(exit: Pick<WorkerExit, "code" | "signal" | "phase" | "error">): string {
  // The queen ended it itself: its own reason says more than the signal it sent.
  if (exit.error?.code === "SHARD_LOST") return "was stopped: a machine holding part of its model went away";
  if (exit.error) return `was stopped by the queen (${exit.error.code})`;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? "?"}`;
  return `${how} ${exit.phase === "loading" ? "while loading its model" : "while running"}`;
}
