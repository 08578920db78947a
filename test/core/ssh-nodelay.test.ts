// What a node sends back in small writes reaches the queen at once, over a real OpenSSH server:
// the queen's connection holds a pty session, so sshd sets TCP_NODELAY on its end. Without it, a
// reply written in two parts waits for the queen's delayed ACK (40 ms on Linux) before its second
// part leaves sshd: a split model's rpc traffic and a worker's `started` are made of such replies.
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, expect, test } from "vitest";
import { SshNodeConnection } from "../../src/core/ssh/node-connection.js";
import { KnownHosts } from "../../src/core/ssh/known-hosts.js";
import { connectSsh } from "../../src/core/ssh/ssh-connect.js";
import { startSshd, type Sshd } from "../helpers/sshd.js";

const ROUNDS = 15;
/** A Nagle stall is at least the 40 ms delayed ACK; an exchange on loopback takes about 1 ms. */
const STALL_MS = 20;

let sshd: Sshd;
let dir: string;
let connection: SshNodeConnection;

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), "rbee-nodelay-"));
  const session = await connectSsh(
    { host: sshd.host, port: sshd.port, user: sshd.user, keyPath: sshd.keyPath },
    { knownHosts: new KnownHosts(join(dir, "known_hosts"), []), unknownHost: "accept-once", agent: "" },
  );
  connection = new SshNodeConnection("node-a", session.client, session.fingerprint);
});
afterAll(async () => {
  connection?.close();
  await sshd?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Answers every byte it reads with "a" and, a moment later, "b": a reply in two writes. */
function answerInTwoWrites(stream: Duplex): void {
  stream.on("data", () => {
    stream.write("a");
    setTimeout(() => stream.write("b"), 1);
  });
  stream.on("error", () => undefined);
}

/** The median time of `ROUNDS` runs of `exchange`. */
async function medianMs(exchange: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await exchange();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Infinity;
}

/** Writes one byte and resolves once two have come back. */
function oneByteForTwo(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (chunk: Buffer): void => {
      got += chunk.length;
      if (got < 2) return;
      stream.off("data", onData);
      resolve();
    };
    stream.on("data", onData);
    stream.write("x");
  });
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

test("a node's reply in two writes through a local forward is not held back by Nagle's algorithm", async () => {
  // The server stands on the node's loopback (this machine's, in this test).
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    answerInTwoWrites(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const socket = await dial(await connection.localPortFor(port));
    expect(await medianMs(() => oneByteForTwo(socket))).toBeLessThan(STALL_MS);
    socket.destroy();
  } finally {
    server.close();
  }
});

test("a node's request in two writes through a remote forward is not held back by Nagle's algorithm", async () => {
  // The queen's side answers at once; the node's side writes each request in two parts.
  const listener = await connection.listenOnNode((stream) => {
    let got = 0;
    stream.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (got % 2 === 0) stream.write("ok");
    });
    stream.on("error", () => undefined);
  });
  try {
    const socket = await dial(listener.port);
    const twoWritesForOne = (): Promise<void> =>
      new Promise((resolve) => {
        socket.once("data", () => resolve());
        socket.write("a");
        setTimeout(() => socket.write("b"), 1);
      });
    expect(await medianMs(twoWritesForOne)).toBeLessThan(STALL_MS);
    socket.destroy();
  } finally {
    listener.close();
  }
});

test("a node that refuses a pty still runs commands and forwards ports, only without TCP_NODELAY on its end", async () => {
  const strict = await startSshd({ permitTty: false });
  const session = await connectSsh(
    { host: strict.host, port: strict.port, user: strict.user, keyPath: strict.keyPath },
    { knownHosts: new KnownHosts(join(dir, "known_hosts_strict"), []), unknownHost: "accept-once", agent: "" },
  );
  const strictConnection = new SshNodeConnection("node-strict", session.client, session.fingerprint);
  const server: Server = createServer((socket) => socket.end("hello"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    expect(await strictConnection.exec("echo ran")).toMatchObject({ code: 0, stdout: "ran\n" });
    const socket = await dial(await strictConnection.localPortFor((server.address() as { port: number }).port));
    const reply = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
    });
    expect(reply).toBe("hello");
    expect(strictConnection.alive).toBe(true);
  } finally {
    server.close();
    strictConnection.close();
    await strict.dispose();
  }
});
