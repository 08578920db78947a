import type { RequestHandler } from "express";
import { bearerToken, secretsEqual } from "../node-common/secrets.js";
import { RbeeError } from "../shared/contract/index.js";

/** Express middleware: passes requests carrying `Authorization: Bearer <token>`, answers 401 otherwise. */
export function requireBearer(token: string): RequestHandler {
  return (req, _res, next) => {
    const presented = bearerToken(req.headers);
    if (presented !== undefined && secretsEqual(presented, token)) {
      next();
      return;
    }
    next(new RbeeError("UNAUTHORIZED", "Missing or wrong bearer token"));
  };
}
