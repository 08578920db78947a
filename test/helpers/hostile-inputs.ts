// Hostile values for the fuzzers, one field at a time on an otherwise valid body, so that the
// request gets past validation and reaches what lies behind it (SSH, the install and hive scripts,
// the hive's spawn). Everything a value can make the queen or a node reach stays on this machine:
// a value the contract would accept is kept only when it names a loopback IP literal, a closed
// port, or a path under the test's own directory.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import type { z } from "zod";
import { SshNodeRequest, GitRepoUrl, ModelRef, SshPort } from "../../src/shared/contract/index.js";
import { parseModelRef } from "../../src/shared/contract/model-ref.js";
import { isLoopbackHost } from "../../src/shared/net.js";

/** How a shell would have to read a payload for it to run: as a bare word, or inside naive quotes. */
export type ShellContext = "bare" | "single" | "double";

/** A command-injection payload that creates `marker` if a shell ever evaluates it in `context`. */
export interface ShellPayload {
  readonly value: string;
  readonly context: ShellContext;
}

/**
 * Payloads that run `touch <marker>` when a shell evaluates them unquoted (or, for the quote
 * breakers, inside the quotes a careless script would put around them). `${IFS}` spells a space
 * for the fields that refuse whitespace (git URLs, model refs).
 */
export function shellPayloads(marker: string): ShellPayload[] {
  return [
    { value: `$(touch ${marker})`, context: "bare" },
    { value: `\`touch ${marker}\``, context: "bare" },
    { value: `; touch ${marker}`, context: "bare" },
    { value: `$(touch\${IFS}${marker})`, context: "bare" },
    { value: `\`touch\${IFS}${marker}\``, context: "bare" },
    { value: `;touch\${IFS}${marker};`, context: "bare" },
    { value: `|touch\${IFS}${marker}`, context: "bare" },
    { value: `&&touch\${IFS}${marker}`, context: "bare" },
    { value: `$(touch ${marker})`, context: "double" },
    { value: `"; touch ${marker}; "`, context: "double" },
    { value: `'; touch ${marker}; '`, context: "single" },
    { value: `'$(touch\${IFS}${marker})'`, context: "single" },
  ];
}

/** Payloads that go through option parsing rather than a shell (ssh -o, git --upload-pack). */
export function optionPayloads(marker: string): string[] {
  return [`-oProxyCommand=touch ${marker}`, `--upload-pack=touch\${IFS}${marker}`, `-oProxyCommand=touch\${IFS}${marker}`];
}

/**
 * The control for the marker check: evaluates every payload the way a careless script would (no
 * quoting, or naive quotes) with `control` as its marker, and answers the payloads that did NOT
 * create it. Empty means the payloads work and `existsSync(marker)` sees them when they run.
 */
export function payloadsThatWouldNotRun(control: string): string[] {
  const failed: string[] = [];
  for (const payload of shellPayloads(control)) {
    rmSync(control, { force: true });
    const assignment =
      payload.context === "bare" ? `x=/a${payload.value}` : payload.context === "single" ? `x='/a${payload.value}'` : `x="/a${payload.value}"`;
    try {
      execFileSync("sh", ["-c", assignment], { stdio: "ignore" });
    } catch {
      // The marker decides, not the exit code (`x=/a|touch …` ends however touch ends).
    }
    if (!existsSync(control)) failed.push(payload.value);
  }
  rmSync(control, { force: true });
  return failed;
}

/** Junk of every JSON type, with the classics. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "'; DROP TABLE beehives; --",
    "\" OR 1=1 --",
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "\u0000",
    "\ud800",
    "mac\nnext",
    "x".repeat(70_000),
    "😀".repeat(100),
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
);

/** A field left out of the body. */
export const MISSING = Symbol("missing");
/** An unknown field added to the body (the schemas are strict). */
export const EXTRA_FIELD = "evil_extra";

/** One hostile field: its name and value (MISSING: left out). */
export interface HostileField {
  readonly field: string;
  readonly value: unknown;
}

/** `base` with `field` replaced by `value` (or removed, for MISSING). */
export function withField<T extends Record<string, unknown>>(base: T, { field, value }: HostileField): Record<string, unknown> {
  const body: Record<string, unknown> = { ...base };
  if (value === MISSING) delete body[field];
  else body[field] = value;
  return body;
}

/** Picks one field of `generators` and a hostile value for it (or leaves it out, or adds an unknown field). */
export function oneHostileField(generators: Readonly<Record<string, fc.Arbitrary<unknown>>>): fc.Arbitrary<HostileField> {
  const fields = Object.keys(generators);
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...fields).chain((field) => generators[field]!.map((value) => ({ field, value }))) },
    { weight: 1, arbitrary: fc.constantFrom(...fields).map((field) => ({ field, value: MISSING as unknown })) },
    { weight: 1, arbitrary: junk.map((value) => ({ field: EXTRA_FIELD, value })) },
  );
}

/** Where the hostile values of one run may lead. */
export interface FuzzScope {
  /** The test's own directory: the only place a stored path may point at. */
  readonly dir: string;
  /** The marker file a payload would create. */
  readonly marker: string;
  /** Loopback ports a valid port may be: a closed one, and the test's sshd. */
  readonly ports: readonly number[];
}

/** Keeps a generated value only when the contract refuses it or it stays within `scope` (see the file comment). */
const refusedOr = (schema: z.ZodType, staysLocal: (value: never) => boolean) => (value: unknown) => {
  const parsed = schema.safeParse(value);
  return !parsed.success || parsed.data === undefined || staysLocal(parsed.data as never);
};

const underDir = (dir: string) => (path: string) => path.startsWith(`${dir}/`) && !path.split("/").includes("..");

/** The host of a git URL as written (no normalisation), or undefined for `file://`. */
function gitHost(url: string): string | undefined {
  if (url.startsWith("file://")) return undefined;
  const scheme = /^(?:https|ssh):\/\/(?:[^@/]+@)?(\[[^\]]*\]|[^/:]+)/.exec(url);
  if (scheme) return scheme[1];
  return /^[^@]+@([^:]+):/.exec(url)?.[1] ?? "";
}

/** A value SSH or git would connect to without a name lookup, and only on this machine. */
const loopbackLiteral = (host: string) => isIP(host) !== 0 && isLoopbackHost(host);

/** Model refs the hive would only look up on disk (never an alias or a URL it would download). */
function onlyOnDisk(ref: string): boolean {
  try {
    return parseModelRef(ref).kind === "file";
  } catch {
    return true;
  }
}

/** Any text, lone surrogates and control characters included, to append to an otherwise valid value. */
const suffix = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("\ud800", "a\udfffb", "\u0007", "\u202e"));

/** Payloads embedded where a value is otherwise valid for the field: under `prefix`. */
const embedded = (prefix: string, scope: FuzzScope) =>
  fc.constantFrom(...shellPayloads(scope.marker).map((payload) => `${prefix}${payload.value}`));
const payloadsAlone = (scope: FuzzScope) =>
  fc.constantFrom(...shellPayloads(scope.marker).map((payload) => payload.value), ...optionPayloads(scope.marker));

/** Hostile values for each field of SshNodeRequest (every one of them reaches SSH or a remote shell). */
export function nodeFieldGenerators(scope: FuzzScope): Record<string, fc.Arbitrary<unknown>> {
  const shape = SshNodeRequest.shape;
  const { dir } = scope;
  return {
    node_name: fc.oneof(junk, payloadsAlone(scope), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/), fc.constantFrom("A", "-x", "x".repeat(64), "x".repeat(63))),
    ssh_host: fc
      .oneof(junk, payloadsAlone(scope), fc.constantFrom("127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "[::1]", "localhost", "-oProxyCommand=x"))
      .filter(refusedOr(shape.ssh_host, loopbackLiteral)),
    ssh_port: fc
      .oneof(junk, fc.integer({ min: -5, max: 70_000 }), fc.constantFrom(0, 65_536, 1.5, -1, "22", ...scope.ports))
      .filter(refusedOr(SshPort, (port: number) => scope.ports.includes(port))),
    ssh_user: fc.oneof(junk, payloadsAlone(scope), fc.stringMatching(/^[a-z_][a-z0-9._-]{0,8}$/), fc.constantFrom("-oProxyCommand=x", "root\n")),
    ssh_key_path: fc
      .oneof(junk, payloadsAlone(scope), embedded(join(dir, "keys/"), scope), suffix.map((s) => join(dir, "keys", s)), fc.constantFrom("relative/key", "~"))
      .filter(refusedOr(shape.ssh_key_path, underDir(dir))),
    git_repo_url: fc
      .oneof(
        junk,
        payloadsAlone(scope),
        embedded(`file://${dir}/repo/`, scope),
        embedded("https://127.0.0.1:1/r/", scope),
        embedded("ssh://127.0.0.1:1/r/", scope),
        embedded("x@127.0.0.1:r/", scope),
        suffix.map((s) => `file://${dir}/repo/${s}`),
        fc.constantFrom("https://example.com/r.git", "ftp://127.0.0.1/r", `file://${dir}/no such repo`),
      )
      .filter(refusedOr(GitRepoUrl, (url: string) => {
        const host = gitHost(url);
        return host === undefined || loopbackLiteral(host);
      })),
    git_branch: fc.oneof(junk, payloadsAlone(scope), fc.stringMatching(/^[a-z][a-z0-9/-]{0,12}[a-z0-9]$/), fc.constantFrom("-b", "a..b", "/x", "x/", "feature//x")),
    install_path: fc
      .oneof(junk, payloadsAlone(scope), embedded(join(dir, "inst/"), scope), suffix.map((s) => join(dir, "inst", s)), fc.constantFrom("relative", "~", "~/x", `${dir}/../x`))
      .filter(refusedOr(shape.install_path, underDir(dir))),
    ssh_key_passphrase: fc.oneof(junk, payloadsAlone(scope)),
    expected_host_key_fingerprint: fc.oneof(junk, fc.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/)),
  };
}

/** Hostile model refs: payloads inside file paths under the test's directory, and junk; never a download. */
export function modelRefGenerator(scope: FuzzScope): fc.Arbitrary<unknown> {
  return fc
    .oneof(
      junk,
      payloadsAlone(scope),
      embedded(`file:${scope.dir}/models/`, scope).map((ref) => `${ref}.gguf`),
      fc.constantFrom("tinyllama", "hf:org/repo/model.gguf", "https://example.com/m.gguf", "file:relative.gguf", `file:${scope.dir}/m.bin`),
    )
    .filter(refusedOr(ModelRef, onlyOnDisk));
}
