import type { NextFunction, Request, Response } from "express";
import { reportedError } from "../errors.js";

/** Turns anything thrown in a route into the API's JSON error shape. */
export function errorHandler(log: (message: string) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const rbeeError = reportedError(error, `${req.method} ${req.path}`, log);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(rbeeError.status).json(rbeeError.toBody());
  };
}
