import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { NodeLifecycle } from "../../src/core/nodes/node-lifecycle.js";
import { BeehiveRegistry } from "../../src/core/registry/beehive-registry.js";
import { sourceFilesMatching } from "../helpers/source-files.js";

const node = (name: string) => ({
  node_name: name,
  ssh_host: "h.invalid",
  ssh_port: 22,
  ssh_user: "u",
  git_repo_url: "file:///tmp/r.git",
  git_branch: "main",
  install_path: "/tmp/x",
});

let dir: string;
let registry: BeehiveRegistry;
let now: number;
let lifecycle: NodeLifecycle;
let writes: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-lifecycle-"));
  registry = new BeehiveRegistry(join(dir, "beehives.db"));
  now = 1000;
  lifecycle = new NodeLifecycle(registry, () => now);
  writes = 0;
  registry.onDidChange(() => writes++);
});
afterEach(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("NodeLifecycle", () => {
  test("applies events to the stored status and stamps contact", () => {
    registry.add(node("mac"), "unknown");
    writes = 0;
    expect(lifecycle.send("mac", { type: "connected" })).toBe("reachable");
    expect(registry.get("mac")).toMatchObject({ status: "reachable", last_connected_unix: 1000 });
    now = 2000;
    expect(lifecycle.send("mac", { type: "install-started" })).toBe("installing");
    expect(lifecycle.send("mac", { type: "probe-down" })).toBe("installing");
    expect(lifecycle.send("mac", { type: "hive-started" })).toBe("installing");
    expect(lifecycle.send("mac", { type: "install-succeeded" })).toBe("ready");
    expect(registry.get("mac")).toMatchObject({ status: "ready", last_connected_unix: 2000 });
    expect(writes).toBe(3);
  });

  test("writes nothing when nothing changes (a health round of a healthy node)", () => {
    registry.add(node("mac"), "ready", 5);
    writes = 0;
    expect(lifecycle.send("mac", { type: "probe-up" })).toBe("ready");
    expect(writes).toBe(0);
    expect(registry.get("mac")?.last_connected_unix).toBe(5);
  });

  test("remembers a node seen ready across an outage; forgets it when removed", () => {
    registry.add(node("mac"), "ready");
    lifecycle.send("mac", { type: "probe-down" });
    expect(registry.get("mac")?.status).toBe("unreachable");
    lifecycle.send("mac", { type: "probe-up" });
    expect(registry.get("mac")?.status).toBe("unreachable");
    expect(lifecycle.awaitsHive("mac")).toBe(true);
    lifecycle.send("mac", { type: "hive-started" });
    expect(registry.get("mac")?.status).toBe("ready");
    lifecycle.send("mac", { type: "probe-down" });
    lifecycle.forget("mac");
    registry.remove("mac");
    registry.add(node("mac"), "unreachable");
    expect(lifecycle.awaitsHive("mac")).toBe(false);
    expect(lifecycle.send("mac", { type: "probe-up" })).toBe("reachable");
  });

  test("an unregistered node is ignored", () => {
    expect(lifecycle.send("ghost", { type: "connected" })).toBeUndefined();
    expect(lifecycle.awaitsHive("ghost")).toBe(false);
  });

  test("is the only writer of node status in the queen", () => {
    expect(sourceFilesMatching(/\.updateStatus\(/)).toEqual(["core/nodes/node-lifecycle.ts"]);
  });
});
