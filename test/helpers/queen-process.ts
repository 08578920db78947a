import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

/** A real `queen-rbee` process (the built dist/bin/queen-rbee.js) with its own RBEE_HOME. */
export interface QueenProcess {
  readonly baseUrl: string;
  readonly token: string;
  /** baseUrl + "/#token=" + token */
  readonly uiUrl: string;
  readonly home: string;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait. */
  kill(): Promise<void>;
}

export interface StartQueenOptions {
  /** Reuse a home (to test restarts); default a fresh temp dir, removed by `stop()`. */
  readonly home?: string;
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
}

const QUEEN_BIN = resolve("dist/bin/queen-rbee.js");

/** Starts `queen-rbee --port 0` and waits for its ready and UI lines (the UI link read from RBEE_HOME/logs/ui-url). */
export async function startQueen(options: StartQueenOptions = {}): Promise<QueenProcess> {
  const ownHome = options.home === undefined;
  const home = options.home ?? mkdtempSync(join(tmpdir(), "rbee-queen-"));
  const child = spawn(process.execPath, [QUEEN_BIN, "--port", "0", ...(options.args ?? [])], {
    // No local node unless a test asks for one (RBEE_LOCAL_NODE=1): most tests count their nodes.
    env: { ...process.env, RBEE_HOME: home, RBEE_TOKEN: "", RBEE_LOCAL_NODE: "0", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ baseUrl: string; uiUrl: string }>((resolveReady, reject) => {
    let baseUrl = "";
    lines.on("line", (line) => {
      output += `${line}\n`;
      const listening = /^queen-rbee listening on (\S+)$/.exec(line);
      if (listening?.[1]) baseUrl = listening[1];
      // Its stdout is a pipe, not a terminal: the link (with the token) is in the file the line names.
      const ui = /^Open the UI with the link in (\S+) /.exec(line);
      if (ui?.[1] && baseUrl) resolveReady({ baseUrl, uiUrl: readFileSync(ui[1], "utf8").trim() });
      if (line.startsWith("Open the UI: ")) {
        child.kill("SIGKILL");
        reject(new Error(`queen-rbee printed its UI link, token included, to a pipe:\n${output}`));
      }
    });
    child.once("exit", (code) => reject(new Error(`queen-rbee exited (${code}) before it was ready:\n${output}`)));
  });
  const token = ready.uiUrl.split("#token=")[1] ?? "";
  const exited = new Promise<number | null>((resolveExit) => {
    if (child.exitCode !== null) resolveExit(child.exitCode);
    else child.once("exit", (code) => resolveExit(code));
  });
  return {
    ...ready,
    token,
    home,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const code = await exited;
      if (ownHome) rmSync(home, { recursive: true, force: true });
      return code;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
