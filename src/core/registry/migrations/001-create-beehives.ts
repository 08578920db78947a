/** 001: the beehive registry exactly as the seed architecture gives it. Never edit a landed migration. */
export const migration001 = {
  version: 1,
  name: "create-beehives",
  sql: `
    CREATE TABLE beehives (
        node_name TEXT PRIMARY KEY,
        ssh_host TEXT NOT NULL,
        ssh_port INTEGER NOT NULL DEFAULT 22,
        ssh_user TEXT NOT NULL,
        ssh_key_path TEXT,
        git_repo_url TEXT NOT NULL,
        git_branch TEXT NOT NULL,
        install_path TEXT NOT NULL,
        last_connected_unix INTEGER,
        status TEXT NOT NULL DEFAULT 'unknown'
    );
  `,
} as const;
