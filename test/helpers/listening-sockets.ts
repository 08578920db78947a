import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A listening TCP socket and the process that holds it. */
export interface ListeningSocket {
  readonly pid: number;
  readonly address: string;
  readonly port: number;
}

function hexToIpv4(hex: string): string {
  const bytes = hex.match(/../g)!.map((byte) => parseInt(byte, 16));
  return bytes.reverse().join(".");
}

function hexToIpv6(hex: string): string {
  // /proc stores IPv6 as four little-endian 32-bit words.
  const words = hex.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join(""));
  const groups = words.join("").match(/.{4}/g)!.map((group) => group.replace(/^0+(?=.)/, ""));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** One socket of /proc/net/tcp*: its local address and port, its peer's port, whether it listens. */
interface SocketRow {
  readonly address: string;
  readonly port: number;
  readonly remotePort: number;
  readonly listening: boolean;
}

function socketTable(): Map<string, SocketRow> {
  const byInode = new Map<string, SocketRow>();
  for (const [file, v6] of [["/proc/net/tcp", false], ["/proc/net/tcp6", true]] as const) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const [addressHex, portHex] = (fields[1] ?? "").split(":");
      byInode.set(fields[9] ?? "", {
        address: v6 ? hexToIpv6(addressHex ?? "") : hexToIpv4(addressHex ?? ""),
        port: parseInt(portHex ?? "0", 16),
        remotePort: parseInt((fields[2] ?? "").split(":")[1] ?? "0", 16),
        listening: fields[3] === "0A", // 0A = LISTEN
      });
    }
  }
  return byInode;
}

/** The sockets the given processes hold, with their pids. */
function socketsOf(pids: readonly number[]): (SocketRow & { readonly pid: number })[] {
  const table = socketTable();
  const sockets: (SocketRow & { readonly pid: number })[] = [];
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        const socket = match?.[1] ? table.get(match[1]) : undefined;
        if (socket) sockets.push({ pid, ...socket });
      } catch {
        // The fd closed while we looked.
      }
    }
  }
  return sockets;
}

/** Every listening TCP socket (IPv4 and IPv6) of the given processes, read from /proc. */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  return socketsOf(pids)
    .filter((socket) => socket.listening)
    .map(({ pid, address, port }) => ({ pid, address, port }));
}

/** The ports at the other end of the given processes' TCP connections (not their listening sockets). */
export function remotePorts(pids: readonly number[]): number[] {
  return socketsOf(pids)
    .filter((socket) => !socket.listening)
    .map((socket) => socket.remotePort);
}

/** The pids of the direct children of `pid`, from /proc. */
export function children(pid: number): number[] {
  return childrenByParent().get(pid) ?? [];
}

/** The pids of every process below `pid` (children, their children, …), from /proc. */
export function descendants(pid: number): number[] {
  const byParent = childrenByParent();
  const found: number[] = [];
  for (let queue = [...(byParent.get(pid) ?? [])]; queue.length > 0; ) {
    const next = queue.shift()!;
    found.push(next);
    queue = [...queue, ...(byParent.get(next) ?? [])];
  }
  return found;
}

function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone.
    }
  }
  return children;
}

/** Pids of processes whose command line contains `needle`. */
export function pidsMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone.
    }
  }
  return pids;
}
