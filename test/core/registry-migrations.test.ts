import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { migration001 } from "../../src/core/registry/migrations/001-create-beehives.js";
import { MIGRATIONS, migrate, type Migration } from "../../src/core/registry/migrations/index.js";
import { BeehiveRegistry } from "../../src/core/registry/beehive-registry.js";
import { RbeeError } from "../../src/shared/contract/index.js";

// Rows as a registry of migration 001's time wrote them: plain SQL, not today's code.
const ROWS_001 = [
  ["alpha", "alpha.home.arpa", 2222, "vince", "/home/vince/.ssh/id_ed25519", "https://example.invalid/rbee.git", "main", "~/rbee", 1_700_000_000, "ready"],
  ["mac", "mac.home.arpa", 22, "vince", null, "https://example.invalid/rbee.git", "dev", "/opt/rbee", null, "unknown"],
] as const;

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-migrations-"));
  path = join(dir, "beehives.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database made by migration 001 alone, holding ROWS_001. */
function databaseOf001(): Database.Database {
  const db = new Database(path);
  migrate(db, [migration001]);
  const insert = db.prepare(
    `INSERT INTO beehives (node_name, ssh_host, ssh_port, ssh_user, ssh_key_path, git_repo_url, git_branch, install_path,
     last_connected_unix, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const row of ROWS_001) insert.run(...row);
  return db;
}

/** A database of 001 with its rows, brought up to the current schema. */
function currentDatabase(): Database.Database {
  const db = databaseOf001();
  migrate(db);
  return db;
}

/** The versions of migrations, as `schema_migrations` lists them. */
const versions = (migrations: readonly Migration[]) => migrations.map((migration) => ({ version: migration.version }));

/** Everything a database holds: its schema and every row of every table. */
function contents(db: Database.Database) {
  const schema = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all() as { type: string; name: string }[];
  const rows = Object.fromEntries(
    schema.filter((entry) => entry.type === "table").map((table) => [table.name, db.prepare(`SELECT * FROM "${table.name}" ORDER BY rowid`).all()]),
  );
  return { schema, rows };
}

function thrownBy(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected it to throw");
}

describe("an upgrade from 001", () => {
  test("a database of migration 001 only, opened by the current code: its rows kept, every migration recorded", () => {
    const old = databaseOf001();
    const recorded001 = old.prepare("SELECT version, name, applied_unix FROM schema_migrations").all();
    old.close();

    const registry = new BeehiveRegistry(path);
    try {
      expect(registry.list().map((node) => [node.node_name, node.ssh_host, node.ssh_port, node.ssh_key_path, node.git_branch, node.last_connected_unix, node.status])).toEqual([
        ["alpha", "alpha.home.arpa", 2222, "/home/vince/.ssh/id_ed25519", "main", 1_700_000_000, "ready"],
        ["mac", "mac.home.arpa", 22, null, "dev", null, "unknown"],
      ]);
    } finally {
      registry.close();
    }
    const db = new Database(path, { readonly: true });
    const migrations = db.prepare("SELECT version, name, applied_unix FROM schema_migrations ORDER BY version").all();
    db.close();
    expect((migrations as { version: number; name: string }[]).map((row) => [row.version, row.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    // 001 was not applied a second time.
    expect(migrations[0]).toEqual(recorded001[0]);
  });

  test("through the seam, a later migration changes the schema and keeps the rows", () => {
    const db = databaseOf001();
    const addNote: Migration = { version: 900, name: "test-add-note", sql: "ALTER TABLE beehives ADD COLUMN note TEXT NOT NULL DEFAULT '';" };
    migrate(db, [...MIGRATIONS, addNote]);
    expect(db.prepare("SELECT node_name, note FROM beehives ORDER BY node_name").all()).toEqual([
      { node_name: "alpha", note: "" },
      { node_name: "mac", note: "" },
    ]);
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual([...versions(MIGRATIONS), { version: 900 }]);
    // Run again: nothing left to do, nothing applied twice.
    migrate(db, [...MIGRATIONS, addNote]);
    expect(db.prepare("SELECT count(*) AS n FROM schema_migrations").get()).toEqual({ n: MIGRATIONS.length + 1 });
    db.close();
  });
});

describe("a failing migration", () => {
  // Fails halfway: a table made, a row written and a column added before the statement that fails.
  const halfDone: Migration = {
    version: 901,
    name: "test-half-done",
    sql: `CREATE TABLE partial (x INTEGER);
          INSERT INTO partial VALUES (1);
          ALTER TABLE beehives ADD COLUMN half TEXT;
          UPDATE beehives SET status = 'ready';
          INSERT INTO no_such_table VALUES (1);`,
  };

  test("is rolled back whole: the database is exactly as before, with a coded error naming it", () => {
    const db = currentDatabase();
    const before = contents(db);
    const error = thrownBy(() => migrate(db, [...MIGRATIONS, halfDone]));
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({
      code: "INTERNAL",
      message: expect.stringMatching(/^Registry migration 901 \(test-half-done\) failed and was rolled back, leaving the database as it was: .*no such table: no_such_table/),
    });
    expect(contents(db)).toEqual(before);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'partial'").all()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  test("keeps the migrations before it, runs none after it, and runs again once fixed", () => {
    const db = currentDatabase();
    const before: Migration = { version: 900, name: "test-before", sql: "CREATE TABLE before_it (x INTEGER);" };
    const after: Migration = { version: 902, name: "test-after", sql: "CREATE TABLE after_it (x INTEGER);" };
    expect(thrownBy(() => migrate(db, [...MIGRATIONS, before, halfDone, after]))).toMatchObject({ code: "INTERNAL" });
    const tables = () => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables()).toEqual(["beehives", "before_it", "node_transports", "queen_settings", "schema_migrations"]);
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual([...versions(MIGRATIONS), { version: 900 }]);

    const fixed: Migration = { ...halfDone, sql: halfDone.sql.replace("INSERT INTO no_such_table VALUES (1);", "") };
    migrate(db, [...MIGRATIONS, before, fixed, after]);
    expect(tables()).toEqual(["after_it", "beehives", "before_it", "node_transports", "partial", "queen_settings", "schema_migrations"]);
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual([
      ...versions(MIGRATIONS),
      { version: 900 },
      { version: 901 },
      { version: 902 },
    ]);
    db.close();
  });

  test("through the registry's constructor is the same coded error, and changes nothing", () => {
    // A beehives table that schema_migrations does not account for: 001's CREATE TABLE fails.
    const db = new Database(path);
    db.exec("CREATE TABLE beehives (node_name TEXT PRIMARY KEY); INSERT INTO beehives VALUES ('kept');");
    const before = contents(db);
    db.close();
    expect(thrownBy(() => new BeehiveRegistry(path))).toMatchObject({
      code: "INTERNAL",
      message: expect.stringMatching(/^Registry migration 001 \(create-beehives\) failed and was rolled back.*already exists/),
    });
    const reopened = new Database(path);
    expect(contents(reopened)).toEqual(before);
    reopened.close();
  });

  test("as the very first one leaves a new database empty: not even schema_migrations", () => {
    const db = new Database(path);
    expect(thrownBy(() => migrate(db, [halfDone]))).toMatchObject({ code: "INTERNAL" });
    expect(db.prepare("SELECT name FROM sqlite_master").all()).toEqual([]);
    db.close();
  });
});
