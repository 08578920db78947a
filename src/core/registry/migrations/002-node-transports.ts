/**
 * 002: what more a node needs than the seed's `beehives` columns, in tables of its own: how the
 * queen reaches it (`ssh` when absent), and the queen's own settings (whether it added this
 * computer as a node already). Never edit a landed migration.
 */
export const migration002 = {
  version: 2,
  name: "node-transports",
  sql: `
    CREATE TABLE node_transports (
        node_name TEXT PRIMARY KEY,
        transport TEXT NOT NULL CHECK (transport IN ('ssh', 'local'))
    );
    CREATE TABLE queen_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
  `,
} as const;
