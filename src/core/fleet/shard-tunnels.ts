import type { Duplex } from "node:stream";
import type { NodeConnection } from "../transport/node-connection.js";

/** One shard's way from the main node's loopback to its rpc-server, through the queen. */
export interface ShardTunnel {
  readonly shardNode: string;
  /** What llama-server on the main node is given as `--rpc`: `127.0.0.1:PORT` on the main node. */
  readonly address: string;
  /** Stops taking connections and cuts the open ones; no loss is reported after it. */
  close(): void;
}

/**
 * Opens a shard's tunnel: a loopback port on the main node (a remote forward of the main node's
 * connection) whose every connection is carried to `127.0.0.1:rpcPort` on the shard node (a
 * channel of the shard's connection). The nodes never reach each other; nothing listens on the
 * queen's machine.
 *
 * Loss: rpc-server never closes a client's connection itself, so its side ending or failing while
 * llama-server's side is open means it went away, as does the shard's (or the main node's)
 * connection closing, or the rpc-server no longer taking connections. llama-server closing its
 * side first is benign: it opens a connection per use. `onLost` is told once, with a sentence
 * naming the node.
 */
export async function openShardTunnel(
  main: NodeConnection,
  shard: NodeConnection,
  rpcPort: number,
  onLost: (reason: string) => void,
): Promise<ShardTunnel> {
  let closed = false;
  const open = new Set<Duplex>();
  const lose = (reason: string): void => {
    if (closed) return;
    close();
    onLost(reason);
  };
  const carry = (mainSide: Duplex): void => {
    open.add(mainSide);
    let mainOpen = true;
    let shardSide: Duplex | undefined;
    // llama-server never half-closes: its side ending means it is done with this connection.
    const mainGone = (): void => {
      if (!mainOpen) return;
      mainOpen = false;
      open.delete(mainSide);
      mainSide.destroy();
      shardSide?.destroy();
    };
    mainSide.once("end", mainGone);
    mainSide.once("close", mainGone);
    mainSide.once("error", mainGone);
    shard.openStream(rpcPort).then(
      (opened) => {
        if (closed || !mainOpen) {
          opened.destroy();
          return;
        }
        shardSide = opened;
        open.add(opened);
        const shardGone = (why: string): void => {
          open.delete(opened);
          if (mainOpen) lose(why);
          mainSide.destroy();
        };
        opened.once("end", () => shardGone(`The rpc-server on ${shard.nodeName} closed its connection (it stopped or crashed)`));
        opened.once("close", () => shardGone(`The connection to the rpc-server on ${shard.nodeName} closed`));
        opened.once("error", (error: Error) => shardGone(`The connection to the rpc-server on ${shard.nodeName} failed: ${error.message}`));
        mainSide.pipe(opened, { end: false });
        opened.pipe(mainSide, { end: false });
      },
      (error: Error) => {
        mainSide.destroy();
        if (mainOpen) lose(`The rpc-server on ${shard.nodeName} no longer takes connections: ${error.message}`);
      },
    );
  };
  const listener = await main.listenOnNode(carry);
  const offShard = shard.onDidClose(() => lose(`The connection to ${shard.nodeName} closed: its part of the model is gone`));
  const offMain = main.onDidClose(() => lose(`The connection to ${main.nodeName} closed: the tunnel to ${shard.nodeName}'s rpc-server is gone`));
  function close(): void {
    if (closed) return;
    closed = true;
    listener.close();
    offShard();
    offMain();
    for (const stream of open) stream.destroy();
    open.clear();
  }
  return { shardNode: shard.nodeName, address: `127.0.0.1:${listener.port}`, close };
}
