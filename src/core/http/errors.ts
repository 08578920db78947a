import type { NextFunction, Request, Response } from "express";
import type { RbeeError } from "../../shared/contract/index.js";
import { reportedError } from "../errors.js";

/** The API's own error answer: `{error: {code, message, details?}}` with the code's status. */
function rbeeAnswer(res: Response, error: RbeeError): void {
  res.status(error.status).json(error.toBody());
}

/**
 * Turns anything thrown in a route into an error answer: the API's JSON shape by default, or
 * another API's (`answer`, e.g. OpenAI's). A stream already under way is just ended.
 */
export function errorHandler(log: (message: string) => void, answer: (res: Response, error: RbeeError) => void = rbeeAnswer) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const rbeeError = reportedError(error, `${req.method} ${req.originalUrl.split("?")[0]}`, log);
    if (res.headersSent) {
      res.end();
      return;
    }
    answer(res, rbeeError);
  };
}
