// A web page whose name an attacker re-points at this machine (DNS rebinding) reaches the queen's
// port with its own name in Host. Every such request is refused before auth and routing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Request } from "express";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ownAddress, parseHostHeader } from "../../src/core/http/host-check.js";
import { startQueenServer, type QueenServer } from "../../src/core/queen-server.js";
import { rawBytes, rawRequest } from "./raw-http.js";

let home: string;
let server: QueenServer;
const bearer = () => ({ authorization: `Bearer ${server.queen.token}` });

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "rbee-rebind-"));
  server = await startQueenServer({ home, host: "127.0.0.1", port: 0, userKnownHosts: [], sshAgent: "", log: () => {} });
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

describe("the API port", () => {
  test("Host: evil.example with a valid token gets 403 FORBIDDEN, not the node list", async () => {
    const answer = await rawRequest(server.port, "/v2/registry/beehives/list", { headers: { host: "evil.example", ...bearer() } });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("evil.example") });
    expect(answer.body.nodes).toBeUndefined();
  });

  test("its own names at its port get the list: localhost:PORT and 127.0.0.1:PORT", async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `LOCALHOST:${server.port}`]) {
      const answer = await rawRequest(server.port, "/v2/registry/beehives/list", { headers: { host, ...bearer() } });
      expect(answer, host).toEqual({ status: 200, body: { nodes: [] } });
    }
  });

  test.each([
    ["a rebound name with the right port", (port: number) => `evil.example:${port}`],
    ["a loopback name at another port", (port: number) => `127.0.0.1:${port + 1}`],
    ["localhost without the port", () => "localhost"],
    ["::1, where the queen is not bound", (port: number) => `[::1]:${port}`],
    ["a malformed Host", () => "a b"],
  ])("%s is refused", async (_what, hostOf) => {
    const answer = await rawRequest(server.port, "/v2/registry/beehives/list", { headers: { host: hostOf(server.port), ...bearer() } });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe("FORBIDDEN");
  });

  test("also /health, the UI and the worker callbacks: nothing is answered but the refusal", async () => {
    const host = "evil.example";
    const health = await rawRequest(server.port, "/health", { headers: { host } });
    expect(health).toEqual({ status: 403, body: { error: { code: "FORBIDDEN", message: expect.any(String) } } });
    const ui = await rawRequest(server.port, "/", { headers: { host } });
    expect(ui.status).toBe(403);
    expect(JSON.stringify(ui.body)).not.toContain("<html");
    const register = await rawRequest(server.port, "/v1/workers/heartbeat", { method: "POST", headers: { host, ...bearer() }, body: { worker_id: "w1" } });
    expect(register.body.error.code).toBe("FORBIDDEN");
  });

  test("the OpenAI routes refuse in OpenAI's error shape (permission_denied)", async () => {
    for (const path of ["/v1/models", "/v1/models/tinyllama"]) {
      const answer = await rawRequest(server.port, path, { headers: { host: "evil.example", ...bearer() } });
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({
        error: { message: expect.stringContaining("evil.example"), type: "invalid_request_error", param: null, code: "permission_denied" },
      });
    }
    const chat = await rawRequest(server.port, "/v1/chat/completions", {
      method: "POST",
      headers: { host: "evil.example", ...bearer() },
      body: { model: "tinyllama", messages: [{ role: "user", content: "hi" }] },
    });
    expect(chat.status).toBe(403);
    expect(chat.body.error.code).toBe("permission_denied");
  });

  test("the Anthropic and Ollama routes refuse in their own error shapes", async () => {
    const messages = await rawRequest(server.port, "/v1/messages", {
      method: "POST",
      headers: { host: "evil.example", "x-api-key": server.queen.token },
      body: { model: "tinyllama", max_tokens: 4, messages: [{ role: "user", content: "hi" }] },
    });
    expect(messages).toEqual({ status: 403, body: { type: "error", error: { type: "permission_error", message: expect.stringContaining("evil.example") } } });
    for (const path of ["/api/tags", "/api/version"]) {
      const answer = await rawRequest(server.port, path, { headers: { host: "evil.example", ...bearer() } });
      expect(answer).toEqual({ status: 403, body: { error: expect.stringContaining("evil.example") } });
    }
    const chat = await rawRequest(server.port, "/api/chat", { method: "POST", headers: { host: "evil.example", ...bearer() }, body: { model: "tinyllama", messages: [] } });
    expect(chat).toEqual({ status: 403, body: { error: expect.stringContaining("evil.example") } });
  });

  test("a request without Host (HTTP/1.0) is refused too", async () => {
    const answer = await rawBytes(server.port, "GET /health HTTP/1.0\r\n\r\n");
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe("FORBIDDEN");
  });
});

describe("the callback listener", () => {
  test("takes any loopback name at any port (the tunnel's port on the node), nothing else", async () => {
    const heartbeat = (host: string) =>
      rawRequest(server.callbackPort, "/v1/workers/heartbeat", { method: "POST", headers: { host }, body: { worker_id: "w1" } });
    // Past the Host check: the token is what is missing.
    for (const host of ["127.0.0.1:40123", "localhost:40123", "[::1]:40123", "127.0.0.1"]) {
      expect((await heartbeat(host)).body.error.code, host).toBe("UNAUTHORIZED");
    }
    for (const host of ["evil.example:40123", "evil.example", "10.0.0.1:40123"]) {
      expect((await heartbeat(host)).status, host).toBe(403);
    }
  });
});

describe("the policy for other binds (--allow-remote), without binding beyond loopback", () => {
  const request = (localAddress: string, localPort = 8080) => ({ socket: { localAddress, localPort } }) as unknown as Request;
  const allows = (bindHost: string, host: string, localAddress: string) => ownAddress(bindHost)(parseHostHeader(host)!, request(localAddress));

  test("bound to 0.0.0.0: the address a request came in on, and localhost, at the bound port", () => {
    expect(allows("0.0.0.0", "192.168.1.5:8080", "192.168.1.5")).toBe(true);
    expect(allows("0.0.0.0", "192.168.1.5:8080", "::ffff:192.168.1.5")).toBe(true);
    expect(allows("0.0.0.0", "localhost:8080", "127.0.0.1")).toBe(true);
    expect(allows("0.0.0.0", "0.0.0.0:8080", "192.168.1.5")).toBe(false);
    expect(allows("0.0.0.0", "evil.example:8080", "192.168.1.5")).toBe(false);
    expect(allows("0.0.0.0", "192.168.1.5:8081", "192.168.1.5")).toBe(false);
  });

  test("bound to a name: that name too", () => {
    expect(allows("queen.home.arpa", "queen.home.arpa:8080", "192.168.1.5")).toBe(true);
    expect(allows("queen.home.arpa", "Queen.Home.Arpa:8080", "192.168.1.5")).toBe(true);
    expect(allows("queen.home.arpa", "evil.home.arpa:8080", "192.168.1.5")).toBe(false);
  });

  test("bound to ::1: [::1]:PORT", () => {
    expect(allows("::1", "[::1]:8080", "::1")).toBe(true);
    expect(allows("::1", "127.0.0.1:8080", "::1")).toBe(false);
  });
});
