import { parseArgs, type ParseArgsConfig } from "node:util";
import { RbeeError } from "../shared/contract/index.js";

/** Fails a command line with one clear sentence (INVALID_REQUEST). */
export function flagError(message: string): never {
  throw new RbeeError("INVALID_REQUEST", message);
}

/** parseArgs options for flags that each take a value: `stringFlags("host", "port")`. */
export function stringFlags(...names: readonly string[]): Record<string, { readonly type: "string" }> {
  return Object.fromEntries(names.map((name) => [name, { type: "string" } as const]));
}

/** A command line as `parseFlags` read it. */
export interface ParsedFlags {
  readonly positionals: readonly string[];
  /** The value of a string flag; undefined when it was not given. */
  text(name: string): string | undefined;
  /** True when a boolean flag was given. */
  has(name: string): boolean;
}

/**
 * Reads a command line strictly (node:util's parseArgs): an unknown flag, a missing value or an
 * unexpected positional fails with INVALID_REQUEST, its message followed by `hint` when given.
 */
export function parseFlags(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  { positionals = false, hint = "" }: { readonly positionals?: boolean; readonly hint?: string } = {},
): ParsedFlags {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals });
  } catch (error) {
    flagError(`${error instanceof Error ? error.message : String(error)}${hint}`);
  }
  const { values } = parsed;
  return {
    positionals: parsed.positionals,
    text(name) {
      const value = values[name];
      return typeof value === "string" ? value : undefined;
    },
    has(name) {
      return values[name] === true;
    },
  };
}

/** A whole-number flag within [min, max]; undefined when the flag was not given. */
export function integerFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) flagError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) flagError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}
