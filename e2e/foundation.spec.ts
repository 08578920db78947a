import { expect, test, type Page } from "@playwright/test";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { startSshd, type Sshd } from "../test/helpers/sshd.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// One real sshd on loopback and one real queen-rbee (built dist/ serving the built renderer) for
// the whole file; the tests run in order and build on each other's state, as a user would.
test.describe.configure({ mode: "serial" });

const NODE = "e2e-node";
const WORKER = "w-e2e-1";
const ARTIFACTS = "e2e/artifacts";

let sshd: Sshd;
let queen: QueenProcess;

test.beforeAll(async () => {
  sshd = await startSshd();
  queen = await startQueen();
});

// The strict CSP must hold, and no page may throw.
guardPages(test);

test.afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
});

/** Calls the queen's HTTP API the way a script or a worker would. */
async function queenApi(method: "POST" | "GET", path: string, body?: unknown): Promise<Response> {
  return fetch(`${queen.baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${queen.token}`, "Content-Type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function fillNodeForm(page: Page, keyPath: string): Promise<void> {
  const form = page.getByRole("dialog", { name: "Add node" });
  await form.getByLabel("Node name", { exact: true }).fill(NODE);
  await form.getByLabel("SSH host", { exact: true }).fill(sshd.host);
  await form.getByLabel("SSH port", { exact: true }).fill(String(sshd.port));
  await form.getByLabel("SSH user", { exact: true }).fill(sshd.user);
  await form.getByLabel("SSH key path", { exact: true }).fill(keyPath);
  await form.getByLabel("Git repository URL", { exact: true }).fill("file:///tmp/rbee.git");
  await form.getByLabel("Git branch", { exact: true }).fill("main");
  await form.getByLabel("Install path", { exact: true }).fill("/tmp/rbee-node");
}

test("without a token the UI says how to open it", async ({ page }) => {
  await page.goto(`${queen.baseUrl}/`);
  await expect(page.getByRole("heading", { name: "Open rbee with its link" })).toBeVisible();
  await expect(page.getByText(`Open the UI: ${queen.baseUrl}/#token=`)).toBeVisible();

  // Opening the printed link in the same tab only changes the fragment: no reload, still picked up.
  await page.goto(queen.uiUrl);
  await expect(page.getByTestId("connection-indicator")).toHaveAttribute("data-state", "connected");
  expect(page.url()).not.toContain("token=");
});

test("the token leaves the address bar and a new user is told to add a machine", async ({ page }) => {
  await openUi(page, queen);
  expect(page.url()).not.toContain("token=");
  await expect(page.getByRole("heading", { name: "Add your first machine" })).toBeVisible();

  // A reload keeps the session: the token lives in sessionStorage.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Add your first machine" })).toBeVisible();
});

test("the add-node form validates each field before anything is sent", async ({ page }) => {
  await openUi(page, queen);
  await page.getByRole("button", { name: "Add node" }).first().click();
  const form = page.getByRole("dialog", { name: "Add node" });
  await form.getByLabel("Node name", { exact: true }).fill("Bad Name");
  await form.getByLabel("SSH port", { exact: true }).fill("70000");
  await form.getByRole("button", { name: "Test connection" }).click();

  await expect(form.getByLabel("Node name", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("use 1-63 lowercase letters")).toBeVisible();
  await expect(form.getByText("must be a whole number from 1 to 65535")).toBeVisible();
  await expect(form.getByLabel("SSH host", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByRole("button", { name: "Save" })).toBeDisabled();
});

test("a refused key is explained in words", async ({ page }) => {
  await openUi(page, queen);
  await page.getByRole("button", { name: "Add node" }).first().click();
  await fillNodeForm(page, sshd.wrongKeyPath);
  const form = page.getByRole("dialog", { name: "Add node" });
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.getByRole("alert")).toContainText("Key not accepted");
  await expect(form.getByRole("button", { name: "Save" })).toBeDisabled();
});

test("adds a node: test connection, confirm the host key, save", async ({ page }) => {
  await openUi(page, queen);
  await page.getByRole("button", { name: "Add node" }).first().click();
  await fillNodeForm(page, sshd.keyPath);
  const form = page.getByRole("dialog", { name: "Add node" });
  const save = form.getByRole("button", { name: "Save" });
  await expect(save).toBeDisabled();

  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.getByTestId("host-key-fingerprint")).toHaveText(/^SHA256:[A-Za-z0-9+/]{43}$/);
  await expect(form.getByTestId("test-latency")).toHaveText(/^\d+ ms$/);
  // A host seen for the first time: Save waits for the user to confirm the fingerprint.
  await expect(save).toBeDisabled();
  await form.getByLabel("I checked this fingerprint and trust this host").check();
  await expect(save).toBeEnabled();
  await page.screenshot({ path: `${ARTIFACTS}/add-node.png` });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${ARTIFACTS}/add-node-dark.png` });
  await page.emulateMedia({ colorScheme: "light" });

  await save.click();
  await expect(form).toBeHidden();
  const row = page.getByTestId(`node-row-${NODE}`);
  await expect(row.getByTestId("node-status")).toHaveText("reachable");
  await expect(row).toContainText(`${sshd.host}:${sshd.port}`);
  await expect(row).toContainText(sshd.user);
  await expect(row).toContainText("just now");
  await page.screenshot({ path: `${ARTIFACTS}/nodes.png` });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${ARTIFACTS}/nodes-dark.png` });
});

test("a worker registered over HTTP appears live in the Workers view, and stops from it", async ({ page }) => {
  await openUi(page, queen);
  await page.getByRole("link", { name: "Workers" }).click();
  await expect(page.getByRole("heading", { name: "No workers running" })).toBeVisible();

  const registered = await queenApi("POST", "/v1/workers/register", {
    worker_id: WORKER,
    url: "http://127.0.0.1:9999",
    model_ref: "file:/models/tiny.gguf",
    backend: "cpu",
    device: 0,
    slots_total: 2,
    slots_available: 2,
    node_name: NODE,
  });
  expect(registered.status).toBe(201);

  const row = page.getByTestId(`worker-row-${WORKER}`);
  await expect(row).toBeVisible();
  await expect(row).toContainText(NODE);
  await expect(row).toContainText("tiny.gguf");
  await expect(row.getByTestId("worker-slots")).toHaveText("0/2");
  await expect(row).toContainText("—");

  // A change on the queen's side shows up without a reload.
  const updated = await queenApi("POST", "/v1/workers/update", { worker_id: WORKER, state: "busy", slots_available: 1 });
  expect(updated.status).toBe(200);
  await expect(row.getByTestId("worker-state")).toHaveText("busy");
  await expect(row.getByTestId("worker-slots")).toHaveText("1/2");
  await page.screenshot({ path: `${ARTIFACTS}/workers.png` });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${ARTIFACTS}/workers-dark.png` });
  await page.emulateMedia({ colorScheme: "light" });

  await row.getByRole("button", { name: `Stop ${WORKER}` }).click();
  await expect(row).toBeHidden();
  await expect(page.getByRole("heading", { name: "No workers running" })).toBeVisible();
});

test("removing a node asks first, then the list follows the queen", async ({ page }) => {
  await openUi(page, queen);
  const row = page.getByTestId(`node-row-${NODE}`);
  await row.getByRole("button", { name: `Remove ${NODE}` }).click();
  const dialog = page.getByRole("alertdialog", { name: `Remove ${NODE}?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toBeVisible();

  await row.getByRole("button", { name: `Remove ${NODE}` }).click();
  await dialog.getByRole("button", { name: "Remove node" }).click();
  await expect(row).toBeHidden();
  await expect(page.getByRole("heading", { name: "Add your first machine" })).toBeVisible();
});
