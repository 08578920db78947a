import type { IncomingMessage } from "node:http";
import type { RequestHandler } from "express";
import { RbeeError } from "../../shared/contract/index.js";
import { isLoopbackHost, urlHost } from "../../shared/net.js";

/** A `Host` header's name (lower case, IPv6 in brackets) and port (80 when it names none). */
export interface HostHeader {
  readonly name: string;
  readonly port: number;
}

/** Whether a request's `Host` names this listener. */
export type HostPolicy = (host: HostHeader, req: IncomingMessage) => boolean;

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i;
const WILDCARDS = new Set(["0.0.0.0", "[::]", "[0:0:0:0:0:0:0:0]"]);

/** Parses a `Host` header; undefined when it is missing or malformed. */
export function parseHostHeader(header: string | undefined): HostHeader | undefined {
  const match = header === undefined ? null : HOST.exec(header.trim());
  if (!match?.[1]) return undefined;
  const port = match[2] === undefined ? 80 : Number(match[2]);
  return port > 65535 ? undefined : { name: match[1].toLowerCase(), port };
}

/** The address a request came in on, as a `Host` would name it (an IPv4-mapped IPv6 address unwrapped). */
function localName(req: IncomingMessage): string | undefined {
  const address = req.socket.localAddress?.toLowerCase();
  if (!address) return undefined;
  return urlHost(address.startsWith("::ffff:") && address.includes(".") ? address.slice("::ffff:".length) : address);
}

/**
 * The API's policy: `localhost`, the address the connection came in on, or the host the queen was
 * bound to by name, each at the port it came in on. A page on another origin whose name an attacker
 * re-pointed at this machine (DNS rebinding) carries its own name in `Host`, so it is refused.
 */
export function ownAddress(bindHost?: string): HostPolicy {
  const bound = bindHost === undefined ? undefined : urlHost(bindHost.toLowerCase());
  return (host, req) => {
    if (host.port !== req.socket.localPort) return false;
    if (host.name === "localhost" || host.name === localName(req)) return true;
    return bound !== undefined && !WILDCARDS.has(bound) && host.name === bound;
  };
}

/** The callback listener's policy: any loopback name at any port (the tunnel's port on the node is in `Host`). */
export const anyLoopback: HostPolicy = (host) => isLoopbackHost(host.name);

/** Throws 403 FORBIDDEN for a request whose `Host` the policy does not accept. */
export function assertHostAccepted(req: IncomingMessage, policy: HostPolicy): void {
  const host = parseHostHeader(req.headers.host);
  if (host && policy(host, req)) return;
  const named = req.headers.host === undefined ? "no Host header" : `Host "${req.headers.host.slice(0, 100)}"`;
  throw new RbeeError(
    "FORBIDDEN",
    `Refused a request with ${named}: not an address of this queen (a guard against DNS rebinding). Call it at the address it listens on, or at localhost`,
  );
}

/** Refuses, before auth and routing, a request whose `Host` the policy does not accept: 403 FORBIDDEN. */
export function hostCheck(policy: HostPolicy): RequestHandler {
  return (req, _res, next) => {
    try {
      assertHostAccepted(req, policy);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
}
