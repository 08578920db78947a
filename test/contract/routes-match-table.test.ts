// The API table is the one list of routes and channels: a route of the HTTP app or an IPC channel
// that the table does not list fails here, and so does a row that no route or channel serves.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import {
  API,
  IPC_STREAM_CANCEL_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  ipcChannel,
  ipcStreamChannel,
  followMethodName,
  type FollowName,
  type ApiEntry,
} from "../../src/shared/contract/index.js";
import { createHttpApp } from "../../src/core/http/app.js";
import { HTTP_ONLY_ROUTES } from "../../src/core/http/http-only-routes.js";
import { openApiDocument } from "../../src/core/http/openapi.js";
import { Queen } from "../../src/core/queen.js";
import { QueenService } from "../../src/core/service/queen-service.js";

vi.mock("electron", async () => (await import("../helpers/fake-ipc-main.js")).electronStub);
const { ipcHandlers: handlers } = await import("../helpers/fake-ipc-main.js");
const { registerIpc } = await import("../../src/main/ipc.js");

let dir: string;
let queen: Queen;
let service: QueenService;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-routes-"));
  queen = new Queen({ home: dir, userKnownHosts: [], sshAgent: "" });
  service = new QueenService(queen);
});
afterAll(async () => {
  await queen.close();
  rmSync(dir, { recursive: true, force: true });
});

type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every `VERB path` an Express app routes, walking nested routers (all mounted at the root). */
function routesOf(stack: readonly Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      const verbs = Object.keys(layer.route.methods).filter((verb) => verb !== "_all");
      return paths.flatMap((path) => verbs.map((verb) => `${verb.toUpperCase()} ${path}`));
    }
    return layer.handle?.stack ? routesOf(layer.handle.stack) : [];
  });
}

const expressPath = (path: string): string => path.replace(/\{([a-z_]+)\}/g, ":$1").replace(":model", "*model");
const documented = (): string[] =>
  [...Object.values(API), ...Object.values(HTTP_ONLY_ROUTES)].map((row) => `${row.verb} ${expressPath(row.path)}`);

describe("the API table and the transports list the same methods", () => {
  test("every HTTP route is a row of the table (or an HTTP-only route), and every row is routed", () => {
    const app = createHttpApp(service, { log: () => {} });
    const routed = routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack).filter((route) => route !== "GET /");
    expect([...new Set(routed)].sort()).toEqual(documented().sort());
  });

  test("every IPC channel is a row of the table, and every row has its channel", () => {
    const dispose = registerIpc(service, () => true, () => {});
    const expected = (Object.entries(API) as [string, ApiEntry][]).flatMap(([method, entry]) =>
      entry.kind === "call"
        ? [ipcChannel(method as never), ...(entry.follow ? [ipcStreamChannel(followMethodName(method as FollowName))] : [])]
        : entry.kind === "stream"
          ? [ipcStreamChannel(method as never)]
          : [IPC_SUBSCRIBE_CHANNEL],
    );
    expect([...handlers.keys()].sort()).toEqual([...expected, IPC_STREAM_CANCEL_CHANNEL].sort());
    dispose();
    expect(handlers.size).toBe(0);
  });
});

describe("GET /openapi.json", () => {
  test("is a valid OpenAPI 3.1 document (checked by an OpenAPI schema validator)", async () => {
    const document = openApiDocument();
    const result = await new Validator().validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe("3.1.0");
  });

  test("lists every route of the table and every HTTP-only route", () => {
    const document = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const listed = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((verb) => `${verb.toUpperCase()} ${path}`));
    const rows = [...Object.values(API), ...Object.values(HTTP_ONLY_ROUTES)].map((row) => `${row.verb} ${row.path}`);
    expect(listed.sort()).toEqual(rows.sort());
  });

  test("is what the queen serves, behind the token", async () => {
    const app = createHttpApp(service, { log: () => {} });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    try {
      const anonymous = await fetch(`http://127.0.0.1:${port}/openapi.json`);
      expect(anonymous.status).toBe(401);
      const served = await fetch(`http://127.0.0.1:${port}/openapi.json`, { headers: { authorization: `Bearer ${queen.token}` } });
      expect(await served.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    } finally {
      server.close();
    }
  });
});
