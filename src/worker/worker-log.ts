/** One line of diagnostics on stderr; stdout carries only the "listening on" line. */
export type WorkerLog = (message: string) => void;

/** A log that prefixes each line with the program name and worker id. */
export function createWorkerLog(workerId: string, write: (line: string) => void = (line) => process.stderr.write(line)): WorkerLog {
  return (message) => write(`llm-worker-rbee[${workerId}]: ${message}\n`);
}
