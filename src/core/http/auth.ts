import type { NextFunction, Request, Response } from "express";
import { RbeeError } from "../../shared/contract/index.js";
import { bearerToken } from "../../node-common/secrets.js";
import type { Principal } from "../queen.js";
import type { QueenService } from "../service/queen-service.js";

/** Requires the queen token; per-spawn worker tokens are admitted only where `allowWorkers` says so. */
export function requireAuth(service: QueenService, options: { readonly allowWorkers: boolean }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req.headers);
    const principal = token === undefined ? undefined : service.principalFor(token, options.allowWorkers);
    if (principal) {
      res.locals.principal = principal;
      next();
      return;
    }
    next(
      new RbeeError(
        "UNAUTHORIZED",
        token === undefined
          ? "Missing Authorization: Bearer <token> (the token is in RBEE_HOME/token)"
          : "Invalid token: use the token in the queen's RBEE_HOME/token (default ~/.rbee/token)",
      ),
    );
  };
}

/** The principal the auth middleware admitted. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
