import type { IncomingHttpHeaders } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { RbeeError } from "../../shared/contract/index.js";
import { bearerToken } from "../../node-common/secrets.js";
import type { Principal } from "../queen.js";
import type { QueenService } from "../service/queen-service.js";

/**
 * The tokens a request presents: `Authorization: Bearer …` and, as Anthropic's clients send the
 * API key, `x-api-key` (the same queen token; a client may send either or both).
 */
export function presentedTokens(headers: IncomingHttpHeaders): string[] {
  const bearer = bearerToken(headers);
  const header = headers["x-api-key"];
  const apiKey = typeof header === "string" ? header.trim() : undefined;
  return [bearer, apiKey].filter((token): token is string => token !== undefined && token !== "");
}

/** Requires the queen token; per-spawn worker tokens are admitted only where `allowWorkers` says so. */
export function requireAuth(service: QueenService, options: { readonly allowWorkers: boolean }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const tokens = presentedTokens(req.headers);
    const principal = tokens.map((token) => service.principalFor(token, options.allowWorkers)).find((found) => found !== undefined);
    if (principal) {
      res.locals.principal = principal;
      next();
      return;
    }
    next(
      new RbeeError(
        "UNAUTHORIZED",
        tokens.length === 0
          ? "Missing Authorization: Bearer <token> or x-api-key: <token> (the token is in RBEE_HOME/token)"
          : "Invalid token: use the token in the queen's RBEE_HOME/token (default ~/.rbee/token)",
      ),
    );
  };
}

/** The principal the auth middleware admitted. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
