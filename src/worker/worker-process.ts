import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RbeeError } from "../shared/contract/index.js";
import { urlHost } from "../shared/net.js";
import { createWorkerApp } from "./worker-app.js";
import { WorkerAnnouncer } from "./worker-announcer.js";
import { assertModelReadable, loadWorkerEngine, type WorkerEngine } from "./worker-engine.js";
import type { WorkerLog } from "./worker-log.js";
import type { WorkerOptions } from "./worker-options.js";
import { WorkerRuntime } from "./worker-runtime.js";

/** A started worker: where it listens, how to stop it, and the exit code it ends with. */
export type WorkerHandle = {
  readonly url: string;
  /** Resolves with the process exit code once the worker has fully stopped. */
  readonly exited: Promise<number>;
  /** Stops accepting, cancels running jobs, disposes the model; resolves when done. */
  shutdown(code?: number): Promise<number>;
};

/** How long a graceful stop may take before the worker gives up on it. */
const SHUTDOWN_GRACE_MS = 10_000;

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const what = error.code === "EADDRINUSE" ? `port ${port} is already in use` : error.message;
      reject(new RbeeError("WORKER_FAILED", `Cannot listen on ${host}:${port}: ${what}`));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Runs a worker: checks that the model file is there, listens (printing the "listening on" line
 * through `announce`), then loads the model, then registers with the callback, if any. A load
 * failure or a refused registration ends the worker with exit code 1; `shutdown` ends it with 0.
 */
export async function startWorker(options: WorkerOptions, log: WorkerLog, announce: (line: string) => void): Promise<WorkerHandle> {
  await assertModelReadable(options.modelPath);
  const runtime = new WorkerRuntime(options);
  let announcer: WorkerAnnouncer | undefined;
  let stopping: Promise<number> | undefined;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });

  const shutdown = (code = 0): Promise<number> => {
    stopping ??= (async () => {
      const grace = setTimeout(() => {
        log("stopping took too long; exiting anyway");
        resolveExit(code);
      }, SHUTDOWN_GRACE_MS);
      grace.unref();
      announcer?.stop();
      server.close();
      server.closeIdleConnections();
      await runtime.stop();
      server.closeAllConnections();
      const engine: WorkerEngine | undefined = runtime.loadedEngine;
      if (engine) await engine.dispose().catch((error: unknown) => log(`disposing the model failed: ${String(error)}`));
      clearTimeout(grace);
      resolveExit(code);
      return code;
    })();
    return stopping;
  };

  const app = createWorkerApp({
    runtime,
    token: options.token,
    log,
    onShutdownRequested: () => {
      log("shutdown requested over HTTP");
      void shutdown(0);
    },
  });
  const server: Server = createServer(app);
  server.keepAliveTimeout = 5000;
  const port = await listen(server, options.host, options.port);
  const url = `http://${urlHost(options.host)}:${port}`;
  announce(`llm-worker-rbee listening on ${url}`);

  const fail = (error: unknown): void => {
    log(error instanceof Error ? error.message : String(error));
    void shutdown(1);
  };

  void loadWorkerEngine(options.engine, {
    modelPath: options.modelPath,
    backend: options.backend,
    device: options.device,
    slots: options.slots,
    ctx: options.ctx,
    threads: options.threads,
    log,
    rpc: options.rpc,
    tensorSplit: options.tensorSplit,
    gpuLayers: options.gpuLayers,
    onFatal: fail,
  }).then(
    async (engine) => {
      if (stopping) {
        await engine.dispose().catch(() => undefined);
        return;
      }
      runtime.attach(engine);
      log(`loaded ${options.modelRef} on ${options.backend} with ${engine.name}: ${options.slots} slot(s) of ${engine.contextSize} tokens`);
      if (options.callbackUrl === undefined) return;
      const callback = new WorkerAnnouncer({
        baseUrl: options.callbackUrl,
        token: options.callbackToken,
        workerId: options.workerId,
        heartbeatMs: options.heartbeatMs,
        log,
        registration: () => runtime.registration(url),
        status: () => runtime.status(),
        onFatal: fail,
      });
      announcer = callback;
      runtime.onChange(() => callback.reportState());
      await callback.start();
    },
    fail,
  ).catch(fail);

  return { url, exited, shutdown };
}
