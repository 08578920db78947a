import { isIPv4 } from "node:net";

/** True for `localhost`, 127.0.0.0/8 and ::1 (with or without the brackets a URL puts around it). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === "localhost" || lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true;
  return isIPv4(lower) && lower.startsWith("127.");
}

/** The host part of a URL, bracketed when it is IPv6. */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
