import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { Beehive, RbeeError, type NewNode, type NodeStatus } from "../../shared/contract/index.js";
import { Emitter } from "../../shared/emitter.js";
import type { ItemChange } from "./item-change.js";
import { migrate } from "./migrations/index.js";
import { unknownNodeError } from "./unknown-node.js";

const COLUMNS =
  "node_name, ssh_host, ssh_port, ssh_user, ssh_key_path, git_repo_url, git_branch, install_path, last_connected_unix, status";
// A node's row with its transport (`ssh` for the seed's rows, which have none recorded).
const SELECT = `SELECT ${COLUMNS.split(", ").map((column) => `b.${column}`).join(", ")}, COALESCE(t.transport, 'ssh') AS transport
  FROM beehives b LEFT JOIN node_transports t ON t.node_name = b.node_name`;

/** The queen's settings the registry keeps: that it added this computer as a node once (so a removal sticks). */
export type QueenSetting = "local_node_added";

// SQLite keeps text as UTF-8, which has no lone surrogates: one would be read back as U+FFFD, not as given.
const LONE_SURROGATE = /\p{Cs}/u;

/** The persistent registry of nodes ("beehives"), one SQLite file in WAL mode. */
export class BeehiveRegistry {
  private readonly db: Database.Database;
  private readonly changed = new Emitter<ItemChange<Beehive>>();
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
      get: this.db.prepare(`${SELECT} WHERE b.node_name = ?`),
      list: this.db.prepare(`${SELECT} ORDER BY b.node_name`),
      remove: this.db.prepare("DELETE FROM beehives WHERE node_name = ?"),
      removeTransport: this.db.prepare("DELETE FROM node_transports WHERE node_name = ?"),
      insertTransport: this.db.prepare("INSERT OR REPLACE INTO node_transports (node_name, transport) VALUES (?, ?)"),
      getSetting: this.db.prepare("SELECT value FROM queen_settings WHERE key = ?"),
      setSetting: this.db.prepare("INSERT OR REPLACE INTO queen_settings (key, value) VALUES (?, ?)"),
      status: this.db.prepare("UPDATE beehives SET status = ? WHERE node_name = ?"),
      connected: this.db.prepare("UPDATE beehives SET status = ?, last_connected_unix = ? WHERE node_name = ?"),
    };
  }

  /** Fires after every change with the node it changed; read the whole new state with `list()`. */
  readonly onDidChange = (listener: (change: ItemChange<Beehive>) => void) => this.changed.on(listener);

  /**
   * Stores a new node; NODE_EXISTS when the name is taken. A local node's SSH and git columns stay
   * empty (the seed's columns are all NOT NULL): its transport says how it is reached.
   */
  add(node: NewNode, status: NodeStatus = "unknown", lastConnectedUnix: number | null = null): Beehive {
    const ssh = node.transport === "local" ? undefined : node;
    const row: Beehive = {
      node_name: node.node_name,
      ssh_host: ssh?.ssh_host ?? "",
      ssh_port: ssh?.ssh_port ?? 0,
      ssh_user: ssh?.ssh_user ?? "",
      ssh_key_path: ssh?.ssh_key_path ?? null,
      git_repo_url: ssh?.git_repo_url ?? "",
      git_branch: ssh?.git_branch ?? "",
      install_path: ssh?.install_path ?? "",
      last_connected_unix: lastConnectedUnix,
      status,
      transport: node.transport ?? "ssh",
    };
    for (const [field, value] of Object.entries(row)) {
      if (typeof value === "string" && LONE_SURROGATE.test(value)) {
        throw new RbeeError("INVALID_REQUEST", `Invalid request body (${field}: must be valid Unicode text)`, [
          { field, message: "must be valid Unicode text (it has a lone surrogate)" },
        ]);
      }
    }
    const { transport, ...columns } = row;
    try {
      this.db.transaction(() => {
        this.statements.insert.run(columns);
        if (transport !== "ssh") this.statements.insertTransport.run(row.node_name, transport);
      })();
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new RbeeError("NODE_EXISTS", `A node named "${node.node_name}" already exists`);
      }
      throw error;
    }
    this.changed.fire({ op: "upsert", item: row });
    return row;
  }

  get(nodeName: string): Beehive | undefined {
    const row = this.statements.get.get(nodeName);
    return row === undefined ? undefined : Beehive.parse(row);
  }

  /** The node, or NODE_NOT_FOUND naming the known nodes (and the closest one). */
  require(nodeName: string): Beehive {
    const node = this.get(nodeName);
    if (!node) throw unknownNodeError(nodeName, this.list().map((known) => known.node_name));
    return node;
  }

  list(): Beehive[] {
    return this.statements.list.all().map((row) => Beehive.parse(row));
  }

  /** Removes a node; false when there was none. */
  remove(nodeName: string): boolean {
    const removed = this.db.transaction(() => {
      const node = this.get(nodeName);
      this.statements.removeTransport.run(nodeName);
      return this.statements.remove.run(nodeName).changes > 0 ? node : undefined;
    })();
    if (removed) this.changed.fire({ op: "remove", item: removed });
    return removed !== undefined;
  }

  /** Sets a node's status, and its last contact time when given. False when the node is unknown. */
  updateStatus(nodeName: string, status: NodeStatus, lastConnectedUnix?: number): boolean {
    const result =
      lastConnectedUnix === undefined
        ? this.statements.status.run(status, nodeName)
        : this.statements.connected.run(status, lastConnectedUnix, nodeName);
    if (result.changes === 0) return false;
    const node = this.get(nodeName);
    if (node) this.changed.fire({ op: "upsert", item: node });
    return true;
  }

  /** Whether a queen setting is on. */
  setting(key: QueenSetting): boolean {
    return this.statements.getSetting.get(key) !== undefined;
  }

  /** Turns a queen setting on, for good. */
  setSetting(key: QueenSetting): void {
    this.statements.setSetting.run(key, "1");
  }

  close(): void {
    this.db.close();
  }
}
