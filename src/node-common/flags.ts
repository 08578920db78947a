import { RbeeError } from "../shared/contract/index.js";

/** Fails a command line with one clear sentence (INVALID_REQUEST). */
export function flagError(message: string): never {
  throw new RbeeError("INVALID_REQUEST", message);
}

/** A whole-number flag within [min, max]; undefined when the flag was not given. */
export function integerFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) flagError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) flagError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}
