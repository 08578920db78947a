// Host names and addresses, without Node: the queen, the hive, the worker and the model_ref
// grammar of the contract all decide "is this loopback?" the same way.

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)";
const LOOPBACK_V4 = new RegExp(`^127\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * True for names and addresses that stay on this machine: `localhost`, 127.0.0.0/8 and ::1 (also
 * written out in full, or an IPv4-mapped 127.x address), with or without the brackets a URL puts
 * around IPv6.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host).toLowerCase();
  if (bare === "localhost" || bare === "::1" || bare === "0:0:0:0:0:0:0:1") return true;
  return LOOPBACK_V4.test(bare.startsWith("::ffff:") ? bare.slice("::ffff:".length) : bare);
}

/** The host as it appears in a URL: IPv6 addresses get brackets. */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** `host:port` for a URL or a message, bracketing IPv6. */
export function hostPort(host: string, port: number): string {
  return `${urlHost(host)}:${port}`;
}
