// A port on a node's loopback that leads back to the queen (NodeConnection.listenOnNode), over a
// real OpenSSH server (its remote forwards) and on this computer (a plain loopback listener).
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SshNodeConnection } from "../../src/core/ssh/node-connection.js";
import { KnownHosts } from "../../src/core/ssh/known-hosts.js";
import { connectSsh } from "../../src/core/ssh/ssh-connect.js";
import { LocalNodeConnection } from "../../src/core/transport/local-connection.js";
import type { NodeConnection } from "../../src/core/transport/node-connection.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

let sshd: Sshd;
let dir: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), "rbee-listen-"));
});
afterAll(async () => {
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function sshConnection(): Promise<SshNodeConnection> {
  const session = await connectSsh(
    { host: sshd.host, port: sshd.port, user: sshd.user, keyPath: sshd.keyPath },
    { knownHosts: new KnownHosts(join(dir, "known_hosts"), []), unknownHost: "accept-once", agent: "" },
  );
  return new SshNodeConnection("node-a", session.client, session.fingerprint);
}

/** Connects to a port on the node's loopback (this machine's, in these tests) and resolves once connected. */
function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes `text`, resolves with the first `length` bytes that come back. */
function exchange(stream: Duplex, text: string, length: number): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const onData = (chunk: Buffer): void => {
      got += chunk.toString();
      if (got.length >= length) {
        stream.off("data", onData);
        resolve(got);
      }
    };
    stream.on("data", onData);
    stream.write(text);
  });
}

/** A listener whose every stream answers each chunk with its text upper-cased, counting streams. */
async function upperCaseOn(connection: NodeConnection) {
  const streams: Duplex[] = [];
  const listener = await connection.listenOnNode((stream) => {
    streams.push(stream);
    stream.on("data", (chunk: Buffer) => stream.write(chunk.toString().toUpperCase()));
    stream.on("error", () => undefined);
  });
  return { listener, streams };
}

function closedOrRefused(port: number): Promise<"refused" | "closed"> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("error", () => resolve("refused"));
    socket.once("close", () => resolve("closed"));
    socket.resume();
  });
}

describe.each([
  ["over SSH", () => sshConnection()],
  ["on this computer", async () => new LocalNodeConnection("local", { home: dir, installPath: dir })],
] as const)("listenOnNode %s", (_label, open) => {
  test("every connection to the port arrives as its own stream; bytes flow both ways; close stops new connections", async () => {
    const connection = await open();
    try {
      const { listener, streams } = await upperCaseOn(connection);
      expect(listener.port).toBeGreaterThan(0);
      const first = await dial(listener.port);
      const second = await dial(listener.port);
      expect(await exchange(first, "hello", 5)).toBe("HELLO");
      expect(await exchange(second, "again", 5)).toBe("AGAIN");
      expect(streams).toHaveLength(2);
      // A large write arrives whole, in order (flow control of the channel or the socket).
      const big = "x".repeat(512 * 1024);
      expect((await exchange(first, big, big.length)).length).toBe(big.length);

      // The node's side closing ends the queen's stream (its readable side: an SSH channel closes once both sides end).
      const ended = new Promise<void>((resolve) => streams[1]!.once("end", () => resolve()));
      second.destroy();
      await ended;

      listener.close();
      listener.close();
      // No stream for a connection after close: refused on the node, or closed at once.
      expect(["refused", "closed"]).toContain(await closedOrRefused(listener.port));
      expect(streams).toHaveLength(2);
      first.destroy();
    } finally {
      connection.close();
    }
  });
});

describe("listenOnNode over SSH", () => {
  test("each listener gets only its own port's connections, and the callback tunnel keeps working beside them", async () => {
    const connection = await sshConnection();
    const target: Server = createServer((socket) => socket.end("queen callback listener\n"));
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    try {
      const a = await upperCaseOn(connection);
      const b = await upperCaseOn(connection);
      expect(a.listener.port).not.toBe(b.listener.port);
      await exchange(await dial(a.listener.port), "a", 1);
      await exchange(await dial(b.listener.port), "b", 1);
      await exchange(await dial(b.listener.port), "b", 1);
      expect([a.streams.length, b.streams.length]).toEqual([1, 2]);

      const callbackPort = await connection.remotePortFor((target.address() as { port: number }).port);
      expect(await connection.remotePortFor(0)).toBe(callbackPort);
      const callback = await dial(callbackPort);
      const answer = await new Promise<string>((resolve) => {
        let text = "";
        callback.on("data", (chunk: Buffer) => (text += chunk.toString()));
        callback.on("end", () => resolve(text));
      });
      expect(answer).toBe("queen callback listener\n");
      a.listener.close();
      b.listener.close();
    } finally {
      connection.close();
      target.close();
    }
  });

  test("on a closed connection it fails with SSH_FAILED naming the node", async () => {
    const connection = await sshConnection();
    connection.close();
    await expect(connection.listenOnNode(() => undefined)).rejects.toMatchObject({ code: "SSH_FAILED", message: expect.stringContaining("node-a") });
  });
});
