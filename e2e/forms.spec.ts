import { expect, test, type Page } from "@playwright/test";
import type { NodeDefaultsResponse } from "../src/shared/contract/nodes.js";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { freePort, startSshd, type Sshd } from "../test/helpers/sshd.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// The forms at the window size the app opens at (the config's 1280×800): what a test or a mistake
// says must be on screen, not below the fold. A real queen-rbee and a real loopback sshd.
// The tests do not build on each other: one failing does not skip the rest.

const ARTIFACTS = "e2e/artifacts";

let sshd: Sshd;
let queen: QueenProcess;

test.beforeAll(async () => {
  sshd = await startSshd();
  queen = await startQueen();
});

guardPages(test);

test.afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
});

async function openAddNode(page: Page) {
  await openUi(page, queen);
  await page.getByRole("button", { name: "Add node" }).first().click();
  return page.getByRole("dialog", { name: "Add node" });
}

test("the window is the size the app opens at", async ({ page }) => {
  expect(page.viewportSize()).toEqual({ width: 1280, height: 800 });
});

test("the install fields start from what the queen says, and say where that came from", async ({ page }) => {
  const answer = await fetch(`${queen.baseUrl}/v2/registry/beehives/defaults`, { headers: { Authorization: `Bearer ${queen.token}` } });
  expect(answer.status).toBe(200);
  const defaults = (await answer.json()) as NodeDefaultsResponse;

  const form = await openAddNode(page);
  await expect(form.getByLabel("Git branch", { exact: true })).toHaveValue(defaults.git_branch);
  await expect(form.getByLabel("Install path", { exact: true })).toHaveValue(defaults.install_path);
  await expect(form.getByLabel("Git repository URL", { exact: true })).toHaveValue(defaults.git_repo_url ?? "");
  const hint = form.getByText("file:///path/to/checkout");
  if (defaults.source === "origin") await expect(hint).toContainText("this installation's git origin");
  await expect(hint).toBeInViewport();
});

test("after Test connection the host key and the trust box are on screen", async ({ page }) => {
  const form = await openAddNode(page);
  await form.getByLabel("Node name", { exact: true }).fill("forms-node");
  await form.getByLabel("SSH host", { exact: true }).fill(sshd.host);
  await form.getByLabel("SSH port", { exact: true }).fill(String(sshd.port));
  await form.getByLabel("SSH user", { exact: true }).fill(sshd.user);
  await form.getByLabel("SSH key path", { exact: true }).fill(sshd.keyPath);
  await form.getByLabel("Git repository URL", { exact: true }).fill("file:///tmp/rbee.git");
  await form.getByLabel("Install path", { exact: true }).fill("/tmp/rbee-node");
  await form.getByRole("button", { name: "Test connection" }).click();

  const fingerprint = form.getByTestId("host-key-fingerprint");
  await expect(fingerprint).toHaveText(/^SHA256:[A-Za-z0-9+/]{43}$/);
  await expect(fingerprint).toBeInViewport();
  const trust = form.getByLabel("I checked this fingerprint and trust this host");
  await expect(trust).toBeInViewport();
  await expect(form.getByRole("button", { name: "Save" })).toBeInViewport();
  await page.screenshot({ path: `${ARTIFACTS}/forms-host-key.png` });
});

test("a failed test connection's error is on screen", async ({ page }) => {
  const closed = await freePort();
  const form = await openAddNode(page);
  await form.getByLabel("Node name", { exact: true }).fill("forms-nothing");
  await form.getByLabel("SSH host", { exact: true }).fill("127.0.0.1");
  await form.getByLabel("SSH port", { exact: true }).fill(String(closed));
  await form.getByLabel("SSH user", { exact: true }).fill(sshd.user);
  await form.getByLabel("SSH key path", { exact: true }).fill(sshd.keyPath);
  await form.getByLabel("Git repository URL", { exact: true }).fill("file:///tmp/rbee.git");
  await form.getByLabel("Install path", { exact: true }).fill("/tmp/rbee-node");
  await form.getByRole("button", { name: "Test connection" }).click();

  const error = form.getByRole("alert");
  await expect(error).toContainText(`127.0.0.1:${closed}`);
  await expect(error).toBeInViewport({ ratio: 1 });
  await expect(form.getByRole("button", { name: "Test connection" })).toBeInViewport();
  await page.screenshot({ path: `${ARTIFACTS}/forms-test-error.png` });
});

test("the first field with an error is brought on screen and focused", async ({ page }) => {
  const form = await openAddNode(page);
  // The user fills everything but the node name, at the top, last typing at the bottom.
  await form.getByLabel("SSH host", { exact: true }).fill(sshd.host);
  await form.getByLabel("SSH user", { exact: true }).fill(sshd.user);
  await form.getByLabel("Git repository URL", { exact: true }).fill("file:///tmp/rbee.git");
  await form.getByLabel("Install path", { exact: true }).fill("/tmp/rbee-node");
  await form.getByRole("button", { name: "Test connection" }).click();

  await expect(form.getByText("required")).toBeInViewport();
  await expect(form.getByLabel("Node name", { exact: true })).toBeFocused();
});

test("the spawn dialog has a Context field beside Threads and Slots", async ({ page }) => {
  // Spawning needs a node to choose: one stored unchecked, as a script would.
  const added = await fetch(`${queen.baseUrl}/v2/registry/beehives/add?verify=false`, {
    method: "POST",
    headers: { Authorization: `Bearer ${queen.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      node_name: "forms-spawn",
      ssh_host: sshd.host,
      ssh_port: sshd.port,
      ssh_user: sshd.user,
      git_repo_url: "file:///tmp/rbee.git",
      install_path: "/tmp/rbee-node",
    }),
  });
  expect(added.status).toBe(201);
  await openUi(page, queen);
  await page.getByRole("link", { name: "Workers" }).click();
  await page.getByRole("button", { name: "Spawn worker" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Spawn worker" });
  const ctx = dialog.getByLabel("Context", { exact: true });
  await expect(ctx).toBeInViewport();
  await expect(ctx).toHaveAttribute("placeholder", "auto");
  await expect(dialog.getByLabel("Threads", { exact: true })).toBeVisible();
  await expect(dialog.getByLabel("Slots", { exact: true })).toBeVisible();
  await page.screenshot({ path: `${ARTIFACTS}/forms-spawn.png` });
});

test("a worker's model is shortened to its file, in full on hover", async ({ page }) => {
  const modelRef = "hf:example-org/Some-Long-Model-Name-GGUF/some-long-model-name.Q4_K_M.gguf";
  const registered = await fetch(`${queen.baseUrl}/v1/workers/register`, {
    method: "POST",
    headers: { Authorization: `Bearer ${queen.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      worker_id: "w-forms-1",
      url: "http://127.0.0.1:9999",
      model_ref: modelRef,
      backend: "cpu",
      device: 0,
      slots_total: 1,
      slots_available: 1,
      node_name: "forms-spawn",
    }),
  });
  expect(registered.status).toBe(201);
  await page.goto(queen.uiUrl);
  await page.getByRole("link", { name: "Workers" }).click();
  const row = page.getByTestId("worker-row-w-forms-1");
  await expect(row).toContainText("some-long-model-name.Q4_K_M.gguf");
  await expect(row.getByTitle(modelRef, { exact: true })).toBeVisible();
});
