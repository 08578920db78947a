import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

/** How a child process ended. */
export type ProcessExit = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

/** A spawned program whose output lines can be awaited. */
export type RunningProcess = {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout (or stderr) line matching `pattern`, including lines already seen. */
  waitForLine(pattern: RegExp, options?: { stream?: "stdout" | "stderr"; timeoutMs?: number }): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  waitForExit(timeoutMs?: number): Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL when it has not exited after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<ProcessExit>;
};

/** Options of `spawnProcess`. */
export type SpawnOptions = { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string };

const DEFAULT_TIMEOUT_MS = 20_000;

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Spawns `command args` with piped output; never inherits the test's stdio. */
export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): RunningProcess {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  const output = { stdout: "", stderr: "" };
  const lineListeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stdout += chunk;
    for (const listener of [...lineListeners]) listener();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stderr += chunk;
    for (const listener of [...lineListeners]) listener();
  });
  let exit: ProcessExit | undefined;
  const exited: Promise<ProcessExit> = once(child, "exit").then(([code, signal]) => {
    exit = { code: code as number | null, signal: signal as NodeJS.Signals | null };
    for (const listener of [...lineListeners]) listener();
    return exit;
  });

  const describe = (): string =>
    `${command} ${args.join(" ")}\n--- stdout ---\n${tail(output.stdout)}\n--- stderr ---\n${tail(output.stderr)}`;

  const withTimeout = <T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  const waitForLine: RunningProcess["waitForLine"] = (pattern, lineOptions = {}) => {
    const stream = lineOptions.stream ?? "stdout";
    const found = new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = (): void => {
        const complete = output[stream].split("\n").slice(0, -1);
        for (const line of complete) {
          const match = line.match(pattern);
          if (match) {
            lineListeners.delete(check);
            resolve(match);
            return;
          }
        }
        if (exit) {
          lineListeners.delete(check);
          reject(new Error(`process exited (${exit.code ?? exit.signal}) before printing ${pattern}\n${describe()}`));
        }
      };
      lineListeners.add(check);
      check();
    });
    return withTimeout(found, lineOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS, `${pattern} on ${stream}`);
  };

  const waitForExit = (timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ProcessExit> => withTimeout(exited, timeoutMs, "exit");

  const stop = async (graceMs = 5000): Promise<ProcessExit> => {
    if (exit) return exit;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    child,
    pid: child.pid,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    waitForLine,
    waitForExit,
    stop,
  };
}

/** Runs a Node.js script (e.g. a built `dist/bin/*.js`) with the test's own Node binary. */
export function spawnNodeScript(script: string, args: readonly string[], options: SpawnOptions = {}): RunningProcess {
  return spawnProcess(process.execPath, [script, ...args], options);
}
