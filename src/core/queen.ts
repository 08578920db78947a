import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import {
  RbeeError,
  type InferenceRequest,
  type SpawnWorkerRequest,
  type StreamEvent,
  type WorkerSpawnedEvent,
  LOCAL_NODE_NAME,
  type AddNodeResponse,
  type Beehive,
  type NewNode,
  type NewSshNode,
  type RegisterWorkerRequest,
  type TestNodeResponse,
  type WorkerExit,
  type WorkerExitReport,
} from "../shared/contract/index.js";
import { CallbackTokens, type CallbackGrant } from "./callback-tokens.js";
import { Fleet } from "./fleet.js";
import type { ProgressSink } from "./fleet/progress-sink.js";
import { InferenceService } from "./inference/inference-service.js";
import { Observability } from "./metrics/observability.js";
import type { RequestOrigin } from "./scheduling/wait-line.js";
import { NodeConnections, type NodeRoute } from "./ssh/node-connections.js";
import { NodeHealthMonitor } from "./monitors/node-health.js";
import { WorkerLivenessMonitor } from "./monitors/worker-liveness.js";
import { queenPaths, type QueenPaths } from "./paths.js";
import { BeehiveRegistry } from "./registry/beehive-registry.js";
import { WorkerExits } from "./registry/worker-exits.js";
import { WorkerRegistry, type RegisterOutcome } from "./registry/worker-registry.js";
import { KnownHosts } from "./ssh/known-hosts.js";
import { probeSsh } from "./ssh/ssh-probe.js";
import type { SshTarget } from "./ssh/ssh-connect.js";
import { loadOrCreateSecretFile } from "../node-common/secrets.js";
import type { CatalogModel } from "../shared/contract/model-catalog.js";
import { loadModelCatalog } from "./models/catalog.js";
import { MemorySecrets, type SecretStore } from "./secrets.js";
import { PlacementSurvey } from "./placement/placement-survey.js";

const DEFAULT_HEARTBEAT_MS = 5_000;
// This file is src/core/queen.ts, or dist/core/queen.js once built: the installation is two up.
const OWN_INSTALL_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEFAULT_HEALTH_INTERVAL_MS = 10_000;

export interface QueenOptions {
  /** RBEE_HOME: where the registry, token and known hosts live. */
  readonly home: string;
  /** An explicit API token (RBEE_TOKEN); default: the token file, created on first start. */
  readonly token?: string | undefined;
  readonly sshTimeoutMs?: number | undefined;
  /** Extra known_hosts files read but never written; default the user's ~/.ssh/known_hosts. */
  readonly userKnownHosts?: readonly string[] | undefined;
  /** ssh-agent socket; default SSH_AUTH_SOCK. */
  readonly sshAgent?: string | undefined;
  /** A better-sqlite3 build for another ABI (Electron's), used when the file exists. */
  readonly sqliteNativeBinding?: string | undefined;
  /** RBEE_HOME on the nodes (RBEE_NODE_HOME); default `~/.rbee`. */
  readonly nodeHome?: string | undefined;
  /** Threads per worker the queen spawns (RBEE_WORKER_THREADS); default the worker's choice. */
  readonly workerThreads?: number | undefined;
  /** The workers' heartbeat interval (RBEE_HEARTBEAT_MS); default 5 s. */
  readonly heartbeatMs?: number | undefined;
  /** How often each node is checked (RBEE_HEALTH_INTERVAL_MS); default 10 s. */
  readonly healthIntervalMs?: number | undefined;
  /** Caps each node-to-node model copy's bandwidth (RBEE_COPY_MAX_BYTES_PER_S); default no cap. */
  readonly copyMaxBytesPerSecond?: number | undefined;
  /** Leave hives and workers running when the queen stops (`--keep-nodes-running`). */
  readonly keepNodesRunning?: boolean | undefined;
  /**
   * Add this computer as the node `local` on the first start with this home (`RBEE_LOCAL_NODE=0` /
   * `--no-local-node` say no); default false here, the programs that host a queen decide.
   */
  readonly addLocalNode?: boolean | undefined;
  /** A JSON file whose models replace the built-in catalog the UI offers (RBEE_MODEL_CATALOG). */
  readonly modelCatalogFile?: string | undefined;
  /** The installation this computer's hive runs from (holds dist/bin/rbee-hive.js); default this one's. */
  readonly installRoot?: string | undefined;
  readonly log?: ((message: string) => void) | undefined;
  /** Where key passphrases are kept; default in memory only (a headless queen). */
  readonly secrets?: SecretStore | undefined;
}

/**
 * A long operation whose events stream to a client (SSE or IPC). Creating one validates its
 * input, so a bad request is refused before any stream starts.
 */
export type StreamOperation = (send: (event: StreamEvent | WorkerSpawnedEvent) => void, signal: AbortSignal) => Promise<void>;

/** The shortest API token a queen accepts (RBEE_TOKEN): shorter ones are guessable. */
export const MIN_API_TOKEN_LENGTH = 32;

/** Who made an API call: the user (queen token) or one spawned worker (its per-spawn token). */
export type Principal = { readonly kind: "user" } | ({ readonly kind: "worker" } & CallbackGrant);

/**
 * The orchestrator core: both registries, the SSH side and the rules that join them. Runs in plain
 * Node: the headless `queen-rbee` and the desktop app's main process host the same object.
 */
export class Queen {
  readonly paths: QueenPaths;
  readonly token: string;
  readonly beehives: BeehiveRegistry;
  readonly workers = new WorkerRegistry();
  /** Workers that died without being stopped, until the user dismisses them. */
  readonly exits = new WorkerExits();
  readonly knownHosts: KnownHosts;
  readonly callbackTokens = new CallbackTokens();
  readonly secrets: SecretStore;
  readonly fleet: Fleet;
  readonly inference: InferenceService;
  /** Metrics, worker stats and live device figures. */
  readonly observability: Observability;
  /** Where a model would run (one node, or split across nodes) and why. */
  readonly placement: PlacementSurvey;
  /** The models the UI offers: the built-in catalog or the override file's. */
  readonly modelCatalog: readonly CatalogModel[];
  private readonly liveness: WorkerLivenessMonitor;
  private readonly health: NodeHealthMonitor;
  private callbackPort = 0;
  /** The installation this queen runs from: this computer's hive runs from it, nodes install from its origin. */
  readonly installRoot: string;

  constructor(private readonly options: QueenOptions) {
    // First: a bad override file stops the start before anything is opened.
    this.modelCatalog = loadModelCatalog(options.modelCatalogFile);
    this.paths = queenPaths(options.home);
    this.installRoot = options.installRoot ?? OWN_INSTALL_ROOT;
    if (options.token !== undefined && options.token.length < MIN_API_TOKEN_LENGTH) {
      throw new RbeeError(
        "INVALID_REQUEST",
        `RBEE_TOKEN must be at least ${MIN_API_TOKEN_LENGTH} characters (it has ${options.token.length}); unset it to use the random token in RBEE_HOME/token`,
      );
    }
    this.token = options.token ?? loadOrCreateSecretFile(this.paths.token);
    this.beehives = new BeehiveRegistry(this.paths.database, options.sqliteNativeBinding);
    this.knownHosts = new KnownHosts(
      this.paths.knownHosts,
      options.userKnownHosts ?? [join(homedir(), ".ssh", "known_hosts")],
    );
    this.secrets = options.secrets ?? new MemorySecrets();
    const connections = new NodeConnections((nodeName) => this.routeOf(this.beehives.require(nodeName)), {
      knownHosts: this.knownHosts,
      timeoutMs: options.sshTimeoutMs,
      agent: options.sshAgent,
      nodeHome: options.nodeHome,
      local: { home: this.paths.home, installPath: this.installRoot },
    });
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.fleet = new Fleet({ beehives: this.beehives, workers: this.workers, callbackTokens: this.callbackTokens }, connections, {
      heartbeatMs,
      workerThreads: options.workerThreads,
      callbackPort: () => this.callbackPort,
      log: options.log ?? (() => {}),
      copy: { maxBytesPerSecond: options.copyMaxBytesPerSecond },
    });
    this.liveness = new WorkerLivenessMonitor(
      () => this.workers.list(),
      (id) => this.workers.silentForMs(id),
      heartbeatMs,
      (id) => void this.fleet.retireWorker(id, "expired", { stopProcess: true }),
    );
    this.health = new NodeHealthMonitor(
      () => this.beehives.list(),
      (node) => this.fleet.checkNode(node),
      options.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS,
    );
    this.placement = new PlacementSurvey({
      nodes: () => this.beehives.list(),
      node: (nodeName) => this.beehives.require(nodeName),
      hive: (node) => this.fleet.hives.ensure(node),
      openHive: (nodeName) => this.fleet.hives.current(nodeName),
      devices: (nodeName) => this.observability.nodeDevices(nodeName),
      figures: () => this.observability.figures,
      inventory: (nodeName) => this.fleet.models.list(nodeName).then((answer) => answer.nodes[0]!),
      holders: (modelRef) => this.fleet.models.holders(modelRef),
      catalog: () => this.modelCatalog,
    });
    this.inference = new InferenceService({
      beehives: this.beehives,
      workers: this.workers,
      fleet: this.fleet,
      usable: (worker) => !this.liveness.isStale(worker.id),
      models: this.fleet.models,
      placement: this.placement,
    });
    // A worker retired for a reason of the queen's (a lost shard): its jobs end with it at once, and
    // the user is told why on its exit card (the process is stopped by the queen, so no hive reports it).
    this.fleet.workerLifecycle.onDidRetire(({ workerId, error }) => {
      if (!error) return;
      this.inference.endJobsOf(workerId, error);
      const worker = this.workers.get(workerId);
      if (!worker) return;
      this.exits.record({
        worker_id: workerId,
        model_ref: worker.model_ref,
        node_name: worker.node_name,
        code: null,
        signal: null,
        exited_unix: Math.floor(Date.now() / 1000),
        phase: worker.state === "loading" ? "loading" : "running",
        last_lines: [],
        error: { code: error.code, message: error.message.slice(0, 2000) },
      });
    });
    this.observability = new Observability({
      beehives: this.beehives,
      workers: this.workers,
      inference: this.inference,
      fleet: this.fleet,
      log: options.log,
    });
  }

  /**
   * Starts the background work: liveness and health monitors, and rediscovery of running workers.
   * On the first start with this home (and when asked to) it adds this computer as the node `local`;
   * once removed, it is not added again.
   */
  start(): void {
    if (this.options.addLocalNode && !this.beehives.setting("local_node_added")) {
      if (!this.beehives.list().some((node) => node.transport === "local" || node.node_name === LOCAL_NODE_NAME)) {
        this.beehives.add({ node_name: LOCAL_NODE_NAME, transport: "local" }, "unknown");
      }
      this.beehives.setSetting("local_node_added");
    }
    this.liveness.start();
    this.health.start();
    // A queen closed while rediscovery still dials a node must not die of it: the failure is logged.
    void this.fleet.rediscover().catch((error: unknown) => {
      this.options.log?.(`rediscovery stopped: ${(error as Error)?.message ?? String(error)}`);
    });
  }

  /** The callback listener's port: the target of every node's callback tunnel (never the API port). */
  setCallbackPort(port: number): void {
    this.callbackPort = port;
  }

  /** Connects to a would-be node and reports its host key, storing nothing ("Test connection"). */
  async testNode(node: NewSshNode): Promise<TestNodeResponse> {
    const probe = await probeSsh(this.targetOf(node), this.sshOptions("accept-once"));
    return { ok: true, host_key_fingerprint: probe.fingerprint, known: probe.known, latency_ms: probe.latencyMs };
  }

  /**
   * Adds a node. With `verify` it first proves SSH works (recording a first-seen host key: the pin
   * every later connection is checked against), then stores the node as `reachable`; without, it
   * stores it as `unknown` and records no key: the first connection the user starts (install,
   * spawn) trusts the host on first use, a background one (health check, rediscovery) refuses it.
   */
  async addNode(node: NewNode, verify: boolean): Promise<AddNodeResponse> {
    this.assertNameFree(node.node_name);
    if (node.transport === "local") return { node: this.addThisComputer(node.node_name), host_key_fingerprint: null };
    if (!verify) return { node: this.beehives.add(node, "unknown"), host_key_fingerprint: null };
    const probe = await probeSsh(this.targetOf(node), {
      ...this.sshOptions("trust"),
      expectedFingerprint: node.expected_host_key_fingerprint,
    });
    const stored = this.beehives.add(node, "reachable", Math.floor(Date.now() / 1000));
    if (node.ssh_key_passphrase) this.secrets.set(node.node_name, node.ssh_key_passphrase);
    return { node: stored, host_key_fingerprint: probe.fingerprint };
  }

  /** Adds this computer as a node: nothing to connect to or install; it is `ready` once its hive runs. */
  private addThisComputer(nodeName: string): Beehive {
    const existing = this.beehives.list().find((node) => node.transport === "local");
    if (existing) throw new RbeeError("NODE_EXISTS", `This computer is already the node "${existing.node_name}"`);
    this.beehives.setSetting("local_node_added");
    return this.beehives.add({ node_name: nodeName, transport: "local" }, "unknown");
  }

  /** Removes a node: stops its workers and its hive (best effort), then forgets it. */
  async removeNode(nodeName: string): Promise<void> {
    const node = this.beehives.require(nodeName);
    await Promise.all(
      this.workers.onNode(nodeName).map((worker) => this.fleet.retireWorker(worker.id, "node-removed", { stopProcess: true })),
    );
    await this.fleet.forgetNode(node);
    this.beehives.remove(nodeName);
    this.secrets.delete(nodeName);
  }

  /** Registers a worker's ready callback on behalf of `principal`. */
  registerWorker(request: RegisterWorkerRequest, principal: Principal): RegisterOutcome {
    this.assertMayRegister(principal, request);
    const nodeName = principal.kind === "worker" ? principal.nodeName : request.node_name;
    return this.fleet.workerLifecycle.admit(request, nodeName);
  }

  /** Installs or updates rbee on a node, streaming progress; checks the node exists first. */
  installOperation(nodeName: string): StreamOperation {
    this.beehives.require(nodeName);
    return async (send) => {
      const progress: ProgressSink = (event) => send({ type: "progress", ...event });
      const { changed } = await this.fleet.install(nodeName, progress);
      progress({ stage: "hive", message: `${nodeName} is ready${changed ? "" : " (nothing changed)"}` });
    };
  }

  /** Spawns a worker, streaming progress and ending with the registered worker. */
  spawnOperation(request: z.output<typeof SpawnWorkerRequest>): StreamOperation {
    this.beehives.require(request.node_name);
    return async (send, signal) => {
      const worker = await this.fleet.spawnWorker(request, (event) => send({ type: "progress", ...event }), signal);
      send({ type: "worker", worker });
    };
  }

  /** Runs a prompt or conversation on the fleet, streaming the API's inference events. */
  inferOperation(request: z.output<typeof InferenceRequest>, origin: RequestOrigin = "interactive"): StreamOperation {
    if (request.node !== undefined) this.beehives.require(request.node);
    return (send, signal) => this.inference.run(request, send, signal, origin);
  }

  /**
   * Rejects a callback token reporting for a worker it does not speak for (FORBIDDEN): a per-spawn
   * token for another worker, a node token for a worker of another node. An unknown worker is left
   * to the registry, whose WORKER_NOT_FOUND tells a hive's relay to register it again.
   */
  assertMayActFor(principal: Principal, workerId: string): void {
    if (principal.kind === "user") return;
    if (principal.workerId !== null) {
      if (principal.workerId !== workerId) throw new RbeeError("FORBIDDEN", `This token may only act for worker "${principal.workerId}"`);
      return;
    }
    const worker = this.workers.get(workerId);
    if (worker && worker.node_name !== principal.nodeName) {
      throw new RbeeError("FORBIDDEN", `The token of node "${principal.nodeName}" may only act for that node's workers`);
    }
  }

  /**
   * Who may register a worker id. The user: any. A per-spawn token: its own worker. A node token
   * (anyone on the node may hold one): only an id already registered on its node for which no
   * per-spawn token is outstanding. So it cannot take over a worker being spawned, nor invent one;
   * an id it does not know makes the queen ask that node's hive (over SSH) which workers it runs.
   */
  private assertMayRegister(principal: Principal, request: RegisterWorkerRequest): void {
    if (principal.kind === "user" || principal.workerId !== null) {
      this.assertMayActFor(principal, request.worker_id);
      return;
    }
    const nodeName = principal.nodeName;
    const id = request.worker_id;
    const refuse = (why: string): RbeeError =>
      new RbeeError("FORBIDDEN", `The token of node "${nodeName}" may not register worker "${id}": ${why}`);
    if (request.node_name !== undefined && request.node_name !== nodeName) throw refuse(`it names node "${request.node_name}"`);
    if (this.callbackTokens.hasWorkerToken(id)) throw refuse("its own per-spawn token speaks for it");
    // Admission refuses a worker this queen stopped, and stops it again.
    if (this.fleet.workerLifecycle.wasStopped(id)) return;
    const known = this.workers.get(id);
    if (known?.node_name === nodeName) return;
    if (!known) this.fleet.adoptWorkers(nodeName);
    throw refuse(known ? "it is not on that node" : "this queen did not assign it to that node (its hive is asked which workers it runs)");
  }

  /**
   * A hive's report that one of its workers died without being stopped: kept for the user (until
   * dismissed) and the worker removed at once, rather than after its missed heartbeats.
   */
  workerExited(report: WorkerExitReport, principal: Principal): WorkerExit {
    this.assertMayActFor(principal, report.worker_id);
    const nodeName = this.workers.get(report.worker_id)?.node_name ?? (principal.kind === "worker" ? principal.nodeName : undefined);
    if (!nodeName) throw new RbeeError("WORKER_NOT_FOUND", `Worker "${report.worker_id}" is not registered: its node is unknown`);
    // The queen's own reason (a lost shard) stays on the card when the process's exit is reported after it.
    const reason = this.exits.list().find((kept) => kept.worker_id === report.worker_id)?.error;
    const exit: WorkerExit = { ...report, node_name: nodeName, ...(reason ? { error: reason } : {}) };
    this.exits.record(exit);
    const how = report.signal ? `was killed by ${report.signal}` : `exited with code ${String(report.code)}`;
    this.options.log?.(`worker ${report.worker_id} on ${nodeName} ${how}`);
    void this.fleet.retireWorker(report.worker_id, "gone", { stopProcess: false, nodeName });
    return exit;
  }

  /** Stops a worker: removes it and its tokens at once, then stops its process on its node (best effort). */
  async stopWorker(workerId: string): Promise<void> {
    this.workers.require(workerId);
    await this.fleet.retireWorker(workerId, "stopped", { stopProcess: true });
  }

  /** Stops the hives this queen owns (unless told to keep them) and closes the registry. */
  async close(): Promise<void> {
    this.liveness.stop();
    this.health.stop();
    this.observability.stop();
    await this.fleet.shutdown(this.options.keepNodesRunning ?? false);
    this.beehives.close();
  }

  /** How a registered node is reached. */
  private routeOf(node: Beehive): NodeRoute {
    return node.transport === "local" ? { transport: "local" } : { transport: "ssh", target: this.targetOf(node) };
  }

  /** How to reach a node: its row, plus its key passphrase from the request or the secret store. */
  private targetOf(node: {
    readonly node_name: string;
    readonly ssh_host: string;
    readonly ssh_port: number;
    readonly ssh_user: string;
    readonly ssh_key_path?: string | null | undefined;
    readonly ssh_key_passphrase?: string | undefined;
  }): SshTarget {
    return { ...sshTarget(node), passphrase: node.ssh_key_passphrase ?? this.secrets.get(node.node_name) };
  }

  private assertNameFree(nodeName: string): void {
    if (this.beehives.get(nodeName)) {
      throw new RbeeError("NODE_EXISTS", `A node named "${nodeName}" already exists`);
    }
  }

  private sshOptions(unknownHost: "trust" | "accept-once") {
    return {
      knownHosts: this.knownHosts,
      unknownHost,
      timeoutMs: this.options.sshTimeoutMs,
      agent: this.options.sshAgent,
    };
  }
}

/** The SSH target of a node row or request. */
export function sshTarget(node: {
  readonly ssh_host: string;
  readonly ssh_port: number;
  readonly ssh_user: string;
  readonly ssh_key_path?: string | null | undefined;
}): SshTarget {
  return { host: node.ssh_host, port: node.ssh_port, user: node.ssh_user, keyPath: node.ssh_key_path };
}
