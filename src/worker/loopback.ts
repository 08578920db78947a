import { isIPv4 } from "node:net";

/** True for `localhost`, 127.0.0.0/8 and ::1: the only addresses a worker may bind. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === "localhost" || lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true;
  return isIPv4(lower) && lower.startsWith("127.");
}

/** The host as it appears in a URL: IPv6 addresses get brackets. */
export function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
