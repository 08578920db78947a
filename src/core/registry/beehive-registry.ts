import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { Beehive, RbeeError, type NewNode, type NodeStatus } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import { migrate } from "./migrations/index.js";

const COLUMNS =
  "node_name, ssh_host, ssh_port, ssh_user, ssh_key_path, git_repo_url, git_branch, install_path, last_connected_unix, status";

// SQLite keeps text as UTF-8, which has no lone surrogates: one would be read back as U+FFFD, not as given.
const LONE_SURROGATE = /\p{Cs}/u;

/** The persistent registry of nodes ("beehives"), one SQLite file in WAL mode. */
export class BeehiveRegistry {
  private readonly db: Database.Database;
  private readonly changed = new Emitter<void>();
  private readonly statements;

  /** Opens (creating and migrating) the registry; `nativeBinding` selects a build for another ABI. */
  constructor(path: string, nativeBinding?: string) {
    this.db = new Database(path, nativeBinding && existsSync(nativeBinding) ? { nativeBinding } : {});
    this.db.pragma("journal_mode = WAL");
    // NORMAL is durable across process crashes in WAL mode; only a power cut can lose the last commit.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    try {
      migrate(this.db);
    } catch (error) {
      // A failed migration was rolled back; do not keep the file open behind the error.
      this.db.close();
      throw error;
    }
    this.statements = {
      insert: this.db.prepare(
        `INSERT INTO beehives (${COLUMNS}) VALUES (@node_name, @ssh_host, @ssh_port, @ssh_user, @ssh_key_path,
         @git_repo_url, @git_branch, @install_path, @last_connected_unix, @status)`,
      ),
      get: this.db.prepare(`SELECT ${COLUMNS} FROM beehives WHERE node_name = ?`),
      list: this.db.prepare(`SELECT ${COLUMNS} FROM beehives ORDER BY node_name`),
      remove: this.db.prepare("DELETE FROM beehives WHERE node_name = ?"),
      status: this.db.prepare("UPDATE beehives SET status = ? WHERE node_name = ?"),
      connected: this.db.prepare("UPDATE beehives SET status = ?, last_connected_unix = ? WHERE node_name = ?"),
    };
  }

  /** Fires after every change; read the new state with `list()`. */
  readonly onDidChange = (listener: () => void) => this.changed.on(listener);

  /** Stores a new node; NODE_EXISTS when the name is taken. */
  add(node: NewNode, status: NodeStatus = "unknown", lastConnectedUnix: number | null = null): Beehive {
    const row: Beehive = {
      node_name: node.node_name,
      ssh_host: node.ssh_host,
      ssh_port: node.ssh_port,
      ssh_user: node.ssh_user,
      ssh_key_path: node.ssh_key_path ?? null,
      git_repo_url: node.git_repo_url,
      git_branch: node.git_branch,
      install_path: node.install_path,
      last_connected_unix: lastConnectedUnix,
      status,
    };
    for (const [field, value] of Object.entries(row)) {
      if (typeof value === "string" && LONE_SURROGATE.test(value)) {
        throw new RbeeError("INVALID_REQUEST", `Invalid request body (${field}: must be valid Unicode text)`, [
          { field, message: "must be valid Unicode text (it has a lone surrogate)" },
        ]);
      }
    }
    try {
      this.statements.insert.run(row);
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new RbeeError("NODE_EXISTS", `A node named "${node.node_name}" already exists`);
      }
      throw error;
    }
    this.notify();
    return row;
  }

  get(nodeName: string): Beehive | undefined {
    const row = this.statements.get.get(nodeName);
    return row === undefined ? undefined : Beehive.parse(row);
  }

  /** The node, or NODE_NOT_FOUND. */
  require(nodeName: string): Beehive {
    const node = this.get(nodeName);
    if (!node) throw new RbeeError("NODE_NOT_FOUND", `No node named "${nodeName}"`);
    return node;
  }

  list(): Beehive[] {
    return this.statements.list.all().map((row) => Beehive.parse(row));
  }

  /** Removes a node; false when there was none. */
  remove(nodeName: string): boolean {
    const removed = this.statements.remove.run(nodeName).changes > 0;
    if (removed) this.notify();
    return removed;
  }

  /** Sets a node's status, and its last contact time when given. False when the node is unknown. */
  updateStatus(nodeName: string, status: NodeStatus, lastConnectedUnix?: number): boolean {
    const result =
      lastConnectedUnix === undefined
        ? this.statements.status.run(status, nodeName)
        : this.statements.connected.run(status, lastConnectedUnix, nodeName);
    if (result.changes > 0) this.notify();
    return result.changes > 0;
  }

  close(): void {
    this.db.close();
  }

  private notify(): void {
    this.changed.fire();
  }
}
