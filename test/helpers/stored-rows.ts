// The node registry as it is on disk, read through a second SQLite handle (read-only), so that a
// check sees the raw rows and not what the queen's own registry parses or caches.
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect } from "vitest";
import { SshNodeRequest, Beehive, type NewSshNode } from "../../src/shared/contract/index.js";

/** The contract's columns, by name: a column some migration adds is not the contract's to check. */
// `transport` comes from a table of its own (migration 002), not from a beehives column.
const COLUMNS = Object.keys(Beehive.shape).filter((column) => column !== "transport");
const INPUT_FIELDS = ["node_name", "ssh_host", "ssh_port", "ssh_user", "ssh_key_path", "git_repo_url", "git_branch", "install_path"] as const;

/** What a stored row must hold for the request that stored it (its status moves on its own). */
export function rowFieldsOf(input: NewSshNode): Record<(typeof INPUT_FIELDS)[number], unknown> {
  return {
    node_name: input.node_name,
    ssh_host: input.ssh_host,
    ssh_port: input.ssh_port,
    ssh_user: input.ssh_user,
    ssh_key_path: input.ssh_key_path ?? null,
    git_repo_url: input.git_repo_url,
    git_branch: input.git_branch,
    install_path: input.install_path,
  };
}

/**
 * The rows of RBEE_HOME/beehives.db, and the requests that stored them: `stored` records an
 * acknowledged add, `removed` an acknowledged removal, `expectAllAsGiven` checks every raw row.
 */
export class StoredRows {
  private readonly db: Database.Database;
  /** Acknowledged adds not removed since, by node name, and whether a fuzzed body stored them. */
  readonly expected = new Map<string, { readonly input: NewSshNode; readonly fuzzed: boolean }>();

  constructor(home: string) {
    this.db = new Database(join(home, "beehives.db"), { readonly: true, fileMustExist: true });
  }

  /** Every raw row, the contract's columns only. */
  rows(): Record<string, unknown>[] {
    return this.db.prepare(`SELECT ${COLUMNS.join(", ")} FROM beehives ORDER BY node_name`).all() as Record<string, unknown>[];
  }

  row(nodeName: string): Record<string, unknown> | undefined {
    return this.db.prepare(`SELECT ${COLUMNS.join(", ")} FROM beehives WHERE node_name = ?`).get(nodeName) as Record<string, unknown> | undefined;
  }

  count(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM beehives").get() as { n: number }).n;
  }

  /** An acknowledged add: its row must be there, valid, and hold exactly what was asked. */
  stored(input: NewSshNode, fuzzed: boolean, context: string): void {
    this.expected.set(input.node_name, { input, fuzzed });
    this.expectAsGiven(input.node_name, context);
  }

  /** An acknowledged removal: its row must be gone. */
  removed(nodeName: string, context: string): void {
    this.expected.delete(nodeName);
    expect(this.row(nodeName), `${context}: removed, yet still stored`).toBeUndefined();
  }

  /** The raw row is a valid Beehive, a valid input, and the one its request asked for. */
  expectAsGiven(nodeName: string, context: string): void {
    const raw = this.row(nodeName);
    expect(raw, `${context}: ${nodeName} acknowledged but not stored`).toBeDefined();
    const row = raw!;
    const shown = JSON.stringify(row).slice(0, 300);
    const asBeehive = Beehive.omit({ transport: true }).strict().safeParse(row);
    expect(asBeehive.success, `${context}: stored row is not a Beehive: ${asBeehive.error?.message}\n${shown}`).toBe(true);
    const fields = Object.fromEntries(INPUT_FIELDS.map((f) => [f, row[f]]));
    const asInput = SshNodeRequest.safeParse(fields);
    expect(asInput.success, `${context}: stored row would not pass the request's own validation: ${asInput.error?.message}\n${shown}`).toBe(true);
    const expected = this.expected.get(nodeName);
    expect(expected, `${context}: a row no acknowledged request stored: ${shown}`).toBeDefined();
    expect(fields, `${context}: stored row differs from the request that stored it`).toEqual(rowFieldsOf(expected!.input));
  }

  /** Every raw row was stored by an acknowledged request, and holds what it asked; none missing. */
  expectAllAsGiven(context: string): { readonly fuzzed: number } {
    const names = this.rows().map((row) => String(row.node_name));
    for (const name of names) this.expectAsGiven(name, context);
    expect(names.sort(), `${context}: acknowledged rows missing`).toEqual([...this.expected.keys()].sort());
    return { fuzzed: [...this.expected.values()].filter((entry) => entry.fuzzed).length };
  }

  close(): void {
    this.db.close();
  }
}
