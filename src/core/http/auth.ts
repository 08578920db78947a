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

/**
 * Who presents the request's token: the queen token's user, or (where `allowWorkers` says so) a
 * worker with its per-spawn token or its hive's node token. Throws UNAUTHORIZED otherwise.
 */
export function authenticate(service: QueenService, headers: IncomingHttpHeaders, allowWorkers: boolean): Principal {
  const tokens = presentedTokens(headers);
  for (const token of tokens) {
    const principal = service.principalFor(token, allowWorkers);
    if (principal) return principal;
  }
  throw new RbeeError(
    "UNAUTHORIZED",
    tokens.length === 0
      ? "Missing Authorization: Bearer <token> or x-api-key: <token> (the token is in RBEE_HOME/token)"
      : "Invalid token: use the token in the queen's RBEE_HOME/token (default ~/.rbee/token)",
  );
}

/** Requires the queen token; per-spawn worker tokens are admitted only where `allowWorkers` says so. */
export function requireAuth(service: QueenService, options: { readonly allowWorkers: boolean }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      res.locals.principal = authenticate(service, req.headers, options.allowWorkers);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
}

/** The principal the auth middleware admitted. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
