import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the server answered. */
export interface FileRequest {
  readonly path: string;
  readonly range: string | undefined;
}

/** How the server sends a body: in steps, like a slow link, optionally stopping at a point until released. */
export interface FileServerPace {
  /** Bytes per step. */
  readonly stepBytes: number;
  /** Pause between steps: longer than the hive's 200 ms between progress reports, so that each step shows. */
  readonly stepMs: number;
  /** Stops sending at this offset of the file until `release()`. */
  readonly holdAt?: number;
}

/** A loopback HTTP server of model files, with `Range`, for downloads by URL (`http://127.0.0.1:PORT/x.gguf`). */
export interface ModelFileServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: readonly FileRequest[];
  /** Resolves once a body answer has reached the hold point (and waits there). */
  readonly held: Promise<void>;
  /** Lets held answers go on to the end. */
  release(): void;
  stop(): Promise<void>;
}

/** Starts the server on a free loopback port, serving `files` by name at the root. */
export async function startModelFileServer(files: Readonly<Record<string, Buffer>>, pace?: FileServerPace): Promise<ModelFileServer> {
  const requests: FileRequest[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reachedHold!: () => void;
  const held = new Promise<void>((resolve) => {
    reachedHold = resolve;
  });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const send = async (res: ServerResponse, body: Buffer, start: number): Promise<void> => {
    if (!pace) return void res.end(body.subarray(start));
    for (let offset = start; offset < body.length && !res.destroyed; ) {
      if (offset === pace.holdAt) {
        reachedHold();
        await released;
      }
      const limit = pace.holdAt !== undefined && offset < pace.holdAt ? pace.holdAt : body.length;
      const end = Math.min(limit, offset + pace.stepBytes);
      res.write(body.subarray(offset, end));
      offset = end;
      if (offset < body.length) await pause(pace.stepMs);
    }
    res.end();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push({ path, range: req.headers.range });
    const body = files[path.slice(1)];
    if (!body || (req.method !== "GET" && req.method !== "HEAD")) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length && range) {
      return void res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
    }
    const headers = { "content-type": "application/octet-stream", "content-length": String(body.length - start), "accept-ranges": "bytes" };
    if (range) res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${body.length - 1}/${body.length}` });
    else res.writeHead(200, headers);
    if (req.method === "HEAD") return void res.end();
    void send(res, body, start);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    held,
    release,
    async stop() {
      release();
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
