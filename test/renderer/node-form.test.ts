import { describe, expect, it } from "vitest";
import { detailsToFieldErrors, EMPTY_NODE_FORM, firstErrorField, formToRequest, validateNodeForm } from "../../src/renderer/lib/node-form.js";

const filled = {
  ...EMPTY_NODE_FORM,
  node_name: "gpu-box",
  ssh_host: "192.168.1.20",
  ssh_user: "vince",
  git_repo_url: "https://github.com/you/rbee.git",
  install_path: "~/rbee",
};

describe("node form", () => {
  it("builds the request, leaving blank optional fields to their defaults", () => {
    expect(formToRequest({ ...filled, ssh_port: "", git_branch: " " })).toEqual({
      node_name: "gpu-box",
      ssh_host: "192.168.1.20",
      ssh_user: "vince",
      git_repo_url: "https://github.com/you/rbee.git",
      install_path: "~/rbee",
    });
    expect(formToRequest({ ...filled, ssh_key_path: " ~/.ssh/id_ed25519 " })).toMatchObject({
      ssh_port: 22,
      ssh_key_path: "~/.ssh/id_ed25519",
      git_branch: "main",
    });
  });

  it("accepts a complete form", () => {
    expect(validateNodeForm(filled)).toMatchObject({ ok: true });
  });

  it("gives one message per wrong field, 'required' for empty ones", () => {
    const result = validateNodeForm(EMPTY_NODE_FORM);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual({
      node_name: "required",
      ssh_host: "required",
      ssh_user: "required",
      git_repo_url: "required",
      install_path: "required",
    });
  });

  it("explains ports and patterns in words", () => {
    for (const port of ["0", "70000", "22a", "2.5"]) {
      const result = validateNodeForm({ ...filled, ssh_port: port });
      expect(result.ok ? null : result.errors.ssh_port).toBe("must be a whole number from 1 to 65535");
    }
    const result = validateNodeForm({ ...filled, node_name: "Gpu Box", install_path: "relative/path" });
    expect(result.ok ? null : result.errors).toEqual({
      node_name: expect.stringContaining("lowercase"),
      install_path: "must be absolute or start with ~/",
    });
  });

  it("maps the queen's details to fields, ignoring unknown ones", () => {
    expect(
      detailsToFieldErrors([
        { field: "ssh_key_path", message: "no such file: /x" },
        { field: "(body)", message: "bad" },
        { field: "0.node_name", message: "taken" },
      ]),
    ).toEqual({ ssh_key_path: "no such file: /x", node_name: "taken" });
  });

  it("brings on screen the first field with a message, in display order", () => {
    expect(firstErrorField({ install_path: "required", ssh_host: "required" })).toBe("ssh_host");
    expect(firstErrorField({})).toBeNull();
  });
});
