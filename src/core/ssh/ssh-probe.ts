import { RbeeError } from "../../shared/contract/index.js";
import { connectSsh, execCollect, type SshConnectOptions, type SshTarget } from "./ssh-connect.js";

/** What a successful probe learnt. */
export interface ProbeResult {
  readonly fingerprint: string;
  readonly known: boolean;
  readonly latencyMs: number;
}

const PROBE_MARKER = "rbee-probe-ok";

/** Connects, runs a harmless command, and disconnects: proves the node is reachable with these credentials. */
export async function probeSsh(target: SshTarget, options: SshConnectOptions): Promise<ProbeResult> {
  const started = performance.now();
  const session = await connectSsh(target, options);
  try {
    const result = await execCollect(session.client, `echo ${PROBE_MARKER}`);
    if (result.code !== 0 || !result.stdout.includes(PROBE_MARKER)) {
      throw new RbeeError(
        "SSH_FAILED",
        `SSH to ${target.user}@${target.host}:${target.port} connected but a test command failed (exit ${result.code}): ${result.stderr.trim().slice(0, 200)}`,
      );
    }
    return { fingerprint: session.fingerprint, known: session.known, latencyMs: Math.round(performance.now() - started) };
  } finally {
    session.client.end();
  }
}
