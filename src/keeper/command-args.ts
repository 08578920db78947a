import { parseArgs, type ParseArgsConfig } from "node:util";
import { RbeeError } from "../shared/contract/index.js";

/** Exit codes of every command: success, any error, Ctrl+C. */
export const EXIT_CODES = { ok: 0, error: 1, interrupted: 130 } as const;

/** Ctrl+C for a command that streams: `signal` aborts its stream, `interrupted` says whether it came. */
export interface Interruption {
  readonly signal: AbortSignal;
  readonly interrupted: boolean;
}

/** Aborts `signal` when `interrupted` settles (the user pressed Ctrl+C). */
export function abortOnInterrupt(interrupted: Promise<void>): Interruption {
  const abort = new AbortController();
  let came = false;
  void interrupted.then(() => {
    came = true;
    abort.abort();
  });
  return {
    signal: abort.signal,
    get interrupted() {
      return came;
    },
  };
}

/** Parses a command's flags strictly; a wrong one is INVALID_REQUEST that points at --help. */
export function commandFlags<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: readonly string[],
  options: O,
  positionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new RbeeError("INVALID_REQUEST", `${(error as Error).message}. Run rbee-keeper --help`);
  }
}

/** A flag or argument that must be given. */
export function requiredArg(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw new RbeeError("INVALID_REQUEST", `Missing ${what}. Run rbee-keeper --help`);
  return value;
}
