import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type { z } from "zod";
import {
  HeartbeatRequest,
  RegisterWorkerRequest,
  UpdateWorkerRequest,
} from "../../src/shared/contract/index.js";

/** The worker callback routes a receiver answers (docs/api.md). */
export type CallbackKind = "register" | "heartbeat" | "update";

const SCHEMAS: Readonly<Record<CallbackKind, z.ZodType>> = {
  register: RegisterWorkerRequest,
  heartbeat: HeartbeatRequest,
  update: UpdateWorkerRequest,
};

/** One callback as the receiver saw it. */
export type ReceivedCallback = {
  readonly kind: CallbackKind;
  readonly body: unknown;
  /** The Authorization header as sent. */
  readonly authorization: string | undefined;
  /** True when the bearer token was the expected one. */
  readonly authorized: boolean;
  /** The contract's validation error, or undefined when the body is valid. */
  readonly invalid: string | undefined;
  /** The status the receiver answered. */
  readonly status: number;
};

/** A fake queen (or hive relay): records worker callbacks and answers them. */
export type CallbackReceiver = {
  /** Base URL to pass as `--callback-url`. */
  readonly url: string;
  readonly calls: readonly ReceivedCallback[];
  /** Resolves with the first call (past or future) that matches. */
  waitFor(predicate: (call: ReceivedCallback) => boolean, timeoutMs?: number): Promise<ReceivedCallback>;
  /** Answers the next `count` calls of `kind` with `status` instead of the normal answer. */
  failNext(kind: CallbackKind, status: number, count?: number): void;
  close(): Promise<void>;
};

/**
 * Starts a callback receiver on 127.0.0.1 (`port`, default 0: a free one). It checks the bearer `token` (401 otherwise) and
 * validates each body with the contract (400 otherwise), answering 201 to a registration and 200
 * to heartbeats and updates.
 */
export async function startCallbackReceiver(token: string, port = 0): Promise<CallbackReceiver> {
  const calls: ReceivedCallback[] = [];
  const waiters = new Set<() => void>();
  const failures: Array<{ kind: CallbackKind; status: number; left: number }> = [];
  const app = express();
  app.use(express.json({ limit: "1mb" }));
  app.post("/v1/workers/:kind", (req, res) => {
    const kind = req.params.kind as CallbackKind;
    if (!(kind in SCHEMAS)) {
      res.status(404).json({ error: { code: "ROUTE_NOT_FOUND", message: `no ${kind}` } });
      return;
    }
    const authorization = req.get("authorization");
    const authorized = authorization === `Bearer ${token}`;
    const parsed = SCHEMAS[kind].safeParse(req.body);
    const invalid = parsed.success ? undefined : parsed.error.message;
    const failure = failures.find((entry) => entry.kind === kind && entry.left > 0);
    let status = kind === "register" ? 201 : 200;
    if (!authorized) status = 401;
    else if (invalid) status = 400;
    else if (failure) {
      failure.left -= 1;
      status = failure.status;
    }
    calls.push({ kind, body: req.body as unknown, authorization, authorized, invalid, status });
    for (const waiter of [...waiters]) waiter();
    if (status >= 400) res.status(status).json({ error: { code: status === 404 ? "WORKER_NOT_FOUND" : "INVALID_REQUEST", message: `answered ${status}` } });
    else res.status(status).json({ ok: true });
  });

  const server: Server = await new Promise((resolve) => {
    const started = app.listen(port, "127.0.0.1", () => resolve(started));
  });
  const bound = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}`,
    calls,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = calls.find(predicate);
          if (!found) return false;
          waiters.delete(onCall);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const onCall = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(onCall);
          reject(new Error(`no matching callback within ${timeoutMs} ms; got ${JSON.stringify(calls.map((c) => c.kind))}`));
        }, timeoutMs);
        waiters.add(onCall);
        check();
      });
    },
    failNext(kind, status, count = 1) {
      failures.push({ kind, status, left: count });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
