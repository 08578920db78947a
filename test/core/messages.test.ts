// The wording of the messages a new user meets first, where it is pure: the sentence for an unknown
// node and its closest match, a model file missing on a node, a refused token, and how the app
// reads "nothing to log in with". The same sentences through the real programs: test/keeper/keeper-messages.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { closestName, editDistance, unknownNodeError, unknownNodeMessage } from "../../src/core/registry/unknown-node.js";
import { ModelStore } from "../../src/hive/models/model-store.js";
import { explainRefusedToken } from "../../src/keeper/refused-token.js";
import { describeError } from "../../src/renderer/lib/error-text.js";
import { RbeeError } from "../../src/shared/contract/index.js";

const LIST = "see the list with `rbee-keeper setup list-nodes` or add one with `rbee-keeper setup add-node`";

describe("an unknown node", () => {
  test("names the closest known node when the name is a typo of it, and every known node", () => {
    expect(unknownNodeMessage("loopbx", ["mac", "loopbox"])).toBe(`No node named "loopbx" (did you mean "loopbox"?): this queen knows loopbox, mac; ${LIST}`);
  });

  test("guesses nothing when no name is close", () => {
    expect(unknownNodeMessage("x", ["mac", "loopbox"])).toBe(`No node named "x": this queen knows loopbox, mac; ${LIST}`);
  });

  test("with no nodes at all, says so and how to add one", () => {
    expect(unknownNodeMessage("mac", [])).toBe('No node named "mac": this queen has no nodes yet; add one with `rbee-keeper setup add-node`');
  });

  test("a long fleet is cut after eight names and counted", () => {
    const known = Array.from({ length: 11 }, (_, i) => `node-${String(i).padStart(2, "0")}`);
    expect(unknownNodeMessage("zzz", known)).toBe(
      `No node named "zzz": this queen knows node-00, node-01, node-02, node-03, node-04, node-05, node-06, node-07 and 3 more; ${LIST}`,
    );
  });

  test("is NODE_NOT_FOUND", () => {
    expect(unknownNodeError("x", [])).toMatchObject({ code: "NODE_NOT_FOUND", status: 404 });
  });

  test.each([
    ["loopbx", ["loopbox", "mac"], "loopbox"],
    ["lopobox", ["loopbox"], "loopbox"],
    ["Mac", ["mac"], "mac"],
    ["mc", ["mac", "gpu"], "mac"],
    ["gpu-bx", ["gpu-box", "gpu-bot"], "gpu-box"],
    // A tie goes to the first by name, so the answer does not depend on the order of the rows.
    ["gpu-bo", ["gpu-box", "gpu-bot"], "gpu-bot"],
    ["x", ["mac"], undefined],
    ["studio", ["mac", "gpu"], undefined],
    ["gpubox-two", ["gpu"], undefined],
  ])("closest to %s among %j: %s", (typed, known, expected) => {
    expect(closestName(typed, known)).toBe(expected);
  });

  test("edit distance counts a swap of neighbours as one edit", () => {
    expect(editDistance("loopbox", "loopbox")).toBe(0);
    expect(editDistance("loopbx", "loopbox")).toBe(1);
    expect(editDistance("lopobox", "loopbox")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("a model file missing on a node", () => {
  const dir = mkdtempSync(join(tmpdir(), "rbee-messages-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("names the node the queen knows it by, and what to do", async () => {
    const store = new ModelStore(dir, {}, {}, () => "mac");
    await expect(store.provision("file:/nowhere/model.gguf")).rejects.toMatchObject({
      code: "MODEL_NOT_FOUND",
      message:
        "Model file /nowhere/model.gguf not found on node mac: check the path, or download the model there first (an hf: or https:// model_ref is downloaded for you)",
    });
  });

  test("a hive running without a node name says this node", async () => {
    await expect(new ModelStore(dir, {}).provision("file:/nowhere/model.gguf")).rejects.toThrow(/^Model file \/nowhere\/model\.gguf not found on this node: /);
  });
});

describe("a token the queen refuses", () => {
  const refused = new RbeeError("UNAUTHORIZED", "Invalid token: use the token in the queen's RBEE_HOME/token (default ~/.rbee/token)");

  test("from RBEE_TOKEN: says to unset it or set it right", () => {
    expect(explainRefusedToken(refused, { RBEE_TOKEN: "nope", RBEE_HOME: "/home/me/.rbee" }, true)).toMatchObject({
      code: "UNAUTHORIZED",
      message:
        "The queen refused the token in RBEE_TOKEN: unset RBEE_TOKEN to use the token in /home/me/.rbee/token, or set it to the token in the queen's RBEE_HOME/token",
    });
  });

  test("from the token file: names the file", () => {
    expect(explainRefusedToken(refused, { RBEE_TOKEN: " ", RBEE_HOME: "/srv/rbee" }, true)).toMatchObject({
      message: "The queen refused the token in /srv/rbee/token: point RBEE_HOME at the queen's home, or set RBEE_TOKEN to the token in the queen's RBEE_HOME/token",
    });
  });

  test("no token sent, or another error: unchanged", () => {
    const none = new RbeeError("UNAUTHORIZED", "No API token: set RBEE_TOKEN, or run on the queen's machine where RBEE_HOME/token exists");
    expect(explainRefusedToken(none, {}, false)).toBe(none);
    const other = new RbeeError("NODE_NOT_FOUND", "x");
    expect(explainRefusedToken(other, { RBEE_TOKEN: "nope" }, true)).toBe(other);
  });
});

describe("the app reads nothing to log in with as that, not as a refused key", () => {
  test.each([
    "SSH to me@mac:22 failed: no key file was given and no ssh-agent is running: pass --ssh-key PATH (ssh_key_path), or start ssh-agent and ssh-add your key",
    "SSH to me@mac:22 failed: no key file was given and the ssh-agent holds no key: ssh-add your key, or pass --ssh-key PATH (ssh_key_path)",
  ])("%s", (message) => {
    const text = describeError(new RbeeError("SSH_FAILED", message));
    expect(text.title).toBe("No key to log in with");
    expect(text.hint).not.toMatch(/refused/);
  });

  test("a key the server did refuse still reads as refused", () => {
    const message = "SSH to me@mac:22 failed: authentication failed: no key file was given and the server refused the key in your ssh-agent: ssh-add the key this server accepts, or pass --ssh-key PATH (ssh_key_path)";
    expect(describeError(new RbeeError("SSH_FAILED", message)).title).toBe("Key not accepted");
  });
});
