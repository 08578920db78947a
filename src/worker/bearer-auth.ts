import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { RbeeError } from "../shared/contract/index.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** True when `presented` equals `expected`, compared in constant time whatever their lengths. */
export function tokensMatch(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Express middleware: passes requests carrying `Authorization: Bearer <token>`, answers 401 otherwise. */
export function requireBearer(token: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] !== undefined && tokensMatch(match[1], token)) {
      next();
      return;
    }
    next(new RbeeError("UNAUTHORIZED", "Missing or wrong bearer token"));
  };
}
