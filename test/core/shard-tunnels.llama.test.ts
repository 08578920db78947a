// A shard's tunnel: a port on the main node's loopback whose connections the queen carries to a
// real ggml-rpc-server on the shard node, over two real OpenSSH servers (the two "machines"; the
// rpc-server is started by the test on 127.0.0.1, as a shard's hive would). What llama-server
// would speak is spoken here by hand: rpc-server's HELLO and GET_DEVICE_MEMORY commands.
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { openShardTunnel, type ShardTunnel } from "../../src/core/fleet/shard-tunnels.js";
import { KnownHosts } from "../../src/core/ssh/known-hosts.js";
import { SshNodeConnection } from "../../src/core/ssh/node-connection.js";
import { connectSsh } from "../../src/core/ssh/ssh-connect.js";
import { LocalNodeConnection } from "../../src/core/transport/local-connection.js";
import type { NodeConnection } from "../../src/core/transport/node-connection.js";
import { findLlamaProgram } from "../../src/node-common/llama-cpp-binaries.js";
import { listeningSockets } from "../helpers/listening-sockets.js";
import { spawnProcess, type RunningProcess } from "../helpers/process.js";
import { freePort, startSshd, type Sshd } from "../helpers/sshd.js";
import { until } from "../helpers/until.js";

const LOSS_DEADLINE_MS = 2_000;

let mainSshd: Sshd;
let shardSshd: Sshd;
let dir: string;
const cleanups: (() => void | Promise<unknown>)[] = [];

beforeAll(async () => {
  [mainSshd, shardSshd] = await Promise.all([startSshd(), startSshd()]);
  dir = mkdtempSync(join(tmpdir(), "rbee-shard-tunnel-"));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await Promise.all([mainSshd?.dispose(), shardSshd?.dispose()]);
  rmSync(dir, { recursive: true, force: true });
});

async function sshNode(name: string, sshd: Sshd): Promise<SshNodeConnection> {
  const session = await connectSsh(
    { host: sshd.host, port: sshd.port, user: sshd.user, keyPath: sshd.keyPath },
    { knownHosts: new KnownHosts(join(dir, "known_hosts"), []), unknownHost: "accept-once", agent: "" },
  );
  const connection = new SshNodeConnection(name, session.client, session.fingerprint);
  cleanups.push(() => connection.close());
  return connection;
}

/** A real ggml-rpc-server on 127.0.0.1, once it listens. */
async function startRpcServer(): Promise<{ process: RunningProcess; port: number }> {
  const program = findLlamaProgram("rpc-server", "cpu");
  if (!program) throw new Error("ggml-rpc-server is not built: run scripts/build-llama.sh (it builds into ~/.cache/rbee/llama.cpp)");
  const port = await freePort();
  const rpc = spawnProcess(program.path, ["-H", "127.0.0.1", "-p", String(port), "-t", "1"]);
  cleanups.push(() => rpc.stop());
  // Its banner is buffered until its first client: the listening socket is the signal.
  await until(() => listeningSockets([rpc.pid]).some((socket) => socket.port === port), "ggml-rpc-server to listen", 15_000);
  return { process: rpc, port };
}

/** Opens a tunnel, recording every loss it reports and when. */
async function tunnel(main: NodeConnection, shard: NodeConnection, rpcPort: number) {
  const losses: { reason: string; at: number }[] = [];
  const opened: ShardTunnel = await openShardTunnel(main, shard, rpcPort, (reason) => losses.push({ reason, at: Date.now() }));
  cleanups.push(() => opened.close());
  return { tunnel: opened, losses };
}

/** llama-server's side: a connection to the tunnel's port on the main node (this machine's loopback). */
function dial(address: string): Promise<Socket> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host);
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
    cleanups.push(() => {
      socket.destroy();
    });
  });
}

/** What a connection has received and not yet read; readers wait for enough of it. */
const received = new WeakMap<Socket, { buffer: Buffer; closed: boolean; wake: () => void }>();

function inbox(socket: Socket) {
  let box = received.get(socket);
  if (!box) {
    const created = { buffer: Buffer.alloc(0), closed: false, wake: () => undefined };
    socket.on("data", (chunk: Buffer) => {
      created.buffer = Buffer.concat([created.buffer, chunk]);
      created.wake();
    });
    socket.on("close", () => {
      created.closed = true;
      created.wake();
    });
    received.set(socket, created);
    box = created;
  }
  return box;
}

/** Reads exactly `length` bytes. */
function read(socket: Socket, length: number): Promise<Buffer> {
  const box = inbox(socket);
  return new Promise((resolve, reject) => {
    box.wake = () => {
      if (box.buffer.length >= length) {
        const taken = box.buffer.subarray(0, length);
        box.buffer = box.buffer.subarray(length);
        box.wake = () => undefined;
        resolve(taken);
      } else if (box.closed) {
        reject(new Error(`closed after ${box.buffer.length} of ${length} bytes`));
      }
    };
    box.wake();
  });
}

/** One rpc-server command: | cmd (1 byte) | size (u64 LE) | payload |, answered by | size (u64 LE) | payload |. */
async function command(socket: Socket, cmd: number, payload: Buffer): Promise<Buffer> {
  inbox(socket);
  const header = Buffer.alloc(9);
  header.writeUInt8(cmd, 0);
  header.writeBigUInt64LE(BigInt(payload.length), 1);
  socket.write(Buffer.concat([header, payload]));
  const size = Number((await read(socket, 8)).readBigUInt64LE(0));
  return read(socket, size);
}

const RPC_CMD_GET_DEVICE_MEMORY = 11;
const RPC_CMD_HELLO = 14;
/** HELLO carries the client's connection capabilities (24 bytes; none asked for here). */
const hello = (socket: Socket) => command(socket, RPC_CMD_HELLO, Buffer.alloc(24));
const deviceMemory = async (socket: Socket) => {
  const device = Buffer.alloc(4);
  const answer = await command(socket, RPC_CMD_GET_DEVICE_MEMORY, device);
  return { free: Number(answer.readBigUInt64LE(0)), total: Number(answer.readBigUInt64LE(8)) };
};

/** Resolves once rpc-server has said it closed its `n`th client connection (it flushes that line). */
const clientClosed = (rpc: RunningProcess, n: number) =>
  until(() => (rpc.stdout().match(/Client connection closed/g) ?? []).length >= n, `rpc-server to close client connection ${n}`);

describe.each([
  ["over SSH", () => sshNode("main-a", mainSshd)],
  ["on this computer", async () => new LocalNodeConnection("main-a", { home: dir, installPath: dir })],
] as const)("a main node %s, a shard over SSH", (_label, openMain) => {
  test("llama-server's connections reach rpc-server and its answers come back; closing them is no loss, and the next works", async () => {
    const rpc = await startRpcServer();
    const { tunnel: opened, losses } = await tunnel(await openMain(), await sshNode("shard-b", shardSshd), rpc.port);
    expect(opened).toMatchObject({ shardNode: "shard-b", address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });

    const first = await dial(opened.address);
    const version = await hello(first);
    expect(version.length).toBe(28);
    expect(version[0]).toBe(6);
    const memory = await deviceMemory(first);
    expect(memory.total).toBeGreaterThan(0);
    expect(memory.free).toBeGreaterThan(0);
    expect(memory.free).toBeLessThanOrEqual(memory.total);

    // llama-server closes its side first (it connects per use): benign.
    first.destroy();
    await clientClosed(rpc.process, 1);
    const second = await dial(opened.address);
    expect((await hello(second))[0]).toBe(6);
    second.destroy();
    await clientClosed(rpc.process, 2);
    expect(losses).toEqual([]);
  });
});

describe("losing a shard", () => {
  /** A tunnel from main-a to a fresh rpc-server on shard-b, with llama-server's connection open and answered once. */
  async function connected() {
    const rpc = await startRpcServer();
    const shard = await sshNode("shard-b", shardSshd);
    const opened = await tunnel(await sshNode("main-a", mainSshd), shard, rpc.port);
    const client = await dial(opened.tunnel.address);
    expect((await hello(client))[0]).toBe(6);
    const cut = new Promise<void>((resolve) => client.once("close", () => resolve()));
    client.on("error", () => undefined);
    return { ...opened, rpc, shard, client, cut };
  }

  test("rpc-server killed while llama-server's connection is open: reported once within 2 s, naming the node; the connection is cut", async () => {
    const { losses, rpc, cut } = await connected();
    const killedAt = Date.now();
    rpc.process.child.kill("SIGKILL");
    await until(() => losses.length > 0, "the loss to be reported", LOSS_DEADLINE_MS);
    expect(losses[0]!.at - killedAt).toBeLessThan(LOSS_DEADLINE_MS);
    expect(losses[0]!.reason).toMatch(/rpc-server on shard-b/);
    await cut;
    await rpc.process.waitForExit();
    expect(losses).toHaveLength(1);
  });

  test("the shard node's connection dropping: reported within 2 s, naming the node", async () => {
    const { losses, shard, cut } = await connected();
    const droppedAt = Date.now();
    expect(shardSshd.dropSessions()).toBeGreaterThan(0);
    await until(() => losses.length > 0, "the loss to be reported", LOSS_DEADLINE_MS);
    expect(losses[0]!.at - droppedAt).toBeLessThan(LOSS_DEADLINE_MS);
    expect(losses[0]!.reason).toMatch(/shard-b/);
    expect(shard.alive).toBe(false);
    await cut;
    expect(losses).toHaveLength(1);
  });

  test("rpc-server gone while no connection is open: the next connection finds it gone", async () => {
    const rpc = await startRpcServer();
    const { tunnel: opened, losses } = await tunnel(await sshNode("main-a", mainSshd), await sshNode("shard-b", shardSshd), rpc.port);
    await rpc.process.stop();
    expect(losses).toEqual([]);
    const client = await dial(opened.address);
    client.on("error", () => undefined);
    await until(() => losses.length > 0, "the loss to be reported", LOSS_DEADLINE_MS);
    expect(losses[0]!.reason).toMatch(/rpc-server on shard-b/);
  });

  test("a tunnel closed on purpose cuts its connections, takes no more and reports nothing afterwards", async () => {
    const { tunnel: opened, losses, rpc, cut } = await connected();
    opened.close();
    await cut;
    await clientClosed(rpc.process, 1);
    // A connection to its port now is refused (or closed at once): it never reaches rpc-server.
    const [, port] = opened.address.split(":");
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), "127.0.0.1");
      socket.once("error", () => resolve(false));
      socket.once("close", () => resolve(false));
      socket.once("data", () => resolve(true));
      const header = Buffer.alloc(9 + 24);
      header.writeUInt8(RPC_CMD_HELLO, 0);
      header.writeBigUInt64LE(24n, 1);
      socket.write(header);
    });
    expect(answered).toBe(false);
    expect(rpc.process.stdout().match(/Accepted client connection/g)).toHaveLength(1);
    rpc.process.child.kill("SIGKILL");
    await rpc.process.waitForExit();
    expect(losses).toEqual([]);
  });
});
