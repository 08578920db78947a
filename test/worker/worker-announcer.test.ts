import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RbeeError } from "../../src/shared/contract/index.js";
import { WorkerAnnouncer, type WorkerStatus } from "../../src/worker/worker-announcer.js";
import { startCallbackReceiver, type CallbackReceiver } from "../helpers/callback-receiver.js";

const TOKEN = "announcer-test-token-0123";
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port that was free a moment ago, with nothing listening on it now. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function announcer(baseUrl: string, status: () => WorkerStatus, token = TOKEN): { announcer: WorkerAnnouncer; fatal: Promise<RbeeError> } {
  let onFatal: (error: RbeeError) => void = () => undefined;
  const fatal = new Promise<RbeeError>((resolve) => {
    onFatal = resolve;
  });
  const created = new WorkerAnnouncer({
    baseUrl,
    token,
    workerId: "w-announce",
    heartbeatMs: 60_000,
    log: () => undefined,
    registration: () => ({
      worker_id: "w-announce",
      url: "http://127.0.0.1:9",
      model_ref: "tiny",
      backend: "cpu",
      device: 0,
      slots_total: 4,
      slots_available: status().slots_available,
      state: status().state,
    }),
    status,
    onFatal,
  });
  cleanups.push(() => created.stop());
  return { announcer: created, fatal };
}

async function receiverOn(port = 0): Promise<CallbackReceiver> {
  const receiver = await startCallbackReceiver(TOKEN, port);
  cleanups.push(() => receiver.close());
  return receiver;
}

describe("WorkerAnnouncer", () => {
  it("keeps trying to register until the callback answers", async () => {
    const port = await unusedPort();
    const { announcer: worker } = announcer(`http://127.0.0.1:${port}`, () => ({ state: "idle", slots_available: 4 }));
    const started = worker.start();
    const receiver = await receiverOn(port);
    await started;
    const register = await receiver.waitFor((c) => c.kind === "register");
    expect(register).toMatchObject({ authorized: true, invalid: undefined, status: 201 });
  });

  it("gives up with WORKER_FAILED when the callback refuses the registration", async () => {
    const receiver = await receiverOn();
    const { announcer: worker, fatal } = announcer(receiver.url, () => ({ state: "idle", slots_available: 4 }), "not-the-right-token-000");
    const started = worker.start();
    const error = await fatal;
    expect(error.code).toBe("WORKER_FAILED");
    expect(error.message).toMatch(/401/);
    // Given up means the registration loop has ended (start resolves), not merely "no retry yet":
    // a loop that went on would post again after its first backoff.
    const outcome = await Promise.race([
      started.then(() => "stopped trying"),
      receiver.waitFor(() => receiver.calls.length > 1).then(
        () => "registered again",
        () => "no second call in 15 s",
      ),
    ]);
    expect(outcome).toBe("stopped trying");
    expect(receiver.calls).toHaveLength(1);
  });

  it("sends at most one update at a time, and the latest state last", async () => {
    const receiver = await receiverOn();
    let status: WorkerStatus = { state: "idle", slots_available: 4 };
    const { announcer: worker } = announcer(receiver.url, () => status);
    await worker.start();
    for (let free = 3; free >= 0; free--) {
      status = { state: "busy", slots_available: free };
      worker.reportState();
    }
    status = { state: "idle", slots_available: 4 };
    worker.reportState();
    const last = await receiver.waitFor(
      (c) => c.kind === "update" && (c.body as WorkerStatus).state === "idle" && (c.body as WorkerStatus).slots_available === 4,
    );
    expect(last.authorized).toBe(true);
    const updates = receiver.calls.filter((c) => c.kind === "update");
    // The first change goes out at once; everything after it is coalesced into the latest state.
    expect(updates.length).toBeLessThanOrEqual(2);
    expect(updates.at(-1)).toBe(last);
  });
});
