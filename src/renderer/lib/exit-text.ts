import type { WorkerExit } from "../../shared/contract/logs.js";

/** How a worker ended, in words: "was killed by SIGKILL while running". */
export function exitText(exit: Pick<WorkerExit, "code" | "signal" | "phase">): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? "?"}`;
  return `${how} ${exit.phase === "loading" ? "while loading its model" : "while running"}`;
}
