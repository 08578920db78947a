import type { NextFunction, Request, Response } from "express";
import { RbeeError } from "../../shared/contract/index.js";
import type { Principal, Queen } from "../queen.js";
import { bearerToken, secretsEqual } from "../../node-common/secrets.js";


/** Requires the queen token; per-spawn worker tokens are admitted only where `workerRoutes` says so. */
export function requireAuth(queen: Queen, options: { readonly allowWorkers: boolean }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req.headers);
    if (token !== undefined) {
      if (secretsEqual(token, queen.token)) {
        res.locals.principal = { kind: "user" } satisfies Principal;
        next();
        return;
      }
      const grant = options.allowWorkers ? queen.callbackTokens.resolve(token) : undefined;
      if (grant) {
        res.locals.principal = { kind: "worker", ...grant } satisfies Principal;
        next();
        return;
      }
    }
    next(
      new RbeeError(
        "UNAUTHORIZED",
        token === undefined
          ? "Missing Authorization: Bearer <token> (the token is in RBEE_HOME/token)"
          : "Invalid token",
      ),
    );
  };
}

/** The principal the auth middleware admitted. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
