import type Database from "better-sqlite3";
import { RbeeError } from "../../../shared/contract/index.js";
import { migration001 } from "./001-create-beehives.js";
import { migration002 } from "./002-node-transports.js";

/** A numbered schema change. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. Append only. */
export const MIGRATIONS: readonly Migration[] = [migration001, migration002];

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_unix INTEGER NOT NULL
  )`;

/**
 * Applies the migrations the database has not seen yet, each in its own transaction: a migration
 * that fails is rolled back whole (its partial changes and its `schema_migrations` row alike), the
 * ones before it stay applied, and the error names it. `migrations` is a seam for tests.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  const applied = new Set(
    hasTable ? (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((row) => row.version) : [],
  );
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    try {
      db.transaction(() => {
        // Inside the transaction: a database whose first migration fails is left without it too.
        db.exec(CREATE_SCHEMA_MIGRATIONS);
        db.exec(migration.sql);
        db.prepare("INSERT INTO schema_migrations (version, name, applied_unix) VALUES (?, ?, ?)").run(
          migration.version,
          migration.name,
          Math.floor(Date.now() / 1000),
        );
      })();
    } catch (error) {
      throw new RbeeError(
        "INTERNAL",
        `Registry migration ${String(migration.version).padStart(3, "0")} (${migration.name}) failed and was rolled back, ` +
          `leaving the database as it was: ${(error as Error).message}`,
      );
    }
  }
}
