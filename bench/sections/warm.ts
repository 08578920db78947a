import { settleIdle, warmUp } from "../lib/fleet.js";
import { ProbeRefused, probeStarted } from "../lib/raw-probe.js";
import { openTunnel } from "../lib/ssh-tunnel.js";
import type { BenchContext } from "../lib/context.js";
import { figure, type SectionResult } from "../lib/report.js";
import { summarize } from "../lib/stats.js";
import { rbeeEvents, timedPost } from "../lib/timed-stream.js";

const TITLE = "2. Warm request overhead";
const WARM_UP_PAIRS = 3;

interface Timing {
  readonly started: number;
  readonly firstToken: number;
}

/** Request sent → `started` and → first token, through the queen vs directly at the same idle worker. */
export async function runWarm(ctx: BenchContext): Promise<SectionResult> {
  const fleet = ctx.fleet;
  if (!fleet) return { id: "warm", title: TITLE, status: "skipped", reason: ctx.fleetError ?? "no fleet", seconds: 0, figures: [], notes: [] };
  await warmUp(fleet);
  const worker = await fleet.directWorker();
  const body = { prompt: "hello", max_tokens: 1, seed: 3 };

  const measure = async (url: string, token: string, payload: unknown, what: string): Promise<Timing> => {
    await settleIdle(fleet);
    const events = rbeeEvents(await timedPost(url, token, payload));
    const started = events.find((e) => e.type === "started")?.t;
    const firstToken = events.find((e) => e.type === "token")?.t;
    if (started === undefined || firstToken === undefined) throw new Error(`${what}: no started/token event: ${JSON.stringify(events.at(-1)?.event)}`);
    return { started, firstToken };
  };
  const tunnelUrl = await fleet.tunnelToWorker();
  if (!tunnelUrl) throw new Error("found no SSH local forward to the worker in the queen process");
  const workerPort = Number(new URL(worker.url).port);
  const sshTarget = { host: fleet.sshd.host, port: fleet.sshd.port, user: fleet.sshd.user, keyPath: fleet.sshd.keyPath };
  const plainTunnel = await openTunnel(sshTarget, workerPort, { noDelay: false });
  const fastTunnel = await openTunnel(sshTarget, workerPort, { noDelay: true });
  const direct = () => measure(`${worker.url}/v1/inference`, worker.token, body, "direct");
  const tunnel = () => measure(`${tunnelUrl}/v1/inference`, worker.token, body, "tunnel");
  // A worker may still be finishing the previous probe's job (the probe hangs up at `started`):
  // then it refuses with 503, and the probe waits for it to be idle again and retries.
  const probe = async (url: string): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      await settleIdle(fleet);
      try {
        return await probeStarted(url, worker.token);
      } catch (error) {
        if (!(error instanceof ProbeRefused) || attempt >= 5) throw error;
      }
    }
  };
  const queen = () => measure(`${fleet.queen.baseUrl}/v1/inference`, fleet.queen.token, { model: fleet.modelRef, node: "bench", ...body }, "queen");

  const pairs: { direct: Timing; queen: Timing; tunnel: Timing }[] = [];
  const probes = { direct: [] as number[], queenTunnel: [] as number[], plain: [] as number[], fast: [] as number[] };
  try {
    for (let i = 0; i < ctx.settings.warmPairs + WARM_UP_PAIRS; i++) {
      // Rotate the order, so that none always runs right after the same neighbour.
      const calls = [direct, queen, tunnel];
      const results: Timing[] = [];
      for (let j = 0; j < calls.length; j++) results[(i + j) % 3] = await calls[(i + j) % 3]!();
      if (i >= WARM_UP_PAIRS) pairs.push({ direct: results[0]!, queen: results[1]!, tunnel: results[2]! });
    }
    // The transport alone: one raw request per path and round, far fewer rounds.
    for (let i = 0; i < Math.max(5, Math.round(ctx.settings.warmPairs / 5)); i++) {
      probes.direct.push(await probe(worker.url));
      probes.queenTunnel.push(await probe(tunnelUrl));
      probes.plain.push(await probe(plainTunnel.url));
      probes.fast.push(await probe(fastTunnel.url));
    }
  } finally {
    plainTunnel.close();
    fastTunnel.close();
  }

  const directStarted = summarize(pairs.map((p) => p.direct.started));
  const directFirst = summarize(pairs.map((p) => p.direct.firstToken));
  const overheadTarget = { target: "p50 < 1 ms", check: ({ median }: { median: number }) => median < 1 };
  return {
    id: "warm",
    title: TITLE,
    status: "ok",
    seconds: 0,
    figures: [
      figure({ id: "warm.direct.started_ms", label: "request → started, directly at the worker", unit: "ms", summary: directStarted }),
      figure({
        id: "warm.queen.started_ms",
        label: "request → started, through the queen",
        unit: "ms",
        summary: summarize(pairs.map((p) => p.queen.started)),
        baseline: { label: "direct", summary: directStarted },
      }),
      figure({
        id: "warm.overhead.started_ms",
        label: "overhead → started (queen − direct, paired)",
        unit: "ms",
        summary: summarize(pairs.map((p) => p.queen.started - p.direct.started)),
        ...overheadTarget,
      }),
      figure({
        id: "warm.queen_handling.started_ms",
        label: "the queen's own handling → started (queen − its tunnel only, paired)",
        unit: "ms",
        summary: summarize(pairs.map((p) => p.queen.started - p.tunnel.started)),
        note: "the overhead without the SSH tunnel's share: request handling, placement and the relay",
      }),
      figure({
        id: "warm.tunnel.started_ms",
        label: "request → started, through the queen's own SSH tunnel only",
        unit: "ms",
        summary: summarize(pairs.map((p) => p.tunnel.started)),
        baseline: { label: "direct", summary: directStarted },
        note: "the queen's local forward port, called directly: ssh2 + sshd, no queen request handling",
      }),
      figure({
        id: "warm.probe.direct_ms",
        label: "transport probe (raw POST → started, kept-alive connection): direct",
        unit: "ms",
        summary: summarize(probes.direct),
      }),
      figure({
        id: "warm.probe.queen_tunnel_ms",
        label: "transport probe: the queen's own SSH tunnel",
        unit: "ms",
        summary: summarize(probes.queenTunnel),
        baseline: { label: "direct", summary: summarize(probes.direct) },
      }),
      figure({
        id: "warm.probe.default_tunnel_ms",
        label: "transport probe: a tunnel with ssh2 and sshd defaults (no TCP_NODELAY)",
        unit: "ms",
        summary: summarize(probes.plain),
        baseline: { label: "direct", summary: summarize(probes.direct) },
      }),
      figure({
        id: "warm.probe.nodelay_tunnel_ms",
        label: "transport probe: the same with TCP_NODELAY on both ends",
        unit: "ms",
        summary: summarize(probes.fast),
        baseline: { label: "direct", summary: summarize(probes.direct) },
      }),
      figure({ id: "warm.direct.first_token_ms", label: "request → first token, directly", unit: "ms", summary: directFirst }),
      figure({
        id: "warm.queen.first_token_ms",
        label: "request → first token, through the queen",
        unit: "ms",
        summary: summarize(pairs.map((p) => p.queen.firstToken)),
        baseline: { label: "direct", summary: directFirst },
      }),
      figure({
        id: "warm.overhead.first_token_ms",
        label: "overhead → first token (queen − direct, paired)",
        unit: "ms",
        summary: summarize(pairs.map((p) => p.queen.firstToken - p.direct.firstToken)),
        ...overheadTarget,
      }),
    ],
    notes: [
      `${pairs.length} rounds (order rotated) after ${WARM_UP_PAIRS} warm-up rounds, max_tokens 1, every slot of the worker free in the queen's registry before each request; "direct" is the same worker on its node-loopback port with its own token.`,
      "Transport probe: on a connection that has just answered GET /health, one POST /v1/inference written as a single segment, timed to `started` (bench/lib/raw-probe.ts). The two extra tunnels are the benchmark's own ssh2 connections to the same sshd, forwarding like src/core/ssh/node-connection.ts; \"TCP_NODELAY on both ends\" adds `client.setNoDelay(true)` and one pty session, for which OpenSSH's sshd marks the connection interactive and sets TCP_NODELAY on its side (the queen's own connections do both). The gap between the two is what Nagle's algorithm and delayed ACKs cost on the SSH connection.",
    ],
  };
}
