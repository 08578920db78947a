// `npm run bench [-- --smoke] [-- --only relay,warm] [-- --no-build]`: measures what rbee adds on
// top of the engine, each figure against a baseline measured in the same run, on a loopback sshd
// with a generated model. Prints Markdown tables and writes bench/results/latest.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Browser } from "@playwright/test";
import { pidsMatching } from "../test/helpers/listening-sockets.js";
import { prepareApp, type AppSnapshot } from "./lib/app-snapshot.js";
import { launchChromium, pageBundle } from "./lib/browser.js";
import { FULL, SMOKE, type BenchContext } from "./lib/context.js";
import { startFleet, type BenchFleet } from "./lib/fleet.js";
import { machineInfo } from "./lib/machine.js";
import { markdownTables, SECTION_IDS, type BenchReport, type SectionId, type SectionResult } from "./lib/report.js";
import { runChat } from "./sections/chat.js";
import { runClients } from "./sections/clients.js";
import { runMetrics } from "./sections/metrics.js";
import { runCold } from "./sections/cold.js";
import { runCopy } from "./sections/copy.js";
import { runRegistry } from "./sections/registry.js";
import { runRelay } from "./sections/relay.js";
import { runSplit } from "./sections/split.js";
import { runUi } from "./sections/ui.js";
import { runWarm } from "./sections/warm.js";

const TITLES: Record<SectionId, string> = {
  relay: "1. Token relay",
  warm: "2. Warm request overhead",
  cold: "3. Cold path",
  registry: "4. Registry",
  ui: "5. UI",
  chat: "6. Chat",
  clients: "7. Client APIs",
  copy: "8. Model copy",
  metrics: "9. Metrics collection",
  split: "10. Split model",
};
const RUNNERS: Record<SectionId, (ctx: BenchContext) => Promise<SectionResult>> = {
  relay: runRelay,
  warm: runWarm,
  cold: runCold,
  registry: runRegistry,
  ui: runUi,
  chat: runChat,
  clients: runClients,
  copy: runCopy,
  metrics: runMetrics,
  split: runSplit,
};
const NEEDS_FLEET: readonly SectionId[] = ["relay", "warm", "cold", "chat", "clients", "metrics"];
const NEEDS_BROWSER: readonly SectionId[] = ["relay", "ui"];

const { values: flags } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    "no-build": { type: "boolean", default: false },
    out: { type: "string", default: "bench/results/latest.json" },
  },
});
const mode = flags.smoke ? "smoke" : "full";
const selected: SectionId[] = flags.only
  ? flags.only.split(",").map((name) => {
      const id = name.trim() as SectionId;
      if (!SECTION_IDS.includes(id)) throw new Error(`--only: unknown section "${name}" (sections: ${SECTION_IDS.join(", ")})`);
      return id;
    })
  : [...SECTION_IDS];

const log = (message: string): void => {
  process.stderr.write(`[bench ${(performance.now() / 1000).toFixed(1)}s] ${message}\n`);
};

const startedAt = new Date();
const machine = machineInfo();
const dir = mkdtempSync(join(tmpdir(), "rbee-bench-"));
let app: AppSnapshot | undefined;
let fleet: BenchFleet | null = null;
let browser: Browser | null = null;
let cleaning: Promise<void> | undefined;

/** Stops everything this run started, by pid or handle; never anything else. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await browser?.close().catch(() => undefined);
    await fleet?.dispose().catch(() => undefined);
    if (app) {
      // A hive or worker left behind by a failed section (the queen normally stops them).
      for (const bin of ["rbee-hive.js", "llm-worker-rbee.js"]) {
        for (const pid of pidsMatching(join(app.root, "dist", "bin", bin))) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // Already gone.
          }
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  log(`mode ${mode}; sections ${selected.join(", ")}; scratch ${dir}`);
  log(flags["no-build"] ? "copying the last builds" : "building the working tree (tsc, electron-vite) into the scratch directory");
  app = prepareApp(dir, { build: !flags["no-build"] });
  for (const note of app.notes) log(note);
  log(`benchmarking ${app.root}`);
  let fleetError: string | null = null;
  if (selected.some((id) => NEEDS_FLEET.includes(id))) {
    try {
      fleet = await startFleet(app, dir);
      log("loopback sshd, queen and node ready");
    } catch (error) {
      fleetError = `the loopback install could not start: ${(error as Error).message.split("\n")[0]}`;
      log(fleetError);
    }
  }
  let browserReason: string | null = null;
  let pageScript: string | null = null;
  if (selected.some((id) => NEEDS_BROWSER.includes(id))) {
    const launched = await launchChromium();
    if ("browser" in launched) browser = launched.browser;
    else browserReason = launched.reason;
    if (!app.rendererBuilt) browserReason = "the renderer is not built (out/renderer): run `npm run build`";
    if (browser && !browserReason) pageScript = await pageBundle();
  }
  const settings = mode === "smoke" ? SMOKE : FULL;
  const ctx: BenchContext = {
    mode,
    settings,
    app,
    dir,
    fleet,
    fleetError,
    browser: browserReason ? null : browser,
    browserReason,
    pageScript,
    log,
  };

  const sections = {} as Record<SectionId, SectionResult>;
  for (const id of SECTION_IDS) {
    if (!selected.includes(id)) {
      sections[id] = { id, title: TITLES[id], status: "skipped", reason: "not selected (--only)", seconds: 0, figures: [], notes: [] };
      continue;
    }
    log(`section ${TITLES[id]}`);
    const start = performance.now();
    let result: SectionResult;
    try {
      result = await RUNNERS[id](ctx);
    } catch (error) {
      const message = (error as Error).stack ?? String(error);
      log(`section ${id} failed: ${message}`);
      result = { id, title: TITLES[id], status: "failed", reason: (error as Error).message.split("\n")[0] ?? "", seconds: 0, figures: [], notes: [] };
    }
    sections[id] = { ...result, seconds: Math.round((performance.now() - start) / 100) / 10 };
    log(`section ${id}: ${sections[id].status} in ${sections[id].seconds} s`);
  }

  const report: BenchReport = {
    mode,
    started_at: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    machine,
    settings: { ...settings },
    build: app.notes,
    sections,
  };
  const out = resolve(flags.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `\nrbee benchmark (${mode}), ${startedAt.toISOString()}: ${machine.nproc} × ${machine.cpu}, Node ${machine.node}, load average at start ${machine.load_average_at_start}\n\n`,
  );
  process.stdout.write(`${markdownTables(report)}\n`);
  process.stdout.write(`Wrote ${out} (${report.seconds} s)\n`);
  process.exitCode = Object.values(sections).some((section) => section.status === "failed") ? 1 : 0;
} finally {
  await cleanUp();
}
