import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { SshNodeRequest, RbeeError, type NewSshNode } from "../../src/shared/contract/index.js";
import { BeehiveRegistry } from "../../src/core/registry/beehive-registry.js";

const node = (name: string): NewSshNode =>
  SshNodeRequest.parse({
    node_name: name,
    ssh_host: "mac.home.arpa",
    ssh_user: "vince",
    git_repo_url: "https://example.invalid/rbee.git",
    install_path: "~/rbee",
  });

describe("BeehiveRegistry", () => {
  let dir: string;
  let path: string;
  let registry: BeehiveRegistry;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rbee-registry-"));
    path = join(dir, "beehives.db");
    registry = new BeehiveRegistry(path);
  });
  afterEach(() => {
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the table equals the seed schema column by column, in WAL mode", () => {
    const db = new Database(path, { readonly: true });
    const columns = db.prepare("PRAGMA table_info(beehives)").all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }[];
    expect(columns.map((c) => [c.name, c.type, c.notnull, c.dflt_value, c.pk])).toEqual([
      ["node_name", "TEXT", 0, null, 1],
      ["ssh_host", "TEXT", 1, null, 0],
      ["ssh_port", "INTEGER", 1, "22", 0],
      ["ssh_user", "TEXT", 1, null, 0],
      ["ssh_key_path", "TEXT", 0, null, 0],
      ["git_repo_url", "TEXT", 1, null, 0],
      ["git_branch", "TEXT", 1, null, 0],
      ["install_path", "TEXT", 1, null, 0],
      ["last_connected_unix", "INTEGER", 0, null, 0],
      ["status", "TEXT", 1, "'unknown'", 0],
    ]);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    // What more a node needs lives in tables of its own: the seed's columns stay as they are.
    expect(db.prepare("SELECT version, name FROM schema_migrations").all()).toEqual([
      { version: 1, name: "create-beehives" },
      { version: 2, name: "node-transports" },
    ]);
    db.close();
  });

  test("a local node: empty SSH and git columns, its transport in a table of its own, gone with the node", () => {
    const local = registry.add({ node_name: "local", transport: "local" });
    expect(local).toEqual({
      node_name: "local", ssh_host: "", ssh_port: 0, ssh_user: "", ssh_key_path: null, git_repo_url: "", git_branch: "",
      install_path: "", last_connected_unix: null, status: "unknown", transport: "local",
    });
    registry.add(node("mac"));
    expect(registry.list().map((n) => [n.node_name, n.transport])).toEqual([["local", "local"], ["mac", "ssh"]]);
    registry.remove("local");
    // Added again under the same name as an SSH node, it is one: nothing of the old transport is left.
    registry.add(node("local"));
    expect(registry.get("local")?.transport).toBe("ssh");
  });

  test("queen settings stay set, across a reopen", () => {
    expect(registry.setting("local_node_added")).toBe(false);
    registry.setSetting("local_node_added");
    registry.close();
    registry = new BeehiveRegistry(path);
    expect(registry.setting("local_node_added")).toBe(true);
  });

  test("add, get, list, update status, remove", () => {
    const added = registry.add(node("mac"));
    expect(added).toMatchObject({ node_name: "mac", ssh_port: 22, git_branch: "main", status: "unknown" });
    expect(added.ssh_key_path).toBeNull();
    registry.add(node("alpha"), "reachable", 1_700_000_000);
    expect(registry.get("mac")).toEqual(added);
    expect(registry.get("nope")).toBeUndefined();
    expect(registry.list().map((n) => n.node_name)).toEqual(["alpha", "mac"]);
    expect(registry.updateStatus("mac", "reachable", 1_800_000_000)).toBe(true);
    expect(registry.get("mac")).toMatchObject({ status: "reachable", last_connected_unix: 1_800_000_000 });
    expect(registry.updateStatus("mac", "installing")).toBe(true);
    expect(registry.get("mac")).toMatchObject({ status: "installing", last_connected_unix: 1_800_000_000 });
    expect(registry.updateStatus("nope", "ready")).toBe(false);
    expect(registry.remove("mac")).toBe(true);
    expect(registry.remove("mac")).toBe(false);
    expect(registry.list().map((n) => n.node_name)).toEqual(["alpha"]);
  });

  test("a duplicate name is NODE_EXISTS and changes nothing", () => {
    registry.add(node("mac"));
    const error = (() => {
      try {
        registry.add({ ...node("mac"), ssh_host: "other" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RbeeError);
    expect((error as RbeeError).code).toBe("NODE_EXISTS");
    expect(registry.get("mac")?.ssh_host).toBe("mac.home.arpa");
  });

  test("require() names the missing node", () => {
    expect(() => registry.require("ghost")).toThrowError(/ghost/);
  });

  test("nodes survive closing and reopening; migrations run once", () => {
    registry.add(node("mac"), "reachable", 42);
    registry.close();
    registry = new BeehiveRegistry(path);
    expect(registry.get("mac")).toMatchObject({ status: "reachable", last_connected_unix: 42 });
    registry.add(node("second"));
    expect(registry.list()).toHaveLength(2);
  });

  test("change events fire after each change", () => {
    let changes = 0;
    const dispose = registry.onDidChange(() => changes++);
    registry.add(node("mac"));
    registry.updateStatus("mac", "ready");
    registry.remove("mac");
    registry.remove("mac");
    dispose();
    registry.add(node("mac"));
    expect(changes).toBe(3);
  });
});
