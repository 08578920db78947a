import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

/** What a closed-loop load run measured. */
export interface LoadResult {
  readonly elapsedMs: number;
  /** Per request, ms from send to the end of the answer. */
  readonly latencies: readonly number[];
  readonly failures: number;
  readonly firstFailure: string | null;
}

/** One request of a load run: its method, path and JSON body. */
export interface LoadRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: unknown;
}

/**
 * Sends `count` requests from `concurrency` lanes, each lane waiting for its answer before sending
 * the next (closed loop), over keep-alive connections. node:http rather than fetch: the client's
 * own cost stays small on a machine it shares with the server.
 */
export async function runLoad(options: {
  readonly baseUrl: string;
  readonly token: string;
  readonly concurrency: number;
  readonly count: number;
  readonly request: (i: number) => LoadRequest;
}): Promise<LoadResult> {
  const url = new URL(options.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let next = 0;

  const send = (spec: LoadRequest): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: spec.method,
          path: spec.path,
          headers: {
            authorization: `Bearer ${options.token}`,
            ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });

  const lane = async (): Promise<void> => {
    while (next < options.count) {
      const spec = options.request(next++);
      const start = performance.now();
      try {
        const answer = await send(spec);
        if (answer.status >= 300) {
          failures += 1;
          firstFailure ??= `HTTP ${answer.status} ${answer.body.slice(0, 200)}`;
        }
      } catch (error) {
        failures += 1;
        firstFailure ??= (error as Error).message;
      }
      latencies.push(performance.now() - start);
    }
  };

  const start = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  const elapsedMs = performance.now() - start;
  agent.destroy();
  return { elapsedMs, latencies, failures, firstFailure };
}
