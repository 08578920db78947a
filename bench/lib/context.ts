import type { Browser } from "@playwright/test";
import type { AppSnapshot } from "./app-snapshot.js";
import type { BenchFleet } from "./fleet.js";

/** How many repetitions each section makes. */
export interface BenchSettings {
  /** Tokens per relay run, and runs per path. */
  readonly relayTokens: number;
  readonly relayRuns: number;
  /** Request pairs (queen, direct) for the warm overhead; the first few are warm-up. */
  readonly warmPairs: number;
  readonly coldRuns: number;
  /** Rounds of registrations/heartbeats per concurrency, and requests per round. */
  readonly registryRounds: number;
  readonly registryPerRound: number;
  /** Workers registered for the list and memory figures (10,000 in the full run). */
  readonly registryFleet: number;
  readonly listRuns: number;
  /** Page loads per view and fleet size, after one unmeasured load each when `uiWarmUp`. */
  readonly uiLoads: number;
  readonly uiWarmUp: boolean;
  /** Isolated snapshot updates, then seconds of 100 updates/s. */
  readonly uiIsolatedUpdates: number;
  readonly uiUpdateSeconds: number;
  /** Follow-up rounds per history length; generations per thread count and their length; turns per conversation. */
  readonly chatRuns: number;
  readonly chatThreadRuns: number;
  readonly chatThreadTokens: number;
  readonly chatAffinityTurns: number;
  /** Per client API: tokens per answer and pairs (API, /v1/inference) for tokens/s; short pairs for the first token. */
  readonly clientTokens: number;
  readonly clientRuns: number;
  readonly clientTtftPairs: number;
  /** Pairs of phases (not scraped, then scraped every second) and each phase's length. */
  readonly metricsPhasePairs: number;
  readonly metricsPhaseSeconds: number;
  /** Tokens per answer and answers per worker (split, one node) and per llama-server (tunnel, loopback); rounds of that pair. */
  readonly splitTokens: number;
  readonly splitRuns: number;
  readonly splitTunnelRounds: number;
}

/** A few iterations of everything: for CI, well under two minutes. */
export const SMOKE: BenchSettings = {
  relayTokens: 200,
  relayRuns: 2,
  warmPairs: 12,
  coldRuns: 1,
  registryRounds: 2,
  registryPerRound: 300,
  registryFleet: 2_000,
  listRuns: 5,
  uiLoads: 1,
  uiWarmUp: false,
  uiIsolatedUpdates: 4,
  uiUpdateSeconds: 1,
  chatRuns: 1,
  chatThreadRuns: 1,
  chatThreadTokens: 64,
  chatAffinityTurns: 2,
  clientTokens: 100,
  clientRuns: 2,
  clientTtftPairs: 4,
  metricsPhasePairs: 1,
  metricsPhaseSeconds: 2,
  splitTokens: 32,
  splitRuns: 1,
  splitTunnelRounds: 1,
};

/** The full run: a few minutes on two cores. */
export const FULL: BenchSettings = {
  relayTokens: 1500,
  relayRuns: 10,
  warmPairs: 200,
  coldRuns: 6,
  registryRounds: 5,
  registryPerRound: 2000,
  registryFleet: 10_000,
  listRuns: 30,
  uiLoads: 5,
  uiWarmUp: true,
  uiIsolatedUpdates: 30,
  uiUpdateSeconds: 5,
  chatRuns: 10,
  chatThreadRuns: 5,
  chatThreadTokens: 400,
  chatAffinityTurns: 5,
  clientTokens: 500,
  clientRuns: 10,
  clientTtftPairs: 40,
  metricsPhasePairs: 8,
  metricsPhaseSeconds: 6,
  splitTokens: 256,
  splitRuns: 5,
  splitTunnelRounds: 3,
};

/** What every section gets. */
export interface BenchContext {
  readonly mode: "smoke" | "full";
  readonly settings: BenchSettings;
  readonly app: AppSnapshot;
  /** A scratch directory removed at the end. */
  readonly dir: string;
  /** The loopback install with a loaded worker, or why there is none. */
  readonly fleet: BenchFleet | null;
  readonly fleetError: string | null;
  readonly browser: Browser | null;
  readonly browserReason: string | null;
  /** The page probes' script (bench/page/probes.ts, bundled). */
  readonly pageScript: string | null;
  log(message: string): void;
}
