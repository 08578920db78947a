import { Router, type Request, type RequestHandler, type Response } from "express";
import {
  API,
  NoContent,
  followMethodName,
  parseInput,
  type ApiEntry,
  type FollowName,
  type MethodName,
  type ParsedInputOf,
  type StreamName,
} from "../../shared/contract/index.js";
import { openSse, type SseChannel } from "../../node-common/sse-response.js";
import type { CoreStream } from "../service/core-stream.js";
import type { ApiService, StreamOpener } from "../service/queen-service.js";
import type { StateFeedOptions } from "../service/state-feed.js";
import { KEEP_ALIVE_MS, sendStream } from "./stream-response.js";

/**
 * How much of the state feed may wait unread for one reader: past it, the reader is behind and is
 * sent nothing more until it has read it all, then fresh snapshots (the queen keeps no backlog).
 */
export const EVENTS_BACKLOG_BYTES = 1024 * 1024;

/**
 * The state feed's measure of how far behind an HTTP reader is: the bytes waiting for it beyond
 * what is left of the last snapshots of every kind (which go out whole however large the fleet,
 * and shrink as the reader takes them). More than EVENTS_BACKLOG_BYTES beyond them is behind.
 * So what waits for one reader is at most one set of snapshots plus the bound.
 */
function backlogBound(sse: SseChannel): Pick<StateFeedOptions, "behind" | "snapshotsWritten"> {
  let snapshotsLeft = 0;
  return {
    snapshotsWritten: () => {
      snapshotsLeft = sse.backlog;
    },
    behind: () => {
      snapshotsLeft = Math.min(snapshotsLeft, sse.backlog);
      return sse.backlog > snapshotsLeft + EVENTS_BACKLOG_BYTES ? sse.drained() : undefined;
    },
  };
}

/** `/v1/workers/{id}` in Express's spelling, `/v1/workers/:id`. */
export function expressPath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, ":$1");
}

function pick(values: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => values[key] !== undefined).map((key) => [key, values[key]]));
}

/** The row's input from an HTTP request: path parameters, the query keys the row names, the body. */
function inputOf(method: MethodName, entry: ApiEntry, req: Request): ReturnType<typeof parseInput> {
  const query = "query" in entry && entry.query ? pick(req.query as Record<string, unknown>, Object.keys(entry.query.shape)) : {};
  return parseInput(method, { params: req.params as Record<string, unknown>, query, body: req.body });
}

/**
 * Every row of the API table as an Express route on `service`: input validated by the row, answer
 * as JSON with the row's status, streams (and a call's `?follow=true` form) as SSE. `auth` guards every row but those marked "none".
 */
export function apiRoutes(service: ApiService & StreamOpener, auth: RequestHandler): Router {
  const router = Router();
  for (const [method, entry] of Object.entries(API) as [MethodName, ApiEntry][]) {
    const guards = entry.kind === "call" && entry.auth === "none" ? [] : [auth];
    const verb = entry.verb === "GET" ? "get" : entry.verb === "POST" ? "post" : "delete";
    router[verb](expressPath(entry.path), ...guards, async (req: Request, res: Response) => {
      switch (entry.kind) {
        case "call": {
          const input = inputOf(method, entry, req);
          if (entry.follow && (input as { follow?: boolean }).follow === true) {
            const follow = service[followMethodName(method as FollowName)] as (input: unknown) => Promise<CoreStream<object>>;
            await sendStream(res, await follow(input));
            return;
          }
          const answer: unknown = await (service[method] as (input: unknown) => Promise<unknown>)(input);
          if (entry.answer === NoContent) res.status(204).end();
          else res.status(entry.status ?? 200).json(answer);
          return;
        }
        case "stream": {
          const stream = await service.openStream(method as StreamName, inputOf(method, entry, req) as never);
          await sendStream(res, stream);
          return;
        }
        case "subscription": {
          const { deltas } = inputOf(method, entry, req) as ParsedInputOf<"events">;
          const sse = openSse(res, { keepAliveMs: KEEP_ALIVE_MS });
          sse.onClose(service.events((event) => sse.send(event), { deltas, ...backlogBound(sse) }));
          return;
        }
      }
    });
  }
  return router;
}
