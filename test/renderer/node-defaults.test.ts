import { describe, expect, it } from "vitest";
import { applyNodeDefaults, installSourceHint } from "../../src/renderer/lib/node-defaults.js";
import { EMPTY_NODE_FORM } from "../../src/renderer/lib/node-form.js";

const ORIGIN = { git_repo_url: "https://example.org/rbee.git", git_branch: "dev", install_path: "~/rbee", source: "origin" } as const;

describe("the Add node form's install defaults", () => {
  it("fill the install fields from the queen's answer", () => {
    expect(applyNodeDefaults(EMPTY_NODE_FORM, ORIGIN, new Set())).toMatchObject({
      git_repo_url: "https://example.org/rbee.git",
      git_branch: "dev",
      install_path: "~/rbee",
    });
  });

  it("leave what the user typed, and an unknown repository empty", () => {
    const typed = { ...EMPTY_NODE_FORM, git_branch: "main", install_path: "/opt/rbee" };
    expect(applyNodeDefaults(typed, ORIGIN, new Set(["git_branch", "install_path"] as const))).toMatchObject({
      git_repo_url: "https://example.org/rbee.git",
      git_branch: "main",
      install_path: "/opt/rbee",
    });
    expect(applyNodeDefaults(EMPTY_NODE_FORM, { ...ORIGIN, git_repo_url: null, source: "none" }, new Set()).git_repo_url).toBe("");
  });

  it("say where the repository came from, and that a local checkout works", () => {
    expect(installSourceHint("origin")).toBe("From this installation's git origin. file:///path/to/checkout also works, for a checkout the node can read.");
    expect(installSourceHint("package")).toContain("package.json");
    expect(installSourceHint("none")).toBe("file:///path/to/checkout works, for a checkout the node can read.");
    expect(installSourceHint(null)).toBe(installSourceHint("none"));
  });
});
